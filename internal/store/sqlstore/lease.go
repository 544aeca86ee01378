package sqlstore

import (
	"context"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
)

// RenewLease sets the lease of a request still in state, and reports
// whether it is still in state.
func (s *Store) RenewLease(ctx context.Context, id string, state approvals.State, until time.Time) (bool, error) {
	res, err := s.write(ctx, `UPDATE requests SET lease_until = ? WHERE id = ? AND state = ?`,
		s.d.time(until), id, string(state))
	if err != nil {
		return false, fmt.Errorf("renew lease of request %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew lease of request %s: %w", id, err)
	}
	return n == 1, nil
}

// workerGone is the condition on a request whose worker is gone, with
// two arguments: its lease ended at or before the first, or, holding no
// lease, it last changed at or before the second. ListAbandoned,
// ResumeJob and Apply's IfAbandoned share it.
const workerGone = `((lease_until IS NOT NULL AND lease_until <= ?) OR (lease_until IS NULL AND updated_at <= ?))`

// ListAbandoned returns the requests in state whose lease ended at or
// before now, or that hold no lease and last changed at or before
// unleasedBefore, oldest deadline first; limit <= 0 means all of them.
func (s *Store) ListAbandoned(ctx context.Context, state approvals.State, now, unleasedBefore time.Time, limit int) ([]*approvals.Request, error) {
	q := `SELECT * FROM requests WHERE state = ? AND ` + workerGone + `
ORDER BY COALESCE(lease_until, updated_at), id`
	args := []any{string(state), s.d.time(now), s.d.time(unleasedBefore)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rs, err := s.listRequests(ctx, q, "COALESCE(r.lease_until, r.updated_at), r.id", args)
	if err != nil {
		return nil, fmt.Errorf("list abandoned %s requests: %w", state, err)
	}
	return rs, nil
}
