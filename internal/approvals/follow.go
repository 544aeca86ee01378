package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"dcsbot/internal/logging"
)

// A kill-all is a DCS job. Once DCS accepts it the request stays executing
// with its job recorded (Request.JobID) while the bot follows the job,
// bounded by Params.JobTimeout; the job's end is the outcome: SUCCESS
// succeeded, FAIL failed (with DCS's reason), not ended in time unknown.
// A request left executing with a job, after a restart or found stale by
// the sweep, is followed again rather than called unknown.

// accepted records the job DCS runs r's kill-all as while the caller
// still holds r's lease (release ends it): from then on a sweep that
// finds the request abandoned follows the job again rather than calling
// the outcome unknown. It then follows the job in the background and
// calls recorded, before anything waits on Slack. The thread hears that
// the job runs once the "Killing…" note is out (announced), and the job's
// result after that; the note may go on after accepted returns
// (afterward).
func (s *Service) accepted(ctx context.Context, r *Request, job string, start time.Time, release, recorded func(), announced <-chan struct{}) {
	won, err := s.setJob(ctx, r.ID, job)
	release()
	switch {
	case err != nil:
		// Followed all the same: only a restart before the end would lose
		// it, and then the outcome is unknown, as it would be anyway.
		s.log.ErrorContext(ctx, "record the kill-all's DCS job", "job_id", job, "err", err)
	case !won:
		recorded()
		s.log.WarnContext(ctx, "request left executing before its DCS job was recorded; not following it", "job_id", job)
		return
	}
	s.log.InfoContext(ctx, "kill-all accepted by DCS; following its job", "job_id", job)
	r.JobID = job
	noted := make(chan struct{})
	// The follower is counted in flight (startFollowing) before this kill
	// stops being, so that Wait never sees the count drop to zero between
	// them.
	s.startFollowing(ctx, r, start, noted)
	recorded()
	s.afterward(ctx, func() {
		defer close(noted)
		<-announced
		s.notify(ctx, r, Note{Kind: NoteJobRunning})
	})
}

// setJob records the job, retrying while the store fails, for a bounded
// time.
func (s *Service) setJob(ctx context.Context, id, job string) (bool, error) {
	delay := 100 * time.Millisecond
	var err error
	for range 5 {
		var won bool
		if won, err = s.p.Store.SetJob(ctx, id, job, s.p.Now().UTC()); err == nil {
			return won, nil
		}
		time.Sleep(delay)
		delay *= 2
	}
	return false, err
}

// startFollowing follows r's job in a goroutine, unless this process
// already follows it. The goroutine is counted in s.inflight before
// startFollowing returns; it holds r's lease while it follows the job,
// and gives its count back once the outcome is recorded (recordOutcome);
// it then reports the outcome once noted is closed (at once when nil), so
// that shutdown does not wait on Slack.
func (s *Service) startFollowing(ctx context.Context, r *Request, start time.Time, noted <-chan struct{}) {
	if _, dup := s.following.LoadOrStore(r.ID, true); dup {
		return
	}
	s.inflight.Add()
	go func() {
		counted := sync.OnceFunc(s.inflight.Done)
		defer counted()
		defer s.following.Delete(r.ID)
		release := s.holdLease(ctx, r.ID)
		to, res, ended := s.followJob(ctx, r, start)
		release()
		if !ended {
			return
		}
		if report := s.recordOutcome(ctx, r, to, res, counted, noted, nil); report != nil {
			report()
		}
	}()
}

// followJob waits for r's job to end, for up to JobTimeout, and says how
// it ended. ended is false when the service stopped first: r is then left
// executing with its job, for the next start to follow.
func (s *Service) followJob(ctx context.Context, r *Request, start time.Time) (to State, res *Result, ended bool) {
	wctx, cancel := context.WithTimeout(ctx, s.p.JobTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-wctx.Done():
		}
	}()
	job, err := s.p.Killer.WaitJob(wctx, r.Instance, r.JobID)
	if err != nil && s.isStopping() && errors.Is(err, context.Canceled) {
		s.log.InfoContext(ctx, "stopped following the kill-all's DCS job; the next start follows it again",
			"job_id", r.JobID, "status", job.Status)
		return "", nil, false
	}
	to, res = jobOutcome(r.JobID, job, err, s.p.JobTimeout)
	s.p.Observer.KillDone(to, time.Since(start))
	s.log.InfoContext(ctx, "kill-all finished", "outcome", to, "job_id", r.JobID, "job_status", job.Status)
	return to, res, true
}

// jobOutcome maps how following a job ended to the request's outcome.
func jobOutcome(id string, job Job, err error, timeout time.Duration) (State, *Result) {
	switch {
	case err == nil && job.Status == JobSuccess:
		return Succeeded, &Result{JobStatus: JobSuccess, Detail: fmt.Sprintf("DCS job %s ended SUCCESS", id)}
	case err == nil:
		reason := strings.TrimSpace(job.FailReason)
		detail := fmt.Sprintf("DCS job %s ended FAIL", id)
		if reason != "" {
			detail += ": " + reason
		}
		return Failed, &Result{JobStatus: JobFail, FailReason: reason, Detail: detail}
	case errors.Is(err, context.DeadlineExceeded):
		return Unknown, &Result{JobStatus: job.Status, Detail: fmt.Sprintf(
			"DCS job %s had not ended (status %s) after %s, when the bot stopped following it", id, orUnread(job.Status), timeout)}
	}
	_, res := outcome(err)
	res.JobStatus = job.Status
	res.Detail = fmt.Sprintf("the bot could not read DCS job %s (status %s when last read): %s", id, orUnread(job.Status), res.Detail)
	return Unknown, res
}

func orUnread(status string) string {
	if status == "" {
		return "not read"
	}
	return status
}

// resume follows again the job of a request found executing with one,
// once this caller has won the right to (ResumeJob takes the request's
// lease): one follower per abandoned request across replicas. exclusive
// (SQLite at start) takes it whatever its lease says: its holder was this
// process's predecessor.
func (s *Service) resume(ctx context.Context, r *Request, now time.Time, exclusive bool) error {
	if _, mine := s.following.Load(r.ID); mine {
		return nil
	}
	ctx = logging.WithRequestID(context.WithoutCancel(ctx), r.ID)
	g := s.workerGone(now, exclusive)
	won, err := s.p.Store.ResumeJob(ctx, r.ID, g.LeaseBefore, g.UnleasedBefore, now.Add(s.p.Lease))
	if err != nil {
		return fmt.Errorf("resume %s: %w", r.ID, err)
	}
	if won {
		s.log.WarnContext(ctx, "request found executing with a DCS job; following the job again", "job_id", r.JobID)
		s.startFollowing(ctx, r, time.Now(), nil)
	}
	return nil
}

// workerGone is when a request's worker counts as gone at now (its lease
// ended; with none, unchanged for StaleAfter); exclusive (SQLite at
// start) counts every worker gone: its holder was this process's
// predecessor.
func (s *Service) workerGone(now time.Time, exclusive bool) Abandonment {
	if exclusive {
		return Abandonment{LeaseBefore: farFuture, UnleasedBefore: farFuture}
	}
	return Abandonment{LeaseBefore: now, UnleasedBefore: now.Add(-s.p.StaleAfter)}
}

// farFuture is after every lease.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// isStopping reports whether Wait has been called.
func (s *Service) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}
