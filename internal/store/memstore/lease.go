package memstore

import (
	"context"
	"time"

	"dcsbot/internal/approvals"
)

// RenewLease sets the lease of a request still in state.
func (s *Store) RenewLease(_ context.Context, id string, state approvals.State, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("RenewLease"); err != nil {
		return false, err
	}
	e, ok := s.reqs[id]
	if !ok || e.r.State != state {
		return false, nil
	}
	e.r.LeaseUntil = at(until)
	return true, nil
}

// ListAbandoned returns the requests in state whose lease ended at or
// before now, or that hold none and last changed at or before
// unleasedBefore, oldest deadline first; limit <= 0 means all.
func (s *Store) ListAbandoned(_ context.Context, state approvals.State, now, unleasedBefore time.Time, limit int) ([]*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("ListAbandoned"); err != nil {
		return nil, err
	}
	deadline := func(r *approvals.Request) time.Time {
		if r.LeaseUntil.IsZero() {
			return r.UpdatedAt
		}
		return r.LeaseUntil
	}
	var out []*approvals.Request
	for _, e := range s.reqs {
		r := e.r
		if r.State != state {
			continue
		}
		if gone(r, now, unleasedBefore) {
			out = append(out, clone(r))
		}
	}
	return byDeadline(out, deadline, limit), nil
}
