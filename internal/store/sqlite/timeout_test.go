package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// heldFor is how long the tests of a hung database hold their lock: far
// longer than the statement timeout, so that a call that waited for the
// lock instead of giving up would get it, and succeed.
const heldFor = 5 * time.Second

// A store call on a file whose write lock another connection holds gives
// up, with an error, once its busy wait (half the statement timeout) has
// passed, whatever its context; once the lock is free, the store works.
func TestHeldWriteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dcsbot.db")
	s, err := Open(t.Context(), path, nil, Options{StatementTimeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Create(t.Context(), request("r")); err != nil {
		t.Fatal(err)
	}
	var busy string
	if err := s.db.QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != "200" {
		t.Fatalf("PRAGMA busy_timeout = %s, %v; want 200", busy, err)
	}
	release := holdWriteLock(t, path)
	ctx := context.WithoutCancel(t.Context()) // as the lifecycle calls the store
	now := time.Now()
	deny := approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: now, Actor: "U2"}
	for name, call := range map[string]func() error{
		"Apply": func() error { _, err := s.Apply(ctx, "r", deny); return err },
		"Approve": func() error {
			_, err := s.Approve(ctx, "r", approvals.Vote{Approval: approvals.Approval{User: "U3", At: now}})
			return err
		},
		"MarkReminded": func() error { _, err := s.MarkReminded(ctx, "r", now); return err },
		"SetMessage":   func() error { return s.SetMessage(ctx, "r", "C1", "1.2") },
	} {
		if err := call(); err == nil {
			t.Errorf("%s behind a held write lock succeeded: it waited for the lock", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	release()
	if ok, err := s.Apply(ctx, "r", deny); err != nil || !ok {
		t.Fatalf("Apply once the lock is free: %v, %v", ok, err)
	}
}

// holdWriteLock takes the write lock of the SQLite file at path on a
// connection of its own, and returns what releases it; it is released
// after heldFor, or when the test ends, if not before.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
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
	path := filepath.Join(t.TempDir(), "dcsbot.db")
	if s, err := Open(t.Context(), path, nil, Options{}); err == nil {
		s.Close()
		t.Fatal("Open without a statement timeout succeeded")
	}
}
