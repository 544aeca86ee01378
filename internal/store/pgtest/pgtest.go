// Package pgtest gives tests an isolated PostgreSQL schema on the database
// named by DCSBOT_TEST_POSTGRES_DSN (which `make test` sets).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvDSN names the variable holding the test database's DSN.
const EnvDSN = "DCSBOT_TEST_POSTGRES_DSN"

const howTo = EnvDSN + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable make test"

// DSN returns the test database's DSN. Without a usable database it skips
// the test with one loud line, except in CI (CI set), where it fails: CI
// must run the PostgreSQL tests.
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
		unavailable(t, "the database in "+EnvDSN+" does not answer")
	}
	return dsn
}

// loud makes the first skip of a test process say how to run the tests;
// the others say only that they skipped.
var loud sync.Once

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s, and CI must run the PostgreSQL tests", why)
	}
	msg := "skipped: no PostgreSQL (see the first SKIPPING line)"
	loud.Do(func() { msg = fmt.Sprintf("SKIPPING POSTGRESQL TESTS (%s): run them with %s", why, howTo) })
	t.Skip(msg)
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
