package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// committer is the one writer of a database that has one write connection
// (SQLite): it takes the transactions asked of it while it was busy, runs
// them one after the other in one database transaction, each in a
// savepoint of its own, and commits them together: one fsync for the lot.
// Each caller learns its own outcome once the commit is done. A
// transaction that fails is rolled back to its savepoint and leaves the
// others alone; if the database transaction itself fails, every caller in
// it gets the error. The database transaction, its busy wait for the file
// included, ends within timeout.
type committer struct {
	db      *sql.DB
	timeout time.Duration
	jobs    chan *txJob
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	// groups and grouped count the commits and the transactions in them.
	groups, grouped atomic.Int64
}

// maxGroup bounds the transactions committed together.
const maxGroup = 64

// Job states: queued until the writer takes it; a caller that gives up
// before that abandons it, and it is never run.
const (
	jobQueued int32 = iota
	jobTaken
	jobAbandoned
)

type txJob struct {
	ctx   context.Context
	fn    func(context.Context, *sql.Tx) error
	state atomic.Int32
	err   error
	done  chan struct{}
}

var errStoreClosed = errors.New("the store is closed")

func newCommitter(db *sql.DB, timeout time.Duration) *committer {
	c := &committer{db: db, timeout: timeout, jobs: make(chan *txJob, maxGroup), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a transaction, committed if fn returns nil, and returns
// once its outcome is known. fn's context is ctx without its
// cancellation: once taken, a transaction runs to its end. A ctx that ends
// before the writer takes the transaction ends the call with its error,
// and fn never runs.
func (c *committer) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	j := &txJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case c.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errStoreClosed
	}
	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
	case <-c.stopped:
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return errStoreClosed
		}
	}
	<-j.done // taken: it runs to its end
	return j.err
}

// close stops the writer once the group it runs has been committed.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.stopped
}

func (c *committer) run() {
	defer close(c.stopped)
	for {
		select {
		case <-c.stop: // before any transaction still waiting
			return
		default:
		}
		var group []*txJob
		select {
		case j := <-c.jobs:
			group = append(group, j)
		case <-c.stop:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case j := <-c.jobs:
				group = append(group, j)
			default:
				break more
			}
		}
		c.commit(group)
	}
}

// commit runs the jobs of group not abandoned in one transaction, and
// tells each its outcome.
func (c *committer) commit(group []*txJob) {
	var jobs []*txJob
	for _, j := range group {
		if j.state.CompareAndSwap(jobQueued, jobTaken) {
			jobs = append(jobs, j)
		}
	}
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	if len(jobs) == 0 {
		return
	}
	c.groups.Add(1)
	c.grouped.Add(int64(len(jobs)))
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range jobs {
			j.err = err
		}
		return
	}
	if err := runJobs(ctx, tx, jobs); err != nil {
		_ = tx.Rollback()
		for _, j := range jobs {
			if j.err == nil {
				j.err = err
			}
		}
		return
	}
	if err := tx.Commit(); err != nil {
		for _, j := range jobs {
			if j.err == nil {
				j.err = err
			}
		}
	}
}

// runJobs runs each job in tx, whose context is ctx, in a savepoint of
// its own when there are several, recording a job's own error in it. An
// error returned means tx is lost: none of its work may be committed.
func runJobs(ctx context.Context, tx *sql.Tx, jobs []*txJob) error {
	if len(jobs) == 1 {
		j := jobs[0]
		if j.err = j.run(ctx, tx); j.err != nil {
			return j.err
		}
		return nil
	}
	failed := 0
	for i, j := range jobs {
		sp := fmt.Sprintf("job%d", i)
		if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		if j.err = j.run(ctx, tx); j.err != nil {
			failed++
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO "+sp); err != nil {
				return fmt.Errorf("roll back a failed transaction (%w): %w", j.err, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE "+sp); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if failed == len(jobs) {
		return errNothingToCommit
	}
	return nil
}

// run runs j's transaction in tx, whose context is group: under j's
// context without its cancellation (the writer has taken j, which runs to
// its end), but with group's deadline.
func (j *txJob) run(group context.Context, tx *sql.Tx) error {
	ctx := context.WithoutCancel(j.ctx)
	if deadline, ok := group.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return j.fn(ctx, tx)
}

// errNothingToCommit rolls back a group whose every job failed.
var errNothingToCommit = errors.New("nothing to commit")
