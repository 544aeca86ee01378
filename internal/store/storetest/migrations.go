package storetest

import (
	"database/sql"
	"os"
	"strconv"
	"strings"
	"testing"
)

// LastMigration returns the highest version among the goose migration
// files in dir (NNNNN_name.sql).
func LastMigration(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			t.Fatalf("%s/%s is not a migration file", dir, e.Name())
		}
		last = max(last, n)
	}
	return last
}

// CheckMigratedToLatest checks that db's goose version table ends at the
// last migration in dir.
func CheckMigratedToLatest(t *testing.T, db *sql.DB, dir string) {
	t.Helper()
	var latest int
	if err := db.QueryRowContext(t.Context(), `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&latest); err != nil {
		t.Fatal(err)
	}
	if want := LastMigration(t, dir); latest != want {
		t.Errorf("migrated to version %d, want %d", latest, want)
	}
}
