package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/store/storetest"
)

// testOptions are the options of the tests' stores: their busy wait is
// 10 s.
var testOptions = Options{StatementTimeout: 20 * time.Second}

func openTemp(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, nil, testOptions)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) approvals.Store {
		return openTemp(t, filepath.Join(t.TempDir(), "dcsbot.db"))
	})
}

func TestAuditConformance(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditStore { return openTemp(t, filepath.Join(t.TempDir(), "dcsbot.db")) })
}

func request(id string) *approvals.Request {
	now := time.Now().UTC()
	return &approvals.Request{
		ID: id, Requester: "U1", Instance: approvals.Instance{Alias: "a", ID: "i"},
		Addrs: []string{"10.0.0.1:1"}, ApprovalsRequired: 1, CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
}

// A restart finds what the previous process stored, and does not migrate
// again.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "dir", "dcsbot.db") // directories created
	s, err := Open(ctx, path, nil, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, request("kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, "kept", approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: time.Now(), Actor: "U2"}); err != nil {
		t.Fatal(err)
	}
	versions := migrationRows(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s := openTemp(t, path)
		r, err := s.Get(ctx, "kept")
		if err != nil {
			t.Fatalf("after reopening: %v", err)
		}
		if r.State != approvals.Approved || r.DecidedBy != "U2" {
			t.Errorf("after reopening: state %s decided by %q", r.State, r.DecidedBy)
		}
		if got := migrationRows(t, s); got != versions {
			t.Errorf("goose_db_version has %d rows after reopening, %d before", got, versions)
		}
		s.Close()
	}
}

func migrationRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 2 { // version 0 and at least one migration
		t.Fatalf("goose_db_version has %d rows", n)
	}
	return n
}

func TestOpenFileURIAndPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uri.db")
	s := openTemp(t, "file:"+path)
	if err := s.Create(t.Context(), request("x")); err != nil {
		t.Fatal(err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "2"} {
		var got string
		if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	// Reopening by plain path finds the same database.
	s.Close()
	if _, err := openTemp(t, path).Get(t.Context(), "x"); err != nil {
		t.Errorf("reopening %s by path: %v", path, err)
	}
}

func TestOpenError(t *testing.T) {
	// A directory where the file should be.
	if s, err := Open(t.Context(), t.TempDir(), nil, testOptions); err == nil {
		s.Close()
		t.Fatal("Open on a directory succeeded")
	}
	if _, err := Open(t.Context(), "", nil, testOptions); err == nil {
		t.Fatal("Open with an empty path succeeded")
	}
}
