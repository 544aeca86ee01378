package storetest

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// HoldLock runs stmts (which take a lock) on conn, and returns what
// releases it, by ROLLBACK and closing conn, once: after heldFor, or when
// the test ends, if not before. A backend's test of a hung database uses
// it to hold the lock its store calls need.
func HoldLock(t *testing.T, conn *sql.Conn, heldFor time.Duration, stmts ...string) (release func()) {
	t.Helper()
	for _, q := range stmts {
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

// CallsGiveUp checks that each of s's calls on request id, made while
// another connection holds a lock they need, fails rather than waits for
// it, whatever its context. reads says whether reads need the lock too
// (a PostgreSQL table lock) or not (SQLite's write lock, readers in WAL).
func CallsGiveUp(t *testing.T, s approvals.Store, id string, reads bool) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // as the lifecycle calls the store
	now := time.Now()
	deny := approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: now, Actor: "U2"}
	calls := map[string]func() error{
		"Apply": func() error { _, err := s.Apply(ctx, id, deny); return err },
		"Approve": func() error {
			_, err := s.Approve(ctx, id, approvals.Vote{Approval: approvals.Approval{User: "U3", At: now}})
			return err
		},
		"MarkReminded": func() error { _, err := s.MarkReminded(ctx, id, now); return err },
		"SetMessage":   func() error { return s.SetMessage(ctx, id, "C1", "1.2") },
	}
	if reads {
		calls["Get"] = func() error { _, err := s.Get(ctx, id); return err }
		calls["List"] = func() error { _, err := s.List(ctx, approvals.ListFilter{}); return err }
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s behind a held lock succeeded: it waited for the lock", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// WorksAgain checks that s denies pending request id once the lock is free.
func WorksAgain(t *testing.T, s approvals.Store, id string) {
	t.Helper()
	deny := approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: time.Now(), Actor: "U2"}
	if ok, err := s.Apply(context.WithoutCancel(t.Context()), id, deny); err != nil || !ok {
		t.Fatalf("Apply once the lock is free: %v, %v", ok, err)
	}
}
