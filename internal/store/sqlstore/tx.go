package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// inTx runs fn in a transaction, committed if fn returns nil, within the
// statement timeout; with group commit, in the writer's (fn's context then
// is ctx without its cancellation, once the writer has taken it, ending
// with the writer's transaction).
func (s *Store) inTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if s.commit != nil {
		return s.commit.do(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// write runs one statement that changes something, on its own or, with
// group commit, in the writer's transaction, within the statement timeout.
func (s *Store) write(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if s.commit == nil {
		return s.exec(ctx, s.db, q, args...)
	}
	var res sql.Result
	err := s.commit.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		res, err = s.exec(ctx, tx, q, args...)
		return err
	})
	return res, err
}

// execQuerier is *sql.DB or *sql.Tx.
type execQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, db execQuerier, q string, args ...any) (sql.Result, error) {
	if st := s.prepared(ctx, db, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, db execQuerier, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, db, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.QueryContext(ctx, s.d.rebind(q), args...)
}

// queryRow is query for one row.
func (s *Store) queryRow(ctx context.Context, db execQuerier, q string, args ...any) *sql.Row {
	if st := s.prepared(ctx, db, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.QueryRowContext(ctx, s.d.rebind(q), args...)
}

// maxStatements bounds the statements kept prepared; queries beyond it
// (List's rarer filter combinations) are parsed each time.
const maxStatements = 256

// statements are the store's prepared statements, by database and query:
// parsing a statement costs SQLite about as much as running it, and the
// same few dozen statements run for every request. A statement is
// prepared in the background the first time it is asked for (the one
// write connection may be held by the very transaction asking), and used
// from then on.
type statements struct {
	mu      sync.Mutex
	m       map[stmtKey]*sql.Stmt
	pending map[stmtKey]bool
	closed  bool
	timeout time.Duration // bounds the preparing of a statement
}

type stmtKey struct {
	db *sql.DB
	q  string
}

// prepared returns q prepared for db (in a transaction, for it), or nil
// when it is not prepared yet: the caller then runs q as it is.
func (s *Store) prepared(ctx context.Context, db execQuerier, q string) *sql.Stmt {
	base, tx := s.db, (*sql.Tx)(nil)
	switch v := db.(type) {
	case *sql.DB:
		base = v
	case *sql.Tx:
		tx = v
	default:
		return nil
	}
	st := s.stmts.get(stmtKey{base, q}, s.d.rebind(q))
	if st == nil || tx == nil {
		return st
	}
	return tx.StmtContext(ctx, st)
}

// get returns the statement of key, or nil after starting to prepare it
// (query is its text).
func (c *statements) get(key stmtKey, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[key]; ok {
		return st
	}
	if c.closed || c.pending[key] || len(c.m)+len(c.pending) >= maxStatements {
		return nil
	}
	if c.pending == nil {
		c.pending, c.m = map[stmtKey]bool{}, map[stmtKey]*sql.Stmt{}
	}
	c.pending[key] = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		st, err := key.db.PrepareContext(ctx, query)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.pending, key)
		switch {
		case err != nil:
			// Not kept: the query runs unprepared, and shows its error
			// there if it has one.
		case c.closed:
			st.Close()
		default:
			c.m[key] = st
		}
	}()
	return nil
}

// close closes every statement kept, and keeps no more.
func (c *statements) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}
