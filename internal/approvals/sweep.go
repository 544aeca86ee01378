package approvals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dcsbot/internal/logging"
)

func (s *Service) expire(ctx context.Context, r *Request) {
	ctx = logging.WithRequestID(ctx, r.ID)
	won, err := s.p.Store.Apply(ctx, r.ID, Transition{From: Pending, To: Expired, At: s.p.Now().UTC()})
	if err != nil {
		s.log.ErrorContext(ctx, "expire request", "err", err)
		return
	}
	if won {
		s.finished(Pending, Expired)
		s.log.InfoContext(ctx, "request expired")
		s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteExpired})
	}
}

// Sweep expires pending requests past their TTL, executes approved requests
// whose worker died before claiming them, marks unknown the executing
// requests whose worker died mid-call, and follows again the DCS job of
// those left executing with one. Safe to run on every replica at once.
func (s *Service) Sweep(ctx context.Context) error {
	return s.sweep(ctx, false)
}

// Recover is Sweep run at start. With a store no other process shares
// (SQLite), exclusive is true and every approved or executing request is
// recovered at once, leases or not: the process that held it is this
// one's predecessor.
func (s *Service) Recover(ctx context.Context, exclusive bool) error {
	return s.sweep(ctx, exclusive)
}

func (s *Service) sweep(ctx context.Context, exclusive bool) error {
	now := s.p.Now().UTC()
	var errs []error
	expired, err := s.p.Store.ListStale(ctx, Pending, now, 500)
	if err != nil {
		errs = append(errs, fmt.Errorf("list expired requests: %w", err))
	}
	for _, r := range expired {
		s.expire(ctx, r)
	}
	approved, err := s.abandoned(ctx, Approved, now, exclusive)
	if err != nil {
		errs = append(errs, fmt.Errorf("list stalled approved requests: %w", err))
	}
	for _, r := range approved {
		s.log.WarnContext(logging.WithRequestID(ctx, r.ID), "executing a request left approved by a stopped worker")
		s.execute(ctx, r.ID, r.DecidedBy)
	}
	errs = append(errs, s.recoverExecuting(ctx, now, exclusive))
	return errors.Join(errs...)
}

// abandoned lists the requests in state whose worker is gone: every one
// when exclusive, else those whose lease has expired (or, without a
// lease, that have not changed for StaleAfter).
func (s *Service) abandoned(ctx context.Context, state State, now time.Time, exclusive bool) ([]*Request, error) {
	if exclusive {
		return s.p.Store.ListStale(ctx, state, now, 100)
	}
	g := s.workerGone(now, false)
	return s.p.Store.ListAbandoned(ctx, state, g.LeaseBefore, g.UnleasedBefore, 100)
}

// recoverExecuting marks unknown the executing requests whose worker is
// gone, and follows again the DCS job of those that have one.
func (s *Service) recoverExecuting(ctx context.Context, now time.Time, exclusive bool) error {
	executing, err := s.abandoned(ctx, Executing, now, exclusive)
	if err != nil {
		return fmt.Errorf("list stalled executing requests: %w", err)
	}
	var errs []error
	for _, r := range executing {
		if r.JobID != "" {
			errs = append(errs, s.resume(ctx, r, now, exclusive))
			continue
		}
		ctx := logging.WithRequestID(ctx, r.ID)
		t := Transition{From: Executing, To: Unknown, At: s.p.Now().UTC(),
			Note:   "the bot stopped while the kill was in flight",
			Result: &Result{Detail: "the bot stopped while the kill was in flight; DCS may or may not have killed the sessions"}}
		gone := s.workerGone(now, exclusive)
		t.IfAbandoned = &gone
		won, err := s.p.Store.Apply(ctx, r.ID, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", r.ID, err))
			continue
		}
		if won {
			s.finished(Executing, Unknown)
			s.log.WarnContext(ctx, "request found executing after a stop: outcome unknown")
			s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteRecovered})
		}
	}
	return errors.Join(errs...)
}

func (s *Service) reloadAndNotify(ctx context.Context, id string, n Note) {
	r, err := s.p.Store.Get(ctx, id)
	if err != nil {
		s.log.ErrorContext(ctx, "reload request to report it", "err", err)
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
	s.killsFirst.wait()
	if err := s.p.Notifier.Thread(ctx, r, n); err != nil {
		s.log.ErrorContext(ctx, "reply in thread", "note", n.Kind, "err", err)
	}
	if err := s.p.Notifier.Update(ctx, r); err != nil {
		s.log.ErrorContext(ctx, "update approval message", "err", err)
	}
	s.updateApproverMessages(ctx, r)
}

// Remind posts one reminder in the thread of each request still pending
// after half its TTL, mentioning its approvers; when its instance notifies
// approvers by direct message, the reminder goes by direct message to each
// approver messaged who has not approved. Safe on every replica: the store
// lets one caller mark each request.
func (s *Service) Remind(ctx context.Context) error {
	now := s.p.Now().UTC()
	pending, err := s.p.Store.List(ctx, ListFilter{States: []State{Pending}, Limit: 1000})
	if err != nil {
		return fmt.Errorf("list pending requests: %w", err)
	}
	var errs []error
	for _, r := range pending {
		half := r.CreatedAt.Add(r.ExpiresAt.Sub(r.CreatedAt) / 2)
		if !r.RemindedAt.IsZero() || now.Before(half) || !now.Before(r.ExpiresAt) || r.MessageTS == "" {
			continue
		}
		won, err := s.p.Store.MarkReminded(ctx, r.ID, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("mark %s reminded: %w", r.ID, err))
			continue
		}
		if !won {
			continue
		}
		if s.messagesApprovers(r) {
			reminded, err := s.remindApprovers(ctx, r)
			errs = append(errs, err)
			if reminded {
				continue
			}
		}
		n := Note{Kind: NoteReminder, Mention: s.PolicyFor(r.Instance.Alias).Approvers}
		if err := s.p.Notifier.Thread(ctx, r, n); err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", r.ID, err))
		}
	}
	return errors.Join(errs...)
}
