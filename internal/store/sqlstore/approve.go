package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
)

// Approve records v's approval and, when the approvals by v.Counting then
// reach the request's count, moves it pending -> approved -> executing,
// in one transaction: one commit (one fsync on SQLite) for the click that
// decides. The request row is locked first (addApproval), so approvals
// and transitions of one request are applied one after the other, and the
// conditional updates let one claim win.
func (s *Store) Approve(ctx context.Context, id string, v approvals.Vote) (approvals.Tally, error) {
	var tally approvals.Tally
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added, _, state, err := s.addApproval(ctx, tx, id, v.Approval)
		if err != nil {
			return err
		}
		r, err := s.getRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		tally = approvals.Tally{Added: added, Counted: v.Counted(r), Request: r}
		if state != approvals.Pending || tally.Counted < r.ApprovalsRequired {
			return nil
		}
		for _, t := range v.Claim() {
			ok, err := s.apply(ctx, tx, id, t)
			if err != nil {
				return fmt.Errorf("%s -> %s: %w", t.From, t.To, err)
			}
			if !ok {
				// The row is locked and was pending: this cannot happen.
				return fmt.Errorf("%s -> %s: the request was not in %s", t.From, t.To, t.From)
			}
		}
		tally.Claimed = true
		// What the claim changed, as a read would show it.
		r.State, r.DecidedBy = approvals.Executing, v.Approval.User
		r.UpdatedAt, r.LeaseUntil = stored(v.Approval.At), stored(v.LeaseUntil)
		return nil
	})
	if err != nil {
		return approvals.Tally{}, fmt.Errorf("approve request %s by %s: %w", id, v.Approval.User, err)
	}
	return tally, nil
}

// stored is t as a time column gives it back: UTC, at Precision; the zero
// time for NULL.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(Precision)
}
