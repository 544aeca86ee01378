package approvals

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Params are what a Service needs.
type Params struct {
	Store     Store
	Killer    Killer
	Notifier  Notifier
	Directory Directory
	Policy    Policy
	// Instances are the configured DCS instances by alias: the allow-list.
	Instances map[string]Instance
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// StaleAfter is how long a request may sit in approved or executing
	// before the sweep decides its worker died: approved ones are then
	// executed, executing ones become unknown. It must exceed the longest
	// possible DCS call. Default 2 minutes.
	StaleAfter time.Duration
	Logger     *slog.Logger
	// Observer, if set, is told about outcomes (metrics).
	Observer Observer
}

// Observer is told about what the Service does, for metrics.
type Observer interface {
	Finished(from, to State) // a request entered a final state
	Decision(kind string)    // "approval", "denial"
	KillDone(outcome State, d time.Duration)
}

// Service runs the request lifecycle. Every state change goes through the
// store's conditional Apply, so concurrent callers (two approvers, a
// redelivered click, another replica, the sweep) agree on one winner, and
// only the winner talks to DCS or redraws the message.
type Service struct {
	p        Params
	log      *slog.Logger
	inflight sync.WaitGroup
}

// NewService checks p and returns a Service.
func NewService(p Params) (*Service, error) {
	var missing []string
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Killer == nil {
		missing = append(missing, "Killer")
	}
	if p.Notifier == nil {
		missing = append(missing, "Notifier")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("approvals service: missing %s", strings.Join(missing, ", "))
	}
	if p.Policy.ApprovalsRequired < 1 {
		p.Policy.ApprovalsRequired = 1
	}
	if p.Policy.TTL <= 0 {
		p.Policy.TTL = 15 * time.Minute
	}
	if p.StaleAfter <= 0 {
		p.StaleAfter = 2 * time.Minute
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopObserver{}
	}
	return &Service{p: p, log: p.Logger}, nil
}

type nopObserver struct{}

func (nopObserver) Finished(State, State)         {}
func (nopObserver) Decision(string)               {}
func (nopObserver) KillDone(State, time.Duration) {}

// Policy returns the policy in force.
func (s *Service) Policy() Policy { return s.p.Policy }

// Wait blocks until every kill in flight has been recorded, or ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// KillRequest is what a user asked for, already parsed.
type KillRequest struct {
	User     string
	Channel  string
	Instance string // alias or instance ID as typed
	Node     string
	Addrs    []string
}

// Precheck applies the parts of the policy that need no I/O: channel,
// requester and instance. The Slack edge calls it before it acks so a
// refusal can ride in the ack.
func (s *Service) Precheck(k KillRequest) (Instance, error) {
	if err := s.p.Policy.CheckRequester(k.User, k.Channel); err != nil {
		return Instance{}, err
	}
	return s.resolveInstance(k.Instance)
}

func (s *Service) resolveInstance(name string) (Instance, error) {
	if inst, ok := s.p.Instances[name]; ok {
		return inst, nil
	}
	for _, inst := range s.p.Instances {
		if strings.EqualFold(inst.ID, name) {
			return inst, nil
		}
	}
	known := make([]string, 0, len(s.p.Instances))
	for alias := range s.p.Instances {
		known = append(known, "`"+alias+"`")
	}
	slices.Sort(known)
	return Instance{}, refuse("Unknown instance `%s`: only configured instances can be used. Known: %s.", name, strings.Join(known, ", "))
}

// Submit records a new pending request and posts its approval message.
func (s *Service) Submit(ctx context.Context, k KillRequest) (*Request, error) {
	inst, err := s.Precheck(k)
	if err != nil {
		return nil, err
	}
	now := s.p.Now().UTC()
	r := &Request{
		Requester:         k.User,
		ChannelID:         k.Channel,
		Instance:          inst,
		NodeID:            k.Node,
		Addrs:             k.Addrs,
		ApprovalsRequired: s.p.Policy.ApprovalsRequired,
		State:             Pending,
		CreatedAt:         now,
		UpdatedAt:         now,
		ExpiresAt:         now.Add(s.p.Policy.TTL),
	}
	for attempt := 0; ; attempt++ {
		r.ID = NewID()
		err = s.p.Store.Create(ctx, r)
		if !errors.Is(err, ErrDuplicateID) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record request: %w", err)
	}
	log := s.log.With("request_id", r.ID)
	log.Info("request created", "requester", r.Requester, "instance", inst.Alias, "node", r.NodeID, "addrs", len(r.Addrs))

	channel, ts, err := s.p.Notifier.Announce(ctx, r)
	if err != nil {
		// Without a message nobody can approve it: withdraw it now rather
		// than leave an invisible pending request.
		s.withdraw(ctx, r, "the approval message could not be posted")
		return nil, fmt.Errorf("post approval message for %s: %w", r.ID, err)
	}
	r.ChannelID, r.MessageTS = channel, ts
	if err := s.p.Store.SetMessage(ctx, r.ID, channel, ts); err != nil {
		s.withdraw(ctx, r, "the approval message could not be recorded")
		return nil, fmt.Errorf("record approval message for %s: %w", r.ID, err)
	}
	return r, nil
}

func (s *Service) withdraw(ctx context.Context, r *Request, why string) {
	ok, err := s.p.Store.Apply(context.WithoutCancel(ctx), r.ID, Transition{From: Pending, To: Cancelled, At: s.p.Now().UTC(), Note: why})
	if err != nil {
		s.log.Error("withdraw request", "request_id", r.ID, "err", err)
		return
	}
	if ok && r.MessageTS != "" {
		r.State, r.Note = Cancelled, why
		if err := s.p.Notifier.Update(ctx, r); err != nil {
			s.log.Warn("update withdrawn request's message", "request_id", r.ID, "err", err)
		}
	}
}

// Get returns a stored request.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	r, err := s.p.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse("There is no request `%s`.", id)
	}
	return r, err
}

// Approve records user's approval of request id and, once enough distinct
// approvers have approved, executes the kill. The checks use the stored
// request, never what the button carried.
func (s *Service) Approve(ctx context.Context, id, user string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	log := s.log.With("request_id", id, "user", user)
	if err := s.checkPending(ctx, r); err != nil {
		return err
	}
	if user == r.Requester {
		return refuse("You cannot approve your own request `%s`: another approver must.", r.ID)
	}
	ok, err := s.p.Policy.IsApprover(ctx, s.p.Directory, user)
	if err != nil {
		return fmt.Errorf("check approver: %w", err)
	}
	if !ok {
		return refuse("You are not an approver for session kills, so you cannot approve `%s`.", r.ID)
	}
	if r.ApprovedBy(user) {
		return refuse("You have already approved `%s`; it needs another approver.", r.ID)
	}
	added, count, err := s.p.Store.AddApproval(ctx, id, Approval{User: user, At: s.p.Now().UTC()})
	if err != nil {
		return fmt.Errorf("record approval: %w", err)
	}
	if !added {
		// The same user clicked twice, the request moved on, or an earlier
		// click recorded this approval and then failed before finishing.
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if cur.State != Pending {
			return refuse("Request `%s` is already %s.", r.ID, cur.State)
		}
		count = len(cur.Approvals)
		if !cur.ApprovedBy(user) || count < r.ApprovalsRequired {
			return refuse("You have already approved `%s`; it needs another approver.", r.ID)
		}
		// Enough approvals are recorded but the request is still pending:
		// finish what the earlier click started.
	} else {
		s.p.Observer.Decision("approval")
	}
	log.Info("approval recorded", "approvals", count, "required", r.ApprovalsRequired)
	if count < r.ApprovalsRequired {
		cur, err := s.p.Store.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("reload request: %w", err)
		}
		s.notify(ctx, cur, Note{Kind: NoteApproval, Actor: user})
		return nil
	}
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Pending, To: Approved, At: s.p.Now().UTC(), Actor: user})
	if err != nil {
		return fmt.Errorf("mark approved: %w", err)
	}
	if !won {
		// Another approver's click crossed the threshold first; it executes.
		log.Info("approval threshold already reached by another click")
		return nil
	}
	s.execute(ctx, id, user)
	return nil
}

// checkPending refuses a request that is not pending, and expires one whose
// TTL has passed.
func (s *Service) checkPending(ctx context.Context, r *Request) error {
	if r.State != Pending {
		return refuse("Request `%s` is already %s.", r.ID, r.State)
	}
	if r.ExpiredAt(s.p.Now()) {
		s.expire(ctx, r)
		return refuse("Request `%s` expired at %s; nothing was killed. Ask again if it is still needed.", r.ID, r.ExpiresAt.UTC().Format("15:04:05 MST"))
	}
	return nil
}

// Deny ends a pending request; nothing is killed. Any approver may deny,
// and so may the requester (it is then a withdrawal).
func (s *Service) Deny(ctx context.Context, id, user, reason string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkPending(ctx, r); err != nil {
		return err
	}
	to, kind := Denied, NoteDenied
	if user == r.Requester {
		to, kind = Cancelled, NoteCancelled
	} else {
		ok, err := s.p.Policy.IsApprover(ctx, s.p.Directory, user)
		if err != nil {
			return fmt.Errorf("check approver: %w", err)
		}
		if !ok {
			return refuse("You are not an approver for session kills, so you cannot deny `%s`.", r.ID)
		}
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
		return refuse("Request `%s` is already %s.", r.ID, cur.State)
	}
	s.p.Observer.Decision("denial")
	s.finished(Pending, to)
	s.log.Info("request "+string(to), "request_id", id, "user", user)
	s.reloadAndNotify(ctx, id, Note{Kind: kind, Actor: user})
	return nil
}

// execute runs an approved request: claim it (approved -> executing), call
// DCS once, record the outcome, report it. Only the caller that wins the
// claim reaches DCS. The kill and what follows it are not cancelled with
// ctx: an in-flight kill finishes and is recorded even during shutdown.
func (s *Service) execute(ctx context.Context, id, actor string) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	ctx = context.WithoutCancel(ctx)
	log := s.log.With("request_id", id)

	won, err := s.p.Store.Apply(ctx, id, Transition{From: Approved, To: Executing, At: s.p.Now().UTC(), Actor: actor})
	if err != nil {
		// Left approved; the sweep picks it up once it is stale.
		log.Error("claim approved request for execution", "err", err)
		return
	}
	if !won {
		return
	}
	r, err := s.p.Store.Get(ctx, id)
	if err != nil {
		log.Error("reload request before kill", "err", err)
		// Recorded as executing: without the request we cannot call DCS;
		// the sweep will mark it unknown. Better than a blind call.
		return
	}
	s.notify(ctx, r, Note{Kind: NoteExecuting, Actor: actor})

	start := time.Now()
	killErr := s.p.Killer.Kill(ctx, r.Instance, r.NodeID, r.Addrs)
	to, res := outcome(killErr)
	s.p.Observer.KillDone(to, time.Since(start))
	if killErr != nil {
		log.Warn("kill sessions", "outcome", to, "err", killErr)
	} else {
		log.Info("kill sessions succeeded", "addrs", len(r.Addrs))
	}
	t := Transition{From: Executing, To: to, At: s.p.Now().UTC(), Result: res}
	if err := s.applyHard(ctx, id, t); err != nil {
		log.Error("record kill outcome", "outcome", to, "err", err)
		// Still tell the humans what DCS said; the record will be
		// recovered as unknown by the sweep.
		r.State, r.Result = to, res
		s.notify(ctx, r, Note{Kind: NoteResult})
		return
	}
	s.finished(Executing, to)
	s.reloadAndNotify(ctx, id, Note{Kind: NoteResult})
}

// applyHard retries a transition that must not be lost (the outcome of a
// kill) while the store is failing, for a bounded time.
func (s *Service) applyHard(ctx context.Context, id string, t Transition) error {
	delay := 100 * time.Millisecond
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var ok bool
		ok, err = s.p.Store.Apply(ctx, id, t)
		if err == nil {
			if !ok {
				return fmt.Errorf("request %s was no longer %s", id, t.From)
			}
			return nil
		}
		time.Sleep(delay)
		delay = min(2*delay, 3*time.Second)
	}
	return err
}

// outcome maps a Killer error to the state it leads to and what to record.
func outcome(err error) (State, *Result) {
	if err == nil {
		return Succeeded, &Result{Detail: "DCS accepted the kill"}
	}
	var de *DCSError
	if errors.As(err, &de) {
		return Failed, &Result{Code: de.Code, Message: de.Message, HTTPStatus: de.HTTPStatus, DCSRequestID: de.RequestID}
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return Unknown, &Result{Detail: err.Error()}
	}
	return Failed, &Result{Detail: err.Error()}
}

func (s *Service) expire(ctx context.Context, r *Request) {
	won, err := s.p.Store.Apply(ctx, r.ID, Transition{From: Pending, To: Expired, At: s.p.Now().UTC()})
	if err != nil {
		s.log.Error("expire request", "request_id", r.ID, "err", err)
		return
	}
	if won {
		s.finished(Pending, Expired)
		s.log.Info("request expired", "request_id", r.ID)
		s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteExpired})
	}
}

// Sweep expires pending requests past their TTL, executes approved requests
// whose worker died before claiming them, and marks unknown the executing
// requests whose worker died mid-call. Safe to run on every replica at once.
func (s *Service) Sweep(ctx context.Context) error {
	return s.sweep(ctx, s.p.StaleAfter)
}

// Recover is Sweep run at start. With a store no other process shares
// (SQLite), exclusive is true and every executing request is recovered
// at once: the process that was running it is this one's predecessor.
func (s *Service) Recover(ctx context.Context, exclusive bool) error {
	if exclusive {
		return s.sweep(ctx, 0)
	}
	return s.sweep(ctx, s.p.StaleAfter)
}

func (s *Service) sweep(ctx context.Context, staleAfter time.Duration) error {
	now := s.p.Now().UTC()
	var errs []error
	expired, err := s.p.Store.ListStale(ctx, Pending, now, 500)
	if err != nil {
		errs = append(errs, fmt.Errorf("list expired requests: %w", err))
	}
	for _, r := range expired {
		s.expire(ctx, r)
	}
	approved, err := s.p.Store.ListStale(ctx, Approved, now.Add(-staleAfter), 100)
	if err != nil {
		errs = append(errs, fmt.Errorf("list stalled approved requests: %w", err))
	}
	for _, r := range approved {
		s.log.Warn("executing a request left approved by a stopped worker", "request_id", r.ID)
		s.execute(ctx, r.ID, r.DecidedBy)
	}
	executing, err := s.p.Store.ListStale(ctx, Executing, now.Add(-staleAfter), 100)
	if err != nil {
		errs = append(errs, fmt.Errorf("list stalled executing requests: %w", err))
	}
	for _, r := range executing {
		t := Transition{From: Executing, To: Unknown, At: s.p.Now().UTC(),
			Note:   "the bot stopped while the kill was in flight",
			Result: &Result{Detail: "the bot stopped while the kill was in flight; DCS may or may not have killed the sessions"}}
		won, err := s.p.Store.Apply(ctx, r.ID, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", r.ID, err))
			continue
		}
		if won {
			s.finished(Executing, Unknown)
			s.log.Warn("request found executing after a stop: outcome unknown", "request_id", r.ID)
			s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteRecovered})
		}
	}
	return errors.Join(errs...)
}

func (s *Service) finished(from, to State) { s.p.Observer.Finished(from, to) }

func (s *Service) reloadAndNotify(ctx context.Context, id string, n Note) {
	r, err := s.p.Store.Get(ctx, id)
	if err != nil {
		s.log.Error("reload request to report it", "request_id", id, "err", err)
		return
	}
	s.notify(ctx, r, n)
}

// notify redraws the approval message and replies in its thread. Failures
// are logged: the state is already recorded, and Slack delivery has its own
// retries at the edge.
func (s *Service) notify(ctx context.Context, r *Request, n Note) {
	if r.MessageTS == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.p.Notifier.Thread(ctx, r, n); err != nil {
		s.log.Error("reply in thread", "request_id", r.ID, "note", n.Kind, "err", err)
	}
	if err := s.p.Notifier.Update(ctx, r); err != nil {
		s.log.Error("update approval message", "request_id", r.ID, "err", err)
	}
}

// idAlphabet is Crockford's base32: no I, L, O or U to misread.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a short request ID people can read out and type: six
// characters, about a billion values; Create rejects the rare collision
// and Submit draws again.
func NewID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b[:])
}
