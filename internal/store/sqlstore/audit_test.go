package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
	"dcsbot/internal/store/pgtest"
	"dcsbot/internal/store/postgres"
)

// On PostgreSQL an event's ID is drawn before its transaction commits: with
// event 2 uncommitted and event 3 committed, RecordsAfter(1) must wait for 2
// rather than return 3 alone (after which a shipper would never ship 2).
func TestRecordsAfterWaitsForUncommittedEvents(t *testing.T) {
	ctx := t.Context()
	s, raw := openPostgres(t)
	createRequest(t, s, "r1") // event 1
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (request_id, at, kind) VALUES ('r1', now(), 'approval')`); err != nil {
		t.Fatal(err) // event 2, not committed
	}
	createRequest(t, s, "r2") // event 3

	type result struct {
		recs []audit.Record
		err  error
	}
	got := make(chan result, 1)
	go func() {
		recs, err := s.RecordsAfter(ctx, 1, 10)
		got <- result{recs, err}
	}()
	// Wait until the read waits for the writer, or returns too early.
	for waiting := false; !waiting; {
		select {
		case r := <-got:
			t.Fatalf("RecordsAfter(1) returned %v, %v while event 2 was uncommitted; it should wait for it", seqs(r.recs), r.err)
		default:
		}
		err := raw.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'events'::regclass AND NOT granted)`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if !waiting {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || len(r.recs) != 2 || r.recs[0].Seq != 2 || r.recs[1].Seq != 3 {
		t.Fatalf("RecordsAfter(1) = %v, %v; want events 2 and 3", seqs(r.recs), r.err)
	}
}

// A writer that never commits makes RecordsAfter fail, after a bounded
// wait, rather than hold every other writer behind its lock request.
func TestRecordsAfterGivesUpOnAStuckWriter(t *testing.T) {
	ctx := t.Context()
	s, raw := openPostgres(t)
	createRequest(t, s, "r1")
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (request_id, at, kind) VALUES ('r1', now(), 'approval')`); err != nil {
		t.Fatal(err)
	}
	_, err = s.RecordsAfter(context.WithoutCancel(ctx), 0, 10)
	var st interface{ SQLState() string }
	if !errors.As(err, &st) || st.SQLState() != "55P03" {
		t.Fatalf("RecordsAfter behind a stuck writer: %v, want a lock timeout", err)
	}
}

// openPostgres opens a store on a fresh schema, and a plain connection pool
// to the same schema, both closed when the test ends.
func openPostgres(t *testing.T) (*postgres.Store, *sql.DB) {
	t.Helper()
	dsn := pgtest.FreshSchema(t)
	s, err := postgres.Open(t.Context(), dsn, nil, postgres.Options{StatementTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return s, raw
}

func createRequest(t *testing.T, s *postgres.Store, id string) {
	t.Helper()
	now := time.Now()
	err := s.Create(t.Context(), &approvals.Request{ID: id, Requester: "U1", Instance: approvals.Instance{Alias: "a", ID: "i"},
		Addrs: []string{"10.0.0.1:1"}, ApprovalsRequired: 1, CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
}

func seqs(recs []audit.Record) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Seq)
	}
	return out
}
