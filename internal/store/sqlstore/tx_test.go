package sqlstore

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// A statement first used inside a transaction on the one write connection
// does not wait for that connection (it is prepared in the background);
// once prepared it is used, inside and outside transactions, and gives
// the same answers.
func TestPreparedStatements(t *testing.T) {
	db, _ := openCommitted(t)
	s := newStore(t, db, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const ins, count = `INSERT INTO t (k) VALUES (?)`, `SELECT COUNT(*) FROM t WHERE k <> ?`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.exec(ctx, tx, ins, "a"); err != nil {
		t.Fatalf("first use in a transaction: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.prepared(ctx, db, ins) == nil || s.prepared(ctx, db, count) == nil {
		if time.Now().After(deadline) {
			t.Fatal("statements not prepared")
		}
		time.Sleep(time.Millisecond)
	}
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.exec(ctx, tx, ins, "b"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.queryRow(ctx, tx, count, "none").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count in the transaction: %d, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.queryRow(ctx, db, count, "a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count outside: %d, %v", n, err)
	}
	if len(s.stmts.m) != 2 {
		t.Fatalf("%d statements kept, want 2", len(s.stmts.m))
	}
}

// A statement whose preparing cannot have the one write connection (a
// transaction holds it) gives up once the statement timeout has passed,
// and is prepared on a later use.
func TestPrepareGivesUp(t *testing.T) {
	db, _ := openCommitted(t)
	s := newStore(t, db, 100*time.Millisecond)
	ctx := context.Background()
	const q = `SELECT COUNT(*) FROM t`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.queryRow(ctx, tx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	waitPrepared(t, s, func() bool { return len(s.stmts.pending) == 0 }, "the preparing still waits for the connection")
	if len(s.stmts.m) != 0 {
		t.Fatalf("%d statements kept, want none", len(s.stmts.m))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.prepared(ctx, db, q)
	waitPrepared(t, s, func() bool { return len(s.stmts.m) == 1 }, "not prepared once the connection was free")
}

// newStore is a Store over db with the given statement timeout.
func newStore(t *testing.T, db *sql.DB, timeout time.Duration) *Store {
	t.Helper()
	s, err := NewWith(db, Dialect{Name: "sqlite"}, Options{StatementTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stmts.close() })
	return s
}

// waitPrepared waits until done, under s.stmts' lock, holds.
func waitPrepared(t *testing.T, s *Store, done func() bool, fail string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.stmts.mu.Lock()
		ok := done()
		s.stmts.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(fail)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNewRefusesNoTimeout(t *testing.T) {
	db, _ := openCommitted(t)
	if _, err := NewWith(db, Dialect{Name: "sqlite"}, Options{}); err == nil {
		t.Fatal("NewWith without a statement timeout succeeded")
	}
}
