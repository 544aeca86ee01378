package approvals

import (
	"context"
	"errors"
	"fmt"

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
// request, never what the button carried.
func (s *Service) Approve(ctx context.Context, id, user string) error {
	ctx = logging.WithRequestID(ctx, id)
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkApprover(ctx, r, user); err != nil {
		return err
	}
	added, err := s.recordApproval(ctx, r, user)
	if err != nil {
		return err
	}
	cur, err := s.p.Store.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("reload request: %w", err)
	}
	count, lapsed := s.countApprovals(ctx, cur)
	s.log.InfoContext(ctx, "approval recorded", "user", user, "approvals", count, "lapsed", len(lapsed), "required", cur.ApprovalsRequired)
	if count < cur.ApprovalsRequired {
		if !added {
			return &Refusal{Code: RefuseAlreadyApproved, Request: id}
		}
		s.notify(ctx, cur, Note{Kind: NoteApproval, Actor: user, Count: count, Lapsed: lapsed})
		return nil
	}
	now := s.p.Now().UTC()
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Pending, To: Approved, At: now, Actor: user, LeaseUntil: now.Add(s.p.Lease)})
	if err != nil {
		return fmt.Errorf("mark approved: %w", err)
	}
	if !won {
		// Another approver's click crossed the threshold first; it executes.
		s.log.InfoContext(ctx, "approval threshold already reached by another click", "user", user)
		return nil
	}
	s.execute(ctx, id, user)
	return nil
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

// recordApproval adds user's approval; added is false when it was already
// recorded. A user who approved already is refused, unless the approvals
// recorded reach the count and an earlier click failed before acting on
// them: then this click finishes the job.
func (s *Service) recordApproval(ctx context.Context, r *Request, user string) (added bool, err error) {
	already := func(cur *Request) (bool, error) {
		if len(cur.Approvals) >= cur.ApprovalsRequired {
			return false, nil
		}
		return false, &Refusal{Code: RefuseAlreadyApproved, Request: cur.ID}
	}
	if r.ApprovedBy(user) {
		return already(r)
	}
	added, _, err = s.p.Store.AddApproval(ctx, r.ID, Approval{User: user, At: s.p.Now().UTC()})
	if err != nil {
		return false, fmt.Errorf("record approval: %w", err)
	}
	if added {
		s.p.Observer.Decision("approval")
		return true, nil
	}
	// The same user's other click won, or the request moved on.
	cur, err := s.Get(ctx, r.ID)
	if err != nil {
		return false, err
	}
	if cur.State != Pending {
		return false, &Refusal{Code: RefuseNotPending, Request: r.ID, State: cur.State}
	}
	return already(cur)
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
