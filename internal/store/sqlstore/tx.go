package sqlstore

import (
	"context"
	"database/sql"
)

// inTx runs fn in a transaction, committed if fn returns nil; with group
// commit, in the writer's (fn's context then is ctx without its
// cancellation, once the writer has taken it).
func (s *Store) inTx(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
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
// group commit, in the writer's transaction.
func (s *Store) write(ctx context.Context, q string, args ...any) (sql.Result, error) {
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
}

func (s *Store) exec(ctx context.Context, db execQuerier, q string, args ...any) (sql.Result, error) {
	return db.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, db execQuerier, q string, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, s.d.rebind(q), args...)
}
