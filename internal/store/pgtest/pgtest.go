// Package pgtest gives tests an isolated PostgreSQL schema on the database
// named by DCSBOT_TEST_POSTGRES_DSN (which `make test` sets).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvDSN names the variable holding the test database's DSN.
const EnvDSN = "DCSBOT_TEST_POSTGRES_DSN"

const howTo = EnvDSN + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable make test"

// EnvSkipLog names a file to which the first skip in each test process
// appends its line. `make test` sets it and prints the file after the run:
// go test shows a passing package's skips only with -v.
const EnvSkipLog = "DCSBOT_TEST_SKIP_LOG"

// DSN returns the test database's DSN. Without a usable database it skips
// the test with one loud line naming the DSN tried (without its password)
// and what failed, except in CI (CI set), where it fails: CI must run the
// PostgreSQL tests.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		unavailable(t, EnvDSN+" is not set")
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		unavailable(t, fmt.Sprintf("%s: %v", withoutPassword(dsn), err))
	}
	return dsn
}

// withoutPassword shows where dsn points (user, host, port, database) and
// nothing else.
func withoutPassword(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "the DSN in " + EnvDSN + " (unparsable)"
	}
	return fmt.Sprintf("postgres://%s@%s/%s", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

// loud makes the first skip of a test process say why and how to run the
// tests; the others say only that they skipped.
var loud sync.Once

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s, and CI must run the PostgreSQL tests", why)
	}
	msg := "skipped: no PostgreSQL (see the first SKIPPING line)"
	loud.Do(func() {
		msg = fmt.Sprintf("SKIPPING POSTGRESQL TESTS: %s. Run them with a database named test: %s", why, howTo)
		logSkip(msg)
	})
	t.Skip(msg)
}

// logSkip appends line to the file named by EnvSkipLog, if set.
func logSkip(line string) {
	path := os.Getenv(EnvSkipLog)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %s: %v\n", EnvSkipLog, err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

// FreshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema.
func FreshSchema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	name := "t_" + strings.ToLower(rand.Text()[:16])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + name + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return WithSearchPath(t, dsn, name)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
