package postgres

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dcsbot/internal/store/pgtest"
	"dcsbot/internal/store/storetest"
)

// A database made by the first release, whose migration files had other
// names (goose tracks versions by number), opens and migrates, and keeps
// what it held.
func TestMigrateReleaseDatabase(t *testing.T) {
	dsn := freshSchema(t)
	schema := searchPath(t, dsn)
	dump, err := os.ReadFile(filepath.Join("testdata", "release-v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(strings.Replace(string(dump), "CREATE SCHEMA release_v1;", "", 1), "release_v1.", schema+".")
	db, err := sql.Open("pgx", pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), script); err != nil {
		t.Fatalf("restore the release's database: %v", err)
	}
	s, err := Open(t.Context(), dsn, nil, testOptions)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	storetest.CheckReleaseV1(t, s)
	storetest.CheckMigratedToLatest(t, s.db, "migrations")
}

// searchPath is the schema a FreshSchema DSN points at.
func searchPath(t *testing.T, dsn string) string {
	t.Helper()
	i := strings.Index(dsn, "search_path=")
	if i < 0 {
		t.Fatalf("no search_path in the test DSN")
	}
	name, _, _ := strings.Cut(dsn[i+len("search_path="):], "&")
	return name
}
