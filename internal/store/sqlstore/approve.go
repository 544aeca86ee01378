package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"dcsbot/internal/approvals"
)

// Approve records v's approval and, when the approvals by v.Counting then
// reach the request's count, moves it pending -> approved -> executing,
// in one transaction: one commit (one fsync on SQLite) for the click that
// decides. The request row is locked first (lockRequest), so approvals
// and transitions of one request are applied one after the other, and the
// conditional updates let one claim win.
func (s *Store) Approve(ctx context.Context, id string, v approvals.Vote) (approvals.Tally, error) {
	var tally approvals.Tally
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		tally, err = s.approve(ctx, tx, id, v)
		return err
	})
	if err != nil {
		return approvals.Tally{}, fmt.Errorf("approve request %s by %s: %w", id, v.Approval.User, err)
	}
	return tally, nil
}

// approve is Approve inside tx. The request is read once, and what tx
// changes is applied to that copy, which the tally returns.
func (s *Store) approve(ctx context.Context, tx *sql.Tx, id string, v approvals.Vote) (approvals.Tally, error) {
	r, err := s.lockRequest(ctx, tx, id)
	if err != nil {
		return approvals.Tally{}, err
	}
	added, err := s.addApproval(ctx, tx, r, v)
	if err != nil {
		return approvals.Tally{}, err
	}
	tally := approvals.Tally{Added: added, Counted: v.Counted(r), Request: r}
	if r.State != approvals.Pending || tally.Counted < r.ApprovalsRequired {
		return tally, nil
	}
	for _, t := range v.Claim() {
		ok, err := s.apply(ctx, tx, id, t)
		if err != nil {
			return approvals.Tally{}, fmt.Errorf("%s -> %s: %w", t.From, t.To, err)
		}
		if !ok {
			// The row is locked and was pending: this cannot happen.
			return approvals.Tally{}, fmt.Errorf("%s -> %s: the request was not in %s", t.From, t.To, t.From)
		}
	}
	tally.Claimed = true
	// What the claim changed, as a read would show it.
	r.State, r.DecidedBy = approvals.Executing, v.Approval.User
	r.UpdatedAt, r.LeaseUntil = stored(v.Approval.At), stored(v.LeaseUntil)
	return tally, nil
}

// lockRequest reads request id with its approvals inside tx, its row
// locked until tx ends, so that a concurrent transition waits for tx, and
// tx sees its outcome if it committed first. Where write transactions do
// not exclude one another (Dialect.LockRow set), a statement of its own
// takes the lock, so that the read, a later statement, sees every
// approval committed before the lock was granted.
func (s *Store) lockRequest(ctx context.Context, tx *sql.Tx, id string) (*approvals.Request, error) {
	if s.d.LockRow != "" {
		var one int
		err := s.queryRow(ctx, tx, `SELECT 1 FROM requests WHERE id = ? `+s.d.LockRow, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, approvals.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	return s.getRequest(ctx, tx, id)
}

// addApproval records v's approval of r, read by lockRequest in tx, if r
// is pending and its user has not approved it yet, with an "approval"
// event whose detail is "k of n": the request's approvals that count
// (v.Counted) with this one, of the n it requires. The approval is added
// to r.Approvals in the order a read gives (time, then order recorded).
// It reports whether it recorded one.
func (s *Store) addApproval(ctx context.Context, tx *sql.Tx, r *approvals.Request, v approvals.Vote) (bool, error) {
	a := v.Approval
	if r.State != approvals.Pending || r.ApprovedBy(a.User) {
		return false, nil
	}
	res, err := s.exec(ctx, tx, `INSERT INTO approvals (request_id, user_id, at, seq)
VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM approvals WHERE request_id = ?))
ON CONFLICT (request_id, user_id) DO NOTHING`, r.ID, a.User, s.d.time(a.At), r.ID)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	at := stored(a.At)
	i := slices.IndexFunc(r.Approvals, func(x approvals.Approval) bool { return x.At.After(at) })
	if i < 0 {
		i = len(r.Approvals)
	}
	r.Approvals = slices.Insert(r.Approvals, i, approvals.Approval{User: a.User, At: at})
	return true, s.addEvent(ctx, tx, approvals.Event{
		RequestID: r.ID, At: a.At, Actor: a.User, Kind: approvals.EventApproval,
		Detail: fmt.Sprintf("%d of %d", v.Counted(r), r.ApprovalsRequired),
	})
}

// stored is t as a time column gives it back: UTC, at Precision; the zero
// time for NULL.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(Precision)
}
