package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the test.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// A port nothing listens on: the ping fails at once.
const closedDSN = "postgres://tester:hunter2-secret@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"

func TestSkipNamesDSNAndErrorAndIsLogged(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.txt")
	t.Setenv("CI", "")
	t.Setenv(EnvDSN, closedDSN)
	t.Setenv(EnvSkipLog, log)
	loud = sync.Once{}

	for range 2 { // the second skip in a process is quiet and not logged again
		r := &recorder{TB: t}
		DSN(r)
		if r.skipped == "" || r.fatal != "" {
			t.Fatalf("skipped %q, fatal %q: want a skip", r.skipped, r.fatal)
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(b))
	if strings.Count(line, "\n") != 0 {
		t.Errorf("skip log has more than one line:\n%s", line)
	}
	for _, want := range []string{"SKIPPING POSTGRESQL TESTS", "postgres://tester@127.0.0.1:1/test", "refused", "database named test"} {
		if !strings.Contains(line, want) {
			t.Errorf("skip line %q does not contain %q", line, want)
		}
	}
	if strings.Contains(line, "hunter2") {
		t.Errorf("skip line shows the password: %q", line)
	}
}

func TestCIFailsInsteadOfSkipping(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv(EnvDSN, closedDSN)
	r := &recorder{TB: t}
	DSN(r)
	if !strings.Contains(r.fatal, "CI must run the PostgreSQL tests") || !strings.Contains(r.fatal, "127.0.0.1:1") {
		t.Errorf("fatal = %q, want the DSN tried and the CI rule", r.fatal)
	}
	if strings.Contains(r.fatal, "hunter2") {
		t.Errorf("failure shows the password: %q", r.fatal)
	}
}

func TestWithoutPassword(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:pw-secret@db.example:5433/app?sslmode=disable":     "postgres://u@db.example:5433/app",
		"host=db.example port=5432 user=u password=pw-secret dbname=app": "postgres://u@db.example:5432/app",
		"postgres://u:pw-secret@[::1]:5432/app":                          "postgres://u@[::1]:5432/app",
		"postgres://%zz":                                                 "the DSN in " + EnvDSN + " (unparsable)",
	} {
		if got := withoutPassword(dsn); got != want {
			t.Errorf("withoutPassword(%q) = %q, want %q", dsn, got, want)
		}
	}
}
