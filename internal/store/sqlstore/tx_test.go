package sqlstore

import (
	"context"
	"testing"
	"time"
)

// A statement first used inside a transaction on the one write connection
// does not wait for that connection (it is prepared in the background);
// once prepared it is used, inside and outside transactions, and gives
// the same answers.
func TestPreparedStatements(t *testing.T) {
	db, _ := openCommitted(t)
	s := New(db, Dialect{Name: "sqlite"})
	t.Cleanup(func() { s.stmts.close() })
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
