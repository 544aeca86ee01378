package approvals

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"dcsbot/internal/logging"
)

// Get returns a stored request.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	r, err := s.p.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, &Refusal{Code: RefuseNoSuchRequest, Request: id}
	}
	return r, err
}

// Approve records user's approval of request id and, once enough distinct
// approvers have approved, executes the kill. The checks use the stored
// request, never what the button carried. The approval that decides is
// recorded together with pending -> approved -> executing, in one store
// transaction; the kill follows at once.
func (s *Service) Approve(ctx context.Context, id, user string) error {
	// A session scan started since the click reached the bot may serve
	// the kill's guard.
	clicked := arrival(ctx)
	ctx = logging.WithRequestID(ctx, id)
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkApprover(ctx, r, user); err != nil {
		return err
	}
	if r.ApprovedBy(user) && len(r.Approvals) < r.ApprovalsRequired {
		return &Refusal{Code: RefuseAlreadyApproved, Request: id}
	}
	// A claim is a kill in flight: Wait waits for it from before the vote.
	s.inflight.Add()
	recorded := sync.OnceFunc(s.inflight.Done)
	defer recorded()
	sent := func() {}
	if decides(r, user) {
		sent = s.kill()
		defer sent()
	}
	early := s.earlyGuard(ctx, r, user, clicked)
	tally, lapsed, err := s.vote(ctx, r, user)
	if !tally.Claimed {
		sent()
		early.drop()
	}
	if err != nil {
		return err
	}
	cur := tally.Request
	if tally.Added {
		s.p.Observer.Decision("approval")
	}
	s.log.InfoContext(ctx, "approval recorded", "user", user, "added", tally.Added, "approvals", tally.Counted,
		"lapsed", len(lapsed), "required", cur.ApprovalsRequired, "claimed", tally.Claimed)
	switch {
	case tally.Claimed:
		s.executeClaimed(ctx, cur, user, clicked, func() { sent(); recorded() }, early)
		return nil
	case cur.State != Pending:
		// Another approver's click decided, or the request ended.
		return &Refusal{Code: RefuseNotPending, Request: id, State: cur.State}
	case !tally.Added:
		return &Refusal{Code: RefuseAlreadyApproved, Request: id}
	}
	s.notify(ctx, cur, Note{Kind: NoteApproval, Actor: user, Count: tally.Counted, Lapsed: lapsed})
	return nil
}

// maxVotes bounds the store calls of one click: another is made only when
// the request holds approvals the click has not checked yet (approvers who
// clicked at the same time).
const maxVotes = 4

// vote records user's approval of r with Store.Approve, counting only the
// approvals whose approver is still an approver (checked here, before the
// transaction; user was just checked). When the request then holds
// approvals recorded by clicks at the same moment, which this one had not
// checked, and the count was not reached, it checks those and votes again
// (recording nothing twice): of clicks that together reach the count, the
// last to commit sees them all and claims. lapsed lists the approvers
// whose approval does not count.
func (s *Service) vote(ctx context.Context, r *Request, user string) (tally Tally, lapsed []string, err error) {
	counts := map[string]bool{user: true}
	s.checkApprovals(ctx, r, counts)
	added := false
	for try := 1; ; try++ {
		now := s.p.Now().UTC()
		v := Vote{Approval: Approval{User: user, At: now}, LeaseUntil: now.Add(s.p.Lease), Counting: counting(counts)}
		if tally, err = s.p.Store.Approve(ctx, r.ID, v); err != nil {
			return Tally{}, nil, fmt.Errorf("record approval: %w", err)
		}
		added = added || tally.Added
		tally.Added = added
		cur := tally.Request
		if tally.Claimed || cur.State != Pending || try == maxVotes || !s.checkApprovals(ctx, cur, counts) {
			break
		}
		if n := (Vote{Counting: counting(counts)}).Counted(cur); n < cur.ApprovalsRequired {
			tally.Counted = n
			break
		}
	}
	for _, a := range tally.Request.Approvals {
		if ok, checked := counts[a.User]; checked && !ok {
			lapsed = append(lapsed, a.User)
		}
	}
	if len(lapsed) > 0 {
		s.log.InfoContext(ctx, "approvals by people no longer approvers do not count", "lapsed", lapsed)
	}
	return tally, lapsed, nil
}

// checkApprover refuses user's approval of r: not pending, expired,
// never announced, their own, or not an approver.
func (s *Service) checkApprover(ctx context.Context, r *Request, user string) error {
	if err := s.checkPending(ctx, r); err != nil {
		return err
	}
	if r.MessageTS == "" {
		// Its approval message was never recorded (the request was being
		// withdrawn): executing it would leave nowhere to report.
		return &Refusal{Code: RefuseNotReady, Request: r.ID}
	}
	if user == r.Requester {
		return &Refusal{Code: RefuseOwnRequest, Request: r.ID}
	}
	if ok, unchecked := s.isApprover(ctx, r.Instance.Alias, user); !ok {
		return &Refusal{Code: RefuseNotApprover, Request: r.ID, Instance: r.Instance.Alias, Action: "approve", Groups: unchecked}
	}
	return nil
}

// counting lists the users whose approvals count, by counts (Vote.Counting).
func counting(counts map[string]bool) []string {
	var out []string
	for u, ok := range counts {
		if ok {
			out = append(out, u)
		}
	}
	return out
}

// checkPending refuses a request that is not pending, and expires one whose
// TTL has passed.
func (s *Service) checkPending(ctx context.Context, r *Request) error {
	if r.State != Pending {
		return &Refusal{Code: RefuseNotPending, Request: r.ID, State: r.State}
	}
	if r.ExpiredAt(s.p.Now()) {
		s.expire(ctx, r)
		return &Refusal{Code: RefuseExpired, Request: r.ID, At: r.ExpiresAt}
	}
	return nil
}

// CanDeny checks, without changing anything, that user may deny (or, as
// the requester, withdraw) request id now. The Slack edge asks before it
// opens the reason dialog.
func (s *Service) CanDeny(ctx context.Context, id, user string) error {
	_, _, err := s.denyCheck(ctx, id, user)
	return err
}

func (s *Service) denyCheck(ctx context.Context, id, user string) (*Request, State, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkPending(ctx, r); err != nil {
		return nil, "", err
	}
	if user == r.Requester {
		return r, Cancelled, nil
	}
	if ok, unchecked := s.isApprover(ctx, r.Instance.Alias, user); !ok {
		return nil, "", &Refusal{Code: RefuseNotApprover, Request: r.ID, Instance: r.Instance.Alias, Action: "deny", Groups: unchecked}
	}
	return r, Denied, nil
}

// Deny ends a pending request; nothing is killed. Any approver may deny,
// and so may the requester (it is then a withdrawal).
func (s *Service) Deny(ctx context.Context, id, user, reason string) error {
	ctx = logging.WithRequestID(ctx, id)
	r, to, err := s.denyCheck(ctx, id, user)
	if err != nil {
		return err
	}
	kind := NoteDenied
	if to == Cancelled {
		kind = NoteCancelled
	}
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Pending, To: to, At: s.p.Now().UTC(), Actor: user, Note: reason})
	if err != nil {
		return fmt.Errorf("mark %s: %w", to, err)
	}
	if !won {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		return &Refusal{Code: RefuseNotPending, Request: r.ID, State: cur.State}
	}
	s.p.Observer.Decision("denial")
	s.finished(Pending, to)
	s.log.InfoContext(ctx, "request "+string(to), "user", user)
	s.reloadAndNotify(ctx, id, Note{Kind: kind, Actor: user})
	return nil
}

// Cancel withdraws a pending request. Only its requester may; approvers
// deny instead.
func (s *Service) Cancel(ctx context.Context, id, user string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if r.Requester != user {
		return &Refusal{Code: RefuseNotRequester, Request: r.ID, User: r.Requester}
	}
	return s.Deny(ctx, id, user, "")
}

type arrivalKey struct{}

// WithArrival records in ctx when the click or command being handled
// reached the bot; the Slack edge sets it when it queues the work. Approve
// takes it for the moment of approval: a session scan started since then
// shows the sessions as they are after it, and may serve the kill's
// stale-target guard, however long the click waited for a worker.
func WithArrival(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, arrivalKey{}, at)
}

// arrival is when the work of ctx reached the bot, or now if not known.
func arrival(ctx context.Context) time.Time {
	if at, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return at
	}
	return time.Now()
}
