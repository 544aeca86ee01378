package dcs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"dcsbot/internal/approvals"
)

// DCS allows one session task (a session scan, a kill-all) on a node at a
// time. While one runs it answers DCS.4957 and does nothing.
const (
	codeTaskState  = "DCS.4957" // not allowed in the task's current state: a session task runs; nothing was done
	codeJobRunning = "DCS.4017" // a job is still running; retry later
)

// Waits on a busy node: backoff from busyBase doubling to busyMax, each
// pause drawn in [d/2, d].
const (
	busyBase = 250 * time.Millisecond
	busyMax  = 4 * time.Second
)

// taskBusy says whether err is DCS.4957: a session task runs on the node
// and the call did nothing. It is the one answer after which a kill may be
// sent again.
func taskBusy(err error) bool { return hasCode(err, codeTaskState) }

// busy says whether err is DCS saying a task or job is running (DCS.4957,
// DCS.4017), for calls that change nothing.
func busy(err error) bool { return hasCode(err, codeTaskState) || hasCode(err, codeJobRunning) }

func hasCode(err error, code string) bool {
	var de *approvals.DCSError
	return errors.As(err, &de) && de.Code == code
}

// untilFree runs call until it answers something isBusy does not
// recognise, pausing with backoff and jitter between tries, until
// deadline; then it returns the last busy answer. wait, if not nil,
// replaces the pause before try n+2 (it gets n, from 0). A ctx that ends
// during a pause ends the tries with that answer and ctx's error.
func (c *Client) untilFree(ctx context.Context, t *target, nodeID string, deadline time.Time, isBusy func(error) bool,
	wait func(n int) error, call func() error) error {
	start := time.Now()
	for n := 0; ; n++ {
		err := call()
		if !isBusy(err) {
			return err
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w; the node was still busy after %s of waiting", err, seconds(time.Since(start).Round(100*time.Millisecond)))
		}
		c.log.InfoContext(ctx, "dcs node busy with a session task; trying again", "instance", t.alias, "node_id", nodeID, "attempt", n+1)
		if wait == nil {
			wait = func(n int) error { return pause(ctx, jitter(backoff(n, busyBase, busyMax)), deadline) }
		}
		if cerr := wait(n); cerr != nil {
			return fmt.Errorf("%w; not tried again: %w", err, cerr)
		}
	}
}

// backoff is the n-th (from 0) pause of a series that starts at base and
// doubles up to most.
func backoff(n int, base, most time.Duration) time.Duration {
	if n > 30 {
		return most
	}
	return min(most, base<<n)
}

// jitter draws a pause in [d/2, d].
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

// pause waits d, cut short at deadline (when set); it returns ctx's error
// if ctx ends first.
func pause(ctx context.Context, d time.Duration, deadline time.Time) error {
	if !deadline.IsZero() {
		d = min(d, time.Until(deadline))
	}
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
