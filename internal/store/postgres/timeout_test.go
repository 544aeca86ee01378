package postgres

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/store/storetest"
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
	storetest.CallsGiveUp(t, s, "r", true)
	var waiting int
	err = raw.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_locks
WHERE NOT granted AND relation = 'requests'::regclass`).Scan(&waiting)
	if err != nil || waiting != 0 {
		t.Errorf("%d statements still wait for the lock on the server (%v), want none", waiting, err)
	}
	release()
	storetest.WorksAgain(t, s, "r")
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
	return storetest.HoldLock(t, conn, heldFor, "BEGIN", "LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")
}

func TestOpenRefusesNoTimeout(t *testing.T) {
	_, err := Open(t.Context(), "postgres://dcsbot@127.0.0.1:1/dcsbot", nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("Open without a statement timeout: %v, want it refused", err)
	}
}
