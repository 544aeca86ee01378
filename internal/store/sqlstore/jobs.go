package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
)

// SetJob records jobID as the DCS job of request id and moves its
// updated_at to at, if the request is executing and has no job yet: one
// conditional UPDATE whose rows affected says whether it did.
func (s *Store) SetJob(ctx context.Context, id, jobID string, at time.Time) (bool, error) {
	if jobID == "" {
		return false, fmt.Errorf("set job of request %s: empty job ID", id)
	}
	ok, err := s.update(ctx, id, `UPDATE requests SET job_id = ?, updated_at = ?
WHERE id = ? AND state = ? AND job_id = ''`, jobID, s.d.time(at), id, string(approvals.Executing))
	if err != nil {
		return false, fmt.Errorf("set job of request %s: %w", id, err)
	}
	return ok, nil
}

// ResumeJob gives the caller the lease of request id, until until, if it
// is executing with a job and its worker is gone (see approvals.Store). Of
// several callers that found it abandoned, the first takes the lease and
// the others find nothing to change.
func (s *Store) ResumeJob(ctx context.Context, id string, leaseBefore, unleasedBefore, until time.Time) (bool, error) {
	ok, err := s.update(ctx, id, `UPDATE requests SET lease_until = ?
WHERE id = ? AND state = ? AND job_id <> '' AND `+workerGone,
		s.d.time(until), id, string(approvals.Executing), s.d.time(leaseBefore), s.d.time(unleasedBefore))
	if err != nil {
		return false, fmt.Errorf("resume job of request %s: %w", id, err)
	}
	return ok, nil
}

// update runs a conditional UPDATE of request id and reports whether it
// changed a row; ErrNotFound when there is no request id.
func (s *Store) update(ctx context.Context, id, q string, args ...any) (bool, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	res, err := s.write(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	var one int
	if err := s.queryRow(ctx, s.read, `SELECT 1 FROM requests WHERE id = ?`, id).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, approvals.ErrNotFound
		}
		return false, err
	}
	return false, nil
}
