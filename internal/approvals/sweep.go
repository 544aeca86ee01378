package approvals

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
