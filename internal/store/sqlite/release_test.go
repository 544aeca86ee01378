package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"dcsbot/internal/store/storetest"
)

// A database made by the first release, whose migration files had other
// names (goose tracks versions by number), opens and migrates, and keeps
// what it held.
func TestMigrateReleaseDatabase(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "release-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dcsbot.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTemp(t, path)
	storetest.CheckReleaseV1(t, s)
	storetest.CheckMigratedToLatest(t, s.db, "migrations")
}
