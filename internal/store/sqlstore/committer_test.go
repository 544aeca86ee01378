package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// openCommitted opens a SQLite file as the sqlite backend does (one write
// connection, WAL, synchronous=FULL) with a table t, and a committer on it.
func openCommitted(t *testing.T) (*sql.DB, *committer) {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "c.db") + "?_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_synchronous=FULL"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db, time.Minute)
	t.Cleanup(func() { c.close(); db.Close() })
	return db, c
}

func insert(k string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, k)
		return err
	}
}

func keys(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT k FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[k] = true
	}
	return out
}

// waitQueued waits until n transactions wait for the writer.
func waitQueued(t *testing.T, c *committer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.jobs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions queued, want %d", len(c.jobs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The transactions asked for while the writer commits are committed
// together, each caller learning its own outcome: one that fails leaves
// nothing behind and the others alone, and a caller that gives up while
// its transaction waits has it never run.
func TestGroupCommit(t *testing.T) {
	db, c := openCommitted(t)
	gate := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			<-gate // the writer is busy with this one
			return insert("first")(ctx, tx)
		})
	}()
	for c.groups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fn := insert(fmt.Sprint(i))
			if i == 7 {
				fn = func(ctx context.Context, tx *sql.Tx) error {
					if err := insert("7")(ctx, tx); err != nil {
						return err
					}
					return errors.New("refused after writing")
				}
			}
			errs[i] = c.do(context.Background(), fn)
		})
	}
	waitQueued(t, c, n)
	gone, cancel := context.WithCancel(context.Background())
	abandoned := make(chan error, 1)
	go func() { abandoned <- c.do(gone, insert("abandoned")) }()
	waitQueued(t, c, n+1)
	cancel()
	if err := <-abandoned; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned: %v", err)
	}
	close(gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	got := keys(t, db)
	for i, err := range errs {
		if want := i != 7; (err == nil) != want || got[fmt.Sprint(i)] != want {
			t.Errorf("transaction %d: error %v, row there %v", i, err, got[fmt.Sprint(i)])
		}
	}
	if got["abandoned"] || !got["first"] {
		t.Errorf("rows %v", got)
	}
	if g, x := c.groups.Load(), c.grouped.Load(); g != 2 || x != n+1 {
		t.Errorf("%d commits of %d transactions, want 2 of %d", g, x, n+1)
	}
}

// A caller whose transaction waits when the store closes is told so; one
// the writer has taken runs to its end.
func TestGroupCommitClose(t *testing.T) {
	db, c := openCommitted(t)
	gate := make(chan struct{})
	taken := make(chan error, 1)
	go func() {
		taken <- c.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			<-gate
			return insert("taken")(ctx, tx)
		})
	}()
	for c.groups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiting := make(chan error, 1)
	go func() { waiting <- c.do(context.Background(), insert("waiting")) }()
	waitQueued(t, c, 1)
	closed := make(chan struct{})
	go func() { c.close(); close(closed) }()
	for {
		select {
		case <-c.stop:
		default:
			time.Sleep(time.Millisecond)
			continue
		}
		break
	}
	close(gate) // the writer ends the group it runs, then stops
	<-closed
	if err := <-waiting; !errors.Is(err, errStoreClosed) {
		t.Fatalf("waiting: %v", err)
	}
	if err := <-taken; err != nil {
		t.Fatal(err)
	}
	if got := keys(t, db); !got["taken"] || got["waiting"] {
		t.Fatalf("rows %v", got)
	}
	if err := c.do(context.Background(), insert("late")); !errors.Is(err, errStoreClosed) {
		t.Fatalf("after close: %v", err)
	}
}
