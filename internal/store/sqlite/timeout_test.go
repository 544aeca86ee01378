package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"dcsbot/internal/store/storetest"
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
	storetest.CallsGiveUp(t, s, "r", false)
	release()
	storetest.WorksAgain(t, s, "r")
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
	return storetest.HoldLock(t, conn, heldFor, "BEGIN IMMEDIATE")
}

func TestOpenRefusesNoTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dcsbot.db")
	if s, err := Open(t.Context(), path, nil, Options{}); err == nil {
		s.Close()
		t.Fatal("Open without a statement timeout succeeded")
	}
}
