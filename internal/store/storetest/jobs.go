package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// A kill-all's DCS job is recorded once, on an executing request, and
// moves its UpdatedAt; Create ignores a JobID; the job stays with the
// request in Get, List and ListStale, and through its outcome; the result
// keeps the job's status and fail reason.
func testSetJob(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	r := newRequest("job", t0)
	r.Kind, r.Addrs, r.JobID = approvals.KindKillAll, nil, "ignored-at-create"
	mustCreate(t, s, r)
	if got := mustGet(t, s, "job"); got.JobID != "" {
		t.Fatalf("Create kept JobID %q", got.JobID)
	}
	setJob := func(id, job string, at time.Time, want bool) {
		t.Helper()
		ok, err := s.SetJob(ctx, id, job, at)
		if err != nil || ok != want {
			t.Fatalf("SetJob(%s, %s) = %v, %v; want %v", id, job, ok, err, want)
		}
	}
	setJob("job", "ff8080-job-1", t0.Add(time.Minute), false) // pending
	moveTo(t, s, "job", approvals.Executing, t0.Add(2*time.Minute))
	setJob("job", "ff8080-job-1", t0.Add(3*time.Minute), true)
	setJob("job", "ff8080-job-2", t0.Add(4*time.Minute), false) // has one
	got := mustGet(t, s, "job")
	if got.JobID != "ff8080-job-1" || got.State != approvals.Executing {
		t.Fatalf("after SetJob: job %q, state %s", got.JobID, got.State)
	}
	checkTime(t, "UpdatedAt after SetJob", got.UpdatedAt, t0.Add(3*time.Minute))
	if _, err := s.SetJob(ctx, "job", "", t0); err == nil {
		t.Error("SetJob with an empty job ID succeeded")
	}
	if _, err := s.SetJob(ctx, "nope", "j", t0); !errors.Is(err, approvals.ErrNotFound) {
		t.Errorf("SetJob(nope) = %v, want ErrNotFound", err)
	}
	stale, err := s.ListStale(ctx, approvals.Executing, t0.Add(3*time.Minute), 0)
	if err != nil || len(stale) != 1 || stale[0].JobID != "ff8080-job-1" {
		t.Fatalf("ListStale = %+v, %v", stale, err)
	}
	if rs, err := s.List(ctx, approvals.ListFilter{}); err != nil || len(rs) != 1 || rs[0].JobID != "ff8080-job-1" {
		t.Fatalf("List = %+v, %v", rs, err)
	}
	res := &approvals.Result{Detail: "DCS job ff8080-job-1 ended FAIL", JobStatus: approvals.JobFail, FailReason: "node busy: <b>"}
	mustApply(t, s, "job", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: t0.Add(5 * time.Minute), Result: res})
	got = mustGet(t, s, "job")
	if got.JobID != "ff8080-job-1" || got.Result == nil || got.Result.JobStatus != approvals.JobFail || got.Result.FailReason != "node busy: <b>" {
		t.Fatalf("after the outcome: job %q, result %+v", got.JobID, got.Result)
	}
	setJob("job", "ff8080-job-3", t0.Add(6*time.Minute), false) // final
}

// ResumeJob takes only an abandoned executing request with a job (its
// lease ended, or without a lease, stale), and of many callers one wins.
func testResumeJob(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	for _, id := range []string{"with-job", "no-job"} {
		r := newRequest(id, t0)
		r.Kind, r.Addrs = approvals.KindKillAll, nil
		mustCreate(t, s, r)
		moveTo(t, s, id, approvals.Executing, t0.Add(time.Minute)) // no lease
	}
	if ok, err := s.SetJob(ctx, "with-job", "ff8080-job", t0.Add(2*time.Minute)); !ok || err != nil {
		t.Fatalf("SetJob = %v, %v", ok, err)
	}
	resume := func(id string, leaseBefore, unleasedBefore, until time.Time, want bool) {
		t.Helper()
		ok, err := s.ResumeJob(ctx, id, leaseBefore, unleasedBefore, until)
		if err != nil || ok != want {
			t.Fatalf("ResumeJob(%s, %v, %v) = %v, %v; want %v", id, leaseBefore.Sub(t0), unleasedBefore.Sub(t0), ok, err, want)
		}
	}
	resume("no-job", t0.Add(time.Hour), t0.Add(time.Hour), t0.Add(2*time.Hour), false)
	resume("with-job", t0.Add(time.Hour), t0.Add(time.Minute), t0.Add(2*time.Hour), false) // not stale yet
	var mu sync.Mutex
	wins := 0
	race(racers, func(int) {
		ok, err := s.ResumeJob(context.WithoutCancel(ctx), "with-job", t0.Add(3*time.Minute), t0.Add(2*time.Minute), t0.Add(10*time.Minute))
		if err != nil {
			t.Error(err)
		}
		if ok {
			mu.Lock()
			wins++
			mu.Unlock()
		}
	})
	if wins != 1 {
		t.Fatalf("%d racing ResumeJob calls won, want 1", wins)
	}
	got := mustGet(t, s, "with-job")
	checkTime(t, "LeaseUntil after ResumeJob", got.LeaseUntil, t0.Add(10*time.Minute))
	if got.State != approvals.Executing || got.JobID != "ff8080-job" {
		t.Fatalf("after ResumeJob: %s, job %q", got.State, got.JobID)
	}
	resume("with-job", t0.Add(9*time.Minute), t0.Add(time.Hour), t0.Add(20*time.Minute), false) // its lease holds
	resume("with-job", t0.Add(10*time.Minute), t0, t0.Add(20*time.Minute), true)                // its lease ended
	mustApply(t, s, "with-job", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: t0.Add(21 * time.Minute),
		Result: &approvals.Result{JobStatus: approvals.JobSuccess}})
	resume("with-job", t0.Add(time.Hour), t0.Add(time.Hour), t0.Add(2*time.Hour), false) // final
	if _, err := s.ResumeJob(ctx, "nope", t0, t0, t0); !errors.Is(err, approvals.ErrNotFound) {
		t.Errorf("ResumeJob(nope) = %v, want ErrNotFound", err)
	}
	if n := len(mustEvents(t, s, "with-job")); n != 4 {
		t.Errorf("%d events, want 4 (requested, approved, executing, succeeded): SetJob and ResumeJob record none", n)
	}
}
