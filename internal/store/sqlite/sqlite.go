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
// timeout (%d, in milliseconds: see busyWait) and immediate (write-locking)
// transactions so that a second process on the file waits instead of
// failing, foreign keys, and synchronous=FULL so that a committed
// transition (say, into executing) survives a power cut.
const dsnParams = "_journal_mode=WAL&_busy_timeout=%d&_txlock=immediate&_foreign_keys=1&_synchronous=FULL"

// busyWait is how long a transaction waits for another process's write
// lock on the file: half the statement timeout, so that a transaction
// that got the lock late still has time for its work, and one that did
// not get it fails as "database is locked" rather than as a timeout.
func busyWait(statementTimeout time.Duration) time.Duration { return statementTimeout / 2 }

var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	TimeValue: func(t time.Time) any { return t.UnixMicro() },
}

// Store is approvals.Store on SQLite. Close closes the database.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

// Options are how Open sets up the store.
type Options struct {
	// StatementTimeout bounds each call's work on the database (see
	// sqlstore.Options); the wait for another process's write lock on the
	// file is half of it. Required.
	StatementTimeout time.Duration
}

// Open opens (creating it and its directory if needed) the SQLite database at
// dsn, a file path or a "file:" URI, and applies the migrations it lacks.
// logger may be nil.
func Open(ctx context.Context, dsn string, logger *slog.Logger, o Options) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("store", "sqlite")
	so := sqlstore.Options{StatementTimeout: o.StatementTimeout, GroupCommit: true}
	if err := so.Validate(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	full, err := connString(dsn, busyWait(o.StatementTimeout))
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
	so.Reader = reader
	st, err := sqlstore.NewWith(db, dialect, so)
	if err != nil {
		db.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &Store{Store: st, db: db}, nil
}

// readConns is how many connections serve reads.
const readConns = 2

// connString turns dsn into a "file:" URI with dsnParams, busy waiting
// for busy. A plain path has its parent directory created.
func connString(dsn string, busy time.Duration) (string, error) {
	params := fmt.Sprintf(dsnParams, busy.Milliseconds())
	if dsn == "" {
		return "", fmt.Errorf("sqlite: empty database path")
	}
	if strings.HasPrefix(dsn, "file:") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + params, nil
	}
	path, err := filepath.Abs(dsn)
	if err != nil {
		return "", fmt.Errorf("sqlite: database path %s: %w", dsn, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("sqlite: database directory: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params}
	return u.String(), nil
}
