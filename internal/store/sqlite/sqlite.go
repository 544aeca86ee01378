// Package sqlite is approvals.Store on a SQLite file, through the pure-Go
// driver modernc.org/sqlite. It is meant for a single bot process: one
// connection writes, through one writer that commits the transactions
// waiting at the same moment together (group commit: one fsync for the
// lot, each caller learning its own outcome); reads have connections of
// their own (WAL lets them read while the writer writes). The file is
// locked against other processes with immediate write transactions and a
// busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"dcsbot/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dsnParams are the connection settings Open adds to every DSN: WAL, a busy
// timeout and immediate (write-locking) transactions so that a second process
// on the file waits instead of failing, foreign keys, and synchronous=FULL so
// that a committed transition (say, into executing) survives a power cut.
const dsnParams = "_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=1&_synchronous=FULL"

var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	TimeValue: func(t time.Time) any { return t.UnixMicro() },
}

// Store is approvals.Store on SQLite. Close closes the database.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

// Open opens (creating it and its directory if needed) the SQLite database at
// dsn, a file path or a "file:" URI, and applies the migrations it lacks.
// logger may be nil.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("store", "sqlite")
	full, err := connString(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", full)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
	}
	// One write connection: writes run one at a time, so no goroutine of
	// this process ever meets SQLITE_BUSY, and a transaction's reads and
	// writes see no other writer.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, db, goose.DialectSQLite3, fsys, logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", dsn, err)
	}
	// Reads have connections of their own: in WAL mode they read the last
	// commit while the writer writes, instead of waiting behind it.
	reader, err := sql.Open("sqlite", full)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
	}
	reader.SetMaxOpenConns(readConns)
	reader.SetMaxIdleConns(readConns)
	reader.SetConnMaxIdleTime(0)
	reader.SetConnMaxLifetime(0)
	st := sqlstore.NewWith(db, dialect, sqlstore.Options{Reader: reader, GroupCommit: true})
	return &Store{Store: st, db: db}, nil
}

// readConns is how many connections serve reads.
const readConns = 2

// connString turns dsn into a "file:" URI with dsnParams. A plain path has
// its parent directory created.
func connString(dsn string) (string, error) {
	if dsn == "" {
		return "", fmt.Errorf("sqlite: empty database path")
	}
	if strings.HasPrefix(dsn, "file:") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + dsnParams, nil
	}
	path, err := filepath.Abs(dsn)
	if err != nil {
		return "", fmt.Errorf("sqlite: database path %s: %w", dsn, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("sqlite: database directory: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: dsnParams}
	return u.String(), nil
}
