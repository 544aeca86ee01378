package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
)

var (
	_ audit.Source = (*Store)(nil)
	_ audit.Cursor = (*Store)(nil)
)

// eventsReadLock is the statement RecordsAfter runs before reading, in its
// transaction, on a database where several write transactions run at once
// (LockRow set: PostgreSQL). There an event's ID is drawn when it is
// inserted, not when its transaction commits, so event 11 can be visible
// while event 10 is not yet: a reader that moved past 11 would never ship 10.
// SHARE mode waits for the transactions inserting into events to end and
// holds new ones off while the batch is read, so every ID below the largest
// one read is final. On SQLite (LockRow empty) write transactions exclude
// one another, so IDs become visible in the order they are drawn and the
// read needs no lock.
const eventsReadLock = `LOCK TABLE events IN SHARE MODE`

// eventsLockTimeout bounds how long RecordsAfter waits for that lock, and so
// how long event writers queue behind it; it tries again a few times.
const (
	eventsLockTimeout  = `SET LOCAL lock_timeout = '200ms'`
	eventsLockAttempts = 5
)

// lockNotAvailable is PostgreSQL's SQLSTATE for a lock timeout.
const lockNotAvailable = "55P03"

// RecordsAfter returns up to limit audit records of events whose ID is above
// after, in ID order. Every event with an ID below the last one returned has
// committed (or never will), so a cursor may move past it.
func (s *Store) RecordsAfter(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	var err error
	for range eventsLockAttempts {
		var recs []audit.Record
		if recs, err = s.recordsAfter(ctx, after, limit); err == nil {
			return recs, nil
		}
		var st interface{ SQLState() string }
		if !errors.As(err, &st) || st.SQLState() != lockNotAvailable {
			break
		}
	}
	return nil, fmt.Errorf("audit records after %d: %w", after, err)
}

// recordColumns are the columns scanRecord reads, from events e joined with
// their requests r.
const recordColumns = `e.id, e.kind, e.at, e.request_id, e.actor, e.detail,
r.instance_alias, r.instance_id, r.node_id, r.kind, r.addrs, r.reason, r.dry_run,
r.result_code, r.result_http_status, r.result_dcs_request_id, r.result_extra, r.job_id`

func (s *Store) recordsAfter(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	if s.d.LockRow == "" {
		return s.readRecords(ctx, s.read, after, limit)
	}
	var recs []audit.Record
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, eventsLockTimeout); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, eventsReadLock); err != nil {
			return err
		}
		var err error
		recs, err = s.readRecords(ctx, tx, after, limit)
		return err
	})
	return recs, err
}

func (s *Store) readRecords(ctx context.Context, db execQuerier, after int64, limit int) ([]audit.Record, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rows, err := s.query(ctx, db, `SELECT `+recordColumns+`
FROM events e JOIN requests r ON r.id = e.request_id
WHERE e.id > ? ORDER BY e.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []audit.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// scanRecord reads one row of recordColumns. The result columns describe
// the request's outcome, so they go on the outcome events alone.
func scanRecord(rows *sql.Rows) (audit.Record, error) {
	var (
		r           audit.Record
		addrs       string
		code, dcsID sql.NullString
		httpStatus  sql.NullInt64
		extra       sql.NullString
		jobID       string
	)
	err := rows.Scan(&r.Seq, &r.Event, timeScanner{&r.At}, &r.RequestID, &r.Actor, &r.Detail,
		&r.Instance, &r.InstanceID, &r.NodeID, &r.Kind, &addrs, &r.Reason, &r.DryRun,
		&code, &httpStatus, &dcsID, jsonText{&extra}, &jobID)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(addrs), &r.Sessions); err != nil {
		return r, fmt.Errorf("request %s: addrs: %w", r.RequestID, err)
	}
	if r.Sessions == nil {
		r.Sessions = []string{}
	}
	if !approvals.CanTransition(approvals.Executing, approvals.State(r.Event)) {
		return r, nil
	}
	r.DCSRequestID, r.ErrorCode, r.HTTPStatus = dcsID.String, code.String, int(httpStatus.Int64)
	r.JobID = jobID
	if extra.Valid {
		var x resultExtra
		if err := json.Unmarshal([]byte(extra.String), &x); err != nil {
			return r, fmt.Errorf("request %s: result: %w", r.RequestID, err)
		}
		r.Killed = x.Killed
		for _, sk := range x.Skipped {
			r.HeldBack = append(r.HeldBack, sk.Addr)
		}
	}
	return r, nil
}

// Lease takes or renews sink's lease for owner until now+ttl if the lease is
// free, expired or owner's, creating the sink's cursor at 0 if it has none,
// and returns the cursor.
func (s *Store) Lease(ctx context.Context, sink, owner string, now time.Time, ttl time.Duration) (int64, bool, error) {
	if sink == "" || owner == "" {
		return 0, false, errors.New("audit lease: empty sink or owner")
	}
	var cursor int64
	var held bool
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := s.query(ctx, tx, `INSERT INTO audit_cursors (sink, last_seq, owner, lease_until)
VALUES (?, 0, ?, ?)
ON CONFLICT (sink) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE audit_cursors.owner = excluded.owner OR audit_cursors.lease_until <= ?
RETURNING last_seq`, sink, owner, s.d.time(now.Add(ttl)), s.d.time(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		if held = rows.Next(); held {
			if err := rows.Scan(&cursor); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, false, fmt.Errorf("audit lease of %s: %w", sink, err)
	}
	return cursor, held, nil
}

// Advance moves sink's cursor from from to to if owner holds its lease and
// the cursor is still at from.
func (s *Store) Advance(ctx context.Context, sink, owner string, from, to int64) (bool, error) {
	if to < from {
		return false, fmt.Errorf("audit cursor of %s: advance from %d back to %d", sink, from, to)
	}
	res, err := s.write(ctx, `UPDATE audit_cursors SET last_seq = ?
WHERE sink = ? AND owner = ? AND last_seq = ?`, to, sink, owner, from)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return false, fmt.Errorf("advance audit cursor of %s to %d: %w", sink, to, err)
	}
	return n == 1, nil
}

// Release ends owner's lease on sink, if it holds it.
func (s *Store) Release(ctx context.Context, sink, owner string) error {
	_, err := s.write(ctx, `UPDATE audit_cursors SET lease_until = ? WHERE sink = ? AND owner = ?`,
		s.d.time(time.Unix(0, 0)), sink, owner)
	if err != nil {
		return fmt.Errorf("release audit lease of %s: %w", sink, err)
	}
	return nil
}
