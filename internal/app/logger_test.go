package app_test

import (
	"bytes"
	"strings"
	"testing"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
	"dcsbot/internal/logging"
)

// NewLogger blanks every secret the configuration holds, a key=value
// postgres DSN's password and the audit webhook's key among them, and
// leaves a SQLite file name alone.
func TestNewLoggerRedacts(t *testing.T) {
	const (
		kvPassword = "kv-dsn-pass word"
		hookKey    = "audit-hook-key-never-logged"
		dbFile     = "/var/lib/dcsbot/dcsbot.db"
	)
	cfg := config.Default()
	cfg.Log.Format = "json"
	cfg.Secrets.AuditWebhookKey = hookKey
	cfg.Store = config.Store{Driver: config.StorePostgres, DSN: `host=db user=bot password='kv-dsn-pass word' dbname=dcsbot`}
	var out bytes.Buffer
	log := app.NewLogger(cfg, &out)
	log.Error("open postgres store", "err", "authentication failed with password "+kvPassword)
	log.Error("audit webhook", "key", hookKey)
	for _, secret := range []string{kvPassword, hookKey} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log shows %q:\n%s", secret, &out)
		}
	}
	if n := strings.Count(out.String(), logging.Redacted); n < 2 {
		t.Errorf("%d redactions, want one per secret logged:\n%s", n, &out)
	}

	cfg.Store = config.Store{Driver: config.StoreSQLite, DSN: dbFile}
	out.Reset()
	app.NewLogger(cfg, &out).Info("store", "file", dbFile)
	if !strings.Contains(out.String(), dbFile) {
		t.Errorf("the SQLite file name is redacted:\n%s", &out)
	}
}
