package postgres

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// heldFor is how long TestHeldLock holds its lock: far longer than the
// statement timeout, so that a call that waited for the lock instead of
// giving up would get it, and succeed.
const heldFor = 10 * time.Second

// A store call on a table another connection has locked gives up once the
// statement timeout has passed, whatever its context, and the server
// stops its statement too; once the lock is free, the store works.
func TestHeldLock(t *testing.T) {
	dsn := freshSchema(t)
	s, err := Open(t.Context(), dsn, nil, Options{StatementTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	r := &approvals.Request{ID: "r", Requester: "U1", Instance: approvals.Instance{Alias: "a", ID: "i"},
		Addrs: []string{"10.0.0.1:1"}, ApprovalsRequired: 2, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	release := lockRequests(t, raw)
	ctx := context.WithoutCancel(t.Context()) // as the lifecycle calls the store
	deny := approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: now, Actor: "U2"}
	for name, call := range map[string]func() error{
		"Get":   func() error { _, err := s.Get(ctx, "r"); return err },
		"List":  func() error { _, err := s.List(ctx, approvals.ListFilter{}); return err },
		"Apply": func() error { _, err := s.Apply(ctx, "r", deny); return err },
		"Approve": func() error {
			_, err := s.Approve(ctx, "r", approvals.Vote{Approval: approvals.Approval{User: "U3", At: now}})
			return err
		},
		"MarkReminded": func() error { _, err := s.MarkReminded(ctx, "r", now); return err },
		"SetMessage":   func() error { return s.SetMessage(ctx, "r", "C1", "1.2") },
	} {
		if err := call(); err == nil {
			t.Errorf("%s behind a held lock succeeded: it waited for the lock", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	var waiting int
	err = raw.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_locks
WHERE NOT granted AND relation = 'requests'::regclass`).Scan(&waiting)
	if err != nil || waiting != 0 {
		t.Errorf("%d statements still wait for the lock on the server (%v), want none", waiting, err)
	}
	release()
	if ok, err := s.Apply(ctx, "r", deny); err != nil || !ok {
		t.Fatalf("Apply once the lock is free: %v, %v", ok, err)
	}
}

// lockRequests locks the requests table against every other statement on
// a connection of db's own, and returns what releases it; it is released
// after heldFor, or when the test ends, if not before.
func lockRequests(t *testing.T, db *sql.DB) (release func()) {
	t.Helper()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"BEGIN", "LOCK TABLE requests IN ACCESS EXCLUSIVE MODE"} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Error(err)
			}
			conn.Close()
		})
	}
	timer := time.AfterFunc(heldFor, release)
	t.Cleanup(func() { timer.Stop(); release() })
	return release
}

func TestOpenRefusesNoTimeout(t *testing.T) {
	_, err := Open(t.Context(), "postgres://dcsbot@127.0.0.1:1/dcsbot", nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("Open without a statement timeout: %v, want it refused", err)
	}
}
