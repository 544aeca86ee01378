package slackbot

import (
	"context"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// job is work done after an envelope's ack.
type job func(context.Context)

// lanes are the listener's bounded queues of work and the fixed set of
// workers that drain them. Clicks and dialog submissions have a lane of
// their own, served first by every worker and alone by the click workers,
// so an approver's decision never waits behind slash commands. The kill
// picker's session reads and its request wait with the commands, and a
// command's work that opens a modal (Answer.Prompt) goes with the clicks,
// so that the modal opens within Slack's 3 seconds. Nothing
// waits for room in a queue: a job that finds its lane full is refused,
// and the caller says so.
type lanes struct {
	clicks, commands chan job
	workers          sync.WaitGroup
	ctx              context.Context // the workers', set by start
}

func newLanes(clickCap, commandCap int) *lanes {
	return &lanes{clicks: make(chan job, clickCap), commands: make(chan job, commandCap)}
}

// start runs the workers until close, each job with ctx. Work a job
// hands on to run after it (approvals.WithSpawner) runs in a goroutine of
// its own, which wait waits for like a worker.
func (q *lanes) start(ctx context.Context, workers, clickWorkers int) {
	ctx = approvals.WithSpawner(ctx, func(fn func()) { q.workers.Go(fn) })
	q.ctx = ctx
	for range workers {
		q.workers.Go(func() { q.serve(ctx, q.clicks, q.commands) })
	}
	for range clickWorkers {
		q.workers.Go(func() { q.serve(ctx, q.clicks, nil) })
	}
}

// serve runs jobs, clicks first, until the lanes it serves are closed and
// empty.
func (q *lanes) serve(ctx context.Context, clicks, commands chan job) {
	// run runs a job taken from lane, or, if the lane was closed, stops
	// serving it.
	run := func(j job, ok bool, lane *chan job) {
		if !ok {
			*lane = nil
			return
		}
		j(ctx)
	}
	for clicks != nil || commands != nil {
		select {
		case j, ok := <-clicks:
			run(j, ok, &clicks)
			continue
		default:
		}
		select {
		case j, ok := <-clicks:
			run(j, ok, &clicks)
		case j, ok := <-commands:
			run(j, ok, &commands)
		}
	}
}

// click queues a click's work; false if its lane is full. The work's
// context says when it was queued (approvals.WithArrival).
func (q *lanes) click(j job) bool {
	queued := time.Now()
	return offer(q.clicks, func(ctx context.Context) { j(approvals.WithArrival(ctx, queued)) })
}

// command queues a slash command's work; false if its lane is full.
func (q *lanes) command(j job) bool { return offer(q.commands, j) }

func offer(lane chan job, j job) bool {
	select {
	case lane <- j:
		return true
	default:
		return false
	}
}

// aside runs j now in a goroutine of its own, with the workers' context,
// which wait waits for like a worker. Like an offer, it may not come
// after close.
func (q *lanes) aside(j job) {
	q.workers.Go(func() { j(q.ctx) })
}

// close ends the lanes: the workers finish what is queued, then stop. No
// job may be offered after it.
func (q *lanes) close() {
	close(q.clicks)
	close(q.commands)
}

// wait blocks until every worker has stopped, or ctx ends.
func (q *lanes) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
