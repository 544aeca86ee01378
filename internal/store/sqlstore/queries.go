package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dcsbot/internal/approvals"
)

// ListStale returns the requests in state whose deadline (ExpiresAt for
// Pending, UpdatedAt otherwise) is at or before before, oldest deadline
// first; limit <= 0 means all of them.
func (s *Store) ListStale(ctx context.Context, state approvals.State, before time.Time, limit int) ([]*approvals.Request, error) {
	col := "updated_at"
	if state == approvals.Pending {
		col = "expires_at"
	}
	q := `SELECT * FROM requests WHERE state = ? AND ` + col + ` <= ? ORDER BY ` + col + `, id`
	args := []any{string(state), s.d.time(before)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rs, err := s.listRequests(ctx, q, "r."+col+", r.id", args)
	if err != nil {
		return nil, fmt.Errorf("list stale %s requests: %w", state, err)
	}
	return rs, nil
}

// List returns the newest requests first (by creation, or by the last
// state change with f.ByUpdate), filtered by f, at most f.Limit
// (DefaultListLimit if zero, never more than MaxListLimit).
func (s *Store) List(ctx context.Context, f approvals.ListFilter) ([]*approvals.Request, error) {
	var where []string
	var args []any
	if f.InstanceAlias != "" {
		where = append(where, "instance_alias = ?")
		args = append(args, f.InstanceAlias)
	}
	if f.Requester != "" {
		where = append(where, "requester = ?")
		args = append(args, f.Requester)
	}
	if len(f.Instances) > 0 {
		where = append(where, "instance_alias IN (?"+strings.Repeat(", ?", len(f.Instances)-1)+")")
		for _, a := range f.Instances {
			args = append(args, a)
		}
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if f.Scope != nil {
		cond, scopeArgs := scopeCondition(*f.Scope)
		if cond == "" {
			return nil, nil // an empty scope holds nothing
		}
		where = append(where, cond)
		args = append(args, scopeArgs...)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	q := `SELECT * FROM requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	col := "created_at"
	if f.ByUpdate {
		col = "updated_at"
	}
	q += ` ORDER BY ` + col + ` DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rs, err := s.listRequests(ctx, q, "r."+col+" DESC, r.id DESC", args)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return rs, nil
}

// scopeCondition is the WHERE condition of a scope and its arguments; ""
// for an empty scope.
func scopeCondition(sc approvals.Scope) (string, []any) {
	var or []string
	var args []any
	if len(sc.Instances) > 0 {
		or = append(or, "instance_alias IN (?"+strings.Repeat(", ?", len(sc.Instances)-1)+")")
		for _, a := range sc.Instances {
			args = append(args, a)
		}
	}
	if sc.Requester != "" {
		or = append(or, "requester = ?")
		args = append(args, sc.Requester)
	}
	if len(or) == 0 {
		return "", nil
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// listRequests reads the requests selected by sub (a query of whole requests
// rows) with their approvals, in one statement and so one snapshot. order is
// sub's order over the columns of r.
func (s *Store) listRequests(ctx context.Context, sub, order string, args []any) ([]*approvals.Request, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rows, err := s.query(ctx, s.read, `SELECT `+requestColumns+`, `+approvalColumns+`
FROM (`+sub+`) r LEFT JOIN approvals a ON a.request_id = r.id
ORDER BY `+order+`, a.at, a.seq`, args...)
	if err != nil {
		return nil, err
	}
	return scanRequests(rows)
}

// Count returns how many requests are in state.
func (s *Store) Count(ctx context.Context, state approvals.State) (int, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	var n int
	err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM requests WHERE state = ?`, string(state)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s requests: %w", state, err)
	}
	return n, nil
}

// Events returns the request's audit trail, oldest first (ties in the order
// they were recorded), or ErrNotFound.
func (s *Store) Events(ctx context.Context, id string) ([]approvals.Event, error) {
	evs, err := s.events(ctx, id)
	if err == nil && len(evs) == 0 {
		// Every request has its "requested" event; none means no request.
		err = approvals.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("events of request %s: %w", id, err)
	}
	return evs, nil
}

func (s *Store) events(ctx context.Context, id string) ([]approvals.Event, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rows, err := s.query(ctx, s.read, `SELECT request_id, at, actor, kind, detail FROM events
WHERE request_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []approvals.Event
	for rows.Next() {
		var e approvals.Event
		if err := rows.Scan(&e.RequestID, timeScanner{&e.At}, &e.Actor, &e.Kind, &e.Detail); err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, rows.Err()
}
