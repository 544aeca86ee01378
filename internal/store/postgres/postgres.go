// Package postgres is approvals.Store on PostgreSQL, through pgx's
// database/sql driver. Any number of bot replicas may share one database:
// migrations run under a session advisory lock, and every state change is a
// conditional update (see sqlstore).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"dcsbot/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Connection pool settings of a Store.
const (
	maxOpenConns = 16
	maxIdleConns = 4
	// defaultConnectTimeout bounds each connection attempt when the DSN
	// sets no connect_timeout.
	defaultConnectTimeout = 10 * time.Second
)

var dialect = sqlstore.Dialect{
	Name:           "postgres",
	NumberedParams: true,
	TimeValue:      func(t time.Time) any { return t },
	LockRow:        "FOR UPDATE",
}

// Store is approvals.Store on PostgreSQL. Close closes its connections.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

// Options are how Open sets up the store.
type Options struct {
	// StatementTimeout bounds each call's work on the database (see
	// sqlstore.Options). A statement still running then is cancelled on
	// the server too. Required.
	StatementTimeout time.Duration
}

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; search_path picks the schema) and applies the migrations it lacks.
// Replicas starting together migrate one at a time. Errors never show the
// DSN's password. logger may be nil.
func Open(ctx context.Context, dsn string, logger *slog.Logger, o Options) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("store", "postgres")
	so := sqlstore.Options{StatementTimeout: o.StatementTimeout}
	if err := so.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN with the password masked as best it
		// can; a malformed DSN defeats that, so say nothing of its content.
		return nil, errors.New("postgres: cannot parse the DSN (not shown, as it may hold a password)")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	cfg.BuildContextWatcherHandler = cancelOnServer
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)

	s, err := open(ctx, db, target(cfg), logger, so)
	if err != nil {
		db.Close()
		return nil, redact(err, cfg.Password)
	}
	return s, nil
}

func open(ctx context.Context, db *sql.DB, target string, logger *slog.Logger, o sqlstore.Options) (*Store, error) {
	if err := db.PingContext(ctx); err != nil {
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			// Keep the cause, not the ConnectError: it carries the config,
			// password included.
			err = ce.Unwrap()
		}
		return nil, fmt.Errorf("postgres: cannot connect to %s: %w", target, err)
	}
	s, err := migrate(ctx, db, logger, o)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", target, err)
	}
	return s, nil
}

// migrate applies the migrations to the schema db's search_path selects.
func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger, o sqlstore.Options) (*Store, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("current schema: %w", err)
	}
	if !schema.Valid {
		return nil, errors.New("no schema of search_path exists to hold the tables")
	}
	// One lock per schema: replicas sharing the tables take turns at
	// migrating; databases or schemas apart do not wait for each other.
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID(schema.String)),
		lock.WithLockTimeout(1, 300), // poll every second for up to five minutes
	)
	if err != nil {
		return nil, err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, db, goose.DialectPostgres, fsys, logger.With("schema", schema.String),
		goose.WithSessionLocker(locker)); err != nil {
		return nil, fmt.Errorf("schema %s: %w", schema.String, err)
	}
	st, err := sqlstore.NewWith(db, dialect, o)
	if err != nil {
		return nil, err
	}
	return &Store{Store: st, db: db}, nil
}

// cancelDeadline is how long a connection whose context ended waits for
// the server to answer its cancel request before it is closed.
const cancelDeadline = 2 * time.Second

// cancelOnServer handles a context that ends while a connection waits on
// the server (pgx's default only closes the connection's socket, and the
// server goes on with the statement, a write waiting for a lock included)
// by asking the server to cancel the statement.
func cancelOnServer(c *pgconn.PgConn) ctxwatch.Handler {
	return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelDeadline}
}

// lockID is the advisory lock migrations of schema run under.
func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dcsbot migrations " + schema))
	return int64(h.Sum64())
}

// target names the database cfg points at, for errors.
func target(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s/%s as user %s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database, cfg.User)
}

// redact returns err, or if its message shows password, a plain error with
// the password masked.
func redact(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}
