package approvals_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// killAllHarness is a harness with kill-all enabled whose killer answers
// WaitJob with the jobs sent on its channel.
func killAllHarness(t *testing.T, mutate func(*approvals.Params)) *harness {
	t.Helper()
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.KillAll = approvals.KillAllPolicy{Enabled: true, ApprovalsRequired: 1}
		if mutate != nil {
			mutate(p)
		}
	})
	h.killer.jobs = make(chan approvals.Job, 1)
	return h
}

// approvedKillAll submits a kill-all of the node and approves it.
func approvedKillAll(t *testing.T, h *harness) *approvals.Request {
	t.Helper()
	r, err := submitKill(t, h, approvals.KillRequest{KillAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFinal waits until the request has left executing and returns it.
func waitFinal(t *testing.T, h *harness, id string) *approvals.Request {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := h.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Final() {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %s", id, r.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A kill-all's outcome is its job's end: the job is recorded with the
// request, the thread says it runs, then how it ended.
func TestKillAllJobEnds(t *testing.T) {
	for _, c := range []struct {
		name  string
		job   approvals.Job
		state approvals.State
	}{
		{"success", approvals.Job{Status: approvals.JobSuccess}, approvals.Succeeded},
		{"fail", approvals.Job{Status: approvals.JobFail, FailReason: "node in maintenance"}, approvals.Failed},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := killAllHarness(t, nil)
			r := approvedKillAll(t, h)
			running, err := h.store.Get(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if running.State != approvals.Executing || running.JobID != "job-1" {
				t.Fatalf("while the job runs: %s, job %q", running.State, running.JobID)
			}
			h.killer.jobs <- c.job
			got := waitFinal(t, h, r.ID)
			if got.State != c.state || got.JobID != "job-1" || got.Result == nil || got.Result.JobStatus != c.job.Status ||
				got.Result.FailReason != c.job.FailReason {
				t.Fatalf("after the job: %s, job %q, result %+v", got.State, got.JobID, got.Result)
			}
			want := []approvals.NoteKind{approvals.NoteExecuting, approvals.NoteJobRunning, approvals.NoteResult}
			if notes := h.notifier.Notes(r.ID); !slices.Equal(notes, want) {
				t.Fatalf("notes %v, want %v", notes, want)
			}
			if h.notifier.LastUpdate(r.ID) != c.state {
				t.Fatalf("message last drawn as %s", h.notifier.LastUpdate(r.ID))
			}
			if len(h.killer.Calls()) != 1 || !slices.Equal(h.killer.Waits(), []string{"job-1"}) {
				t.Fatalf("kill-alls %+v, waits %v", h.killer.Calls(), h.killer.Waits())
			}
		})
	}
}

// A job that does not end within JobTimeout, or that DCS will not show,
// is an unknown outcome; a kill-all DCS refused, or accepted without a
// job, is never followed.
func TestKillAllJobNotKnown(t *testing.T) {
	h := killAllHarness(t, func(p *approvals.Params) { p.JobTimeout = 50 * time.Millisecond })
	r := approvedKillAll(t, h)
	got := waitFinal(t, h, r.ID)
	if got.State != approvals.Unknown || got.Result.JobStatus != approvals.JobRunning {
		t.Fatalf("job never ends: %s, %+v", got.State, got.Result)
	}

	h = killAllHarness(t, nil)
	h.killer.jobs = nil
	h.killer.waitErr = &approvals.DCSError{HTTPStatus: 403, Code: "DCS.2003", Message: "no permission", RequestID: "r-1"}
	r = approvedKillAll(t, h)
	got = waitFinal(t, h, r.ID)
	if got.State != approvals.Unknown || got.Result.Code != "DCS.2003" || got.JobID != "job-1" {
		t.Fatalf("job unreadable: %s, %+v", got.State, got.Result)
	}

	h = killAllHarness(t, nil)
	none := ""
	h.killer.job = &none
	r = approvedKillAll(t, h)
	if got := waitFinal(t, h, r.ID); got.State != approvals.Unknown || got.JobID != "" {
		t.Fatalf("no job named: %s, job %q", got.State, got.JobID)
	}
	h.killer.err = &approvals.DCSError{HTTPStatus: 400, Code: "DCS.4957", Message: "busy"}
	r = approvedKillAll(t, h)
	if got := waitFinal(t, h, r.ID); got.State != approvals.Failed || got.Result.Code != "DCS.4957" {
		t.Fatalf("refused: %s, %+v", got.State, got.Result)
	}
	if w := h.killer.Waits(); len(w) != 0 {
		t.Fatalf("followed %v", w)
	}
}

// Stopping leaves the request executing with its job; the next start
// follows the job again instead of calling the outcome unknown, and never
// sends the kill-all again.
func TestKillAllJobFollowedAfterRestart(t *testing.T) {
	h := killAllHarness(t, nil)
	r := approvedKillAll(t, h)
	if err := h.svc.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	left, err := h.store.Get(context.Background(), r.ID)
	if err != nil || left.State != approvals.Executing || left.JobID != "job-1" {
		t.Fatalf("after stop: %+v, %v", left, err)
	}

	next := newHarness(t, func(p *approvals.Params) { p.Store, p.Killer, p.Notifier = h.store, h.killer, h.notifier })
	h.killer.jobs <- approvals.Job{Status: approvals.JobSuccess}
	if err := next.svc.Recover(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	got := waitFinal(t, h, r.ID)
	if got.State != approvals.Succeeded {
		t.Fatalf("after restart: %s, %+v", got.State, got.Result)
	}
	if n := len(h.killer.Calls()); n != 1 {
		t.Fatalf("%d kill-alls, want 1", n)
	}
	if w := h.killer.Waits(); !slices.Equal(w, []string{"job-1", "job-1"}) {
		t.Fatalf("waits %v", w)
	}
	if notes := h.notifier.Notes(r.ID); slices.Contains(notes, approvals.NoteRecovered) || notes[len(notes)-1] != approvals.NoteResult {
		t.Fatalf("notes %v", notes)
	}
}

// On a shared store, the sweep of any replica follows a stale request's
// job again, once: of two replicas sweeping at once, one follows it.
func TestKillAllStaleJobFollowedOnce(t *testing.T) {
	h := killAllHarness(t, nil)
	r := approvedKillAll(t, h)
	if err := h.svc.Wait(context.Background()); err != nil { // the first worker dies
		t.Fatal(err)
	}
	other := newHarness(t, func(p *approvals.Params) {
		p.Store, p.Killer, p.Notifier, p.Now = h.store, h.killer, h.notifier, h.clock.Now
	})
	third := newHarness(t, func(p *approvals.Params) {
		p.Store, p.Killer, p.Notifier, p.Now = h.store, h.killer, h.notifier, h.clock.Now
	})
	if err := other.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := h.killer.Waits(); len(w) != 1 {
		t.Fatalf("followed before it was stale: %v", w)
	}
	h.clock.Advance(2 * time.Minute)
	done := make(chan error, 2)
	for _, x := range []*harness{other, third} {
		go func() { done <- x.svc.Sweep(context.Background()) }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	h.killer.jobs <- approvals.Job{Status: approvals.JobFail, FailReason: "boom"}
	if got := waitFinal(t, h, r.ID); got.State != approvals.Failed || got.Result.FailReason != "boom" {
		t.Fatalf("after the sweep: %s, %+v", got.State, got.Result)
	}
	if w := h.killer.Waits(); len(w) != 2 {
		t.Fatalf("waits %v: want the first worker's and one follower's", w)
	}
	if notes := h.notifier.Notes(r.ID); notes[len(notes)-1] != approvals.NoteResult || slices.Contains(notes, approvals.NoteRecovered) {
		t.Fatalf("notes %v", notes)
	}
	if err := other.svc.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := third.svc.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A node DCS lists without a node ID cannot take session commands: landing
// on it by index, address or as the only node is refused, and nothing is
// read or requested.
func TestNodeWithoutIDRefused(t *testing.T) {
	f := newSessions()
	f.nodes = []approvals.Node{{LogicalID: "logical-1", Role: "redis-server", Type: "master", IP: "192.168.0.10", Port: "6379"}}
	h := newHarness(t, withSessions(f))
	for _, ref := range []approvals.NodeRef{{}, {Index: 0, IsIndex: true}, {Addr: "192.168.0.10:6379"}} {
		_, err := h.svc.Submit(context.Background(), approvals.KillRequest{User: requester, Channel: channel,
			Instance: "orders-prod", Node: ref, Addrs: []string{"10.0.0.1:5000"}})
		wantRefusal(t, err, "node 192.168.0.10:6379 of orders-prod cannot take session commands")
	}
	if _, err := h.svc.Clients(context.Background(), approvals.ClientsQuery{User: requester, Channel: channel,
		Instance: "orders-prod", Node: approvals.NodeRef{Index: 0, IsIndex: true}}); err == nil {
		t.Fatal("clients of a node without an ID")
	} else {
		wantRefusal(t, err, "cannot take session commands")
	}
	if f.reads != 0 || len(h.store.All()) != 0 {
		t.Fatalf("%d reads, %d requests", f.reads, len(h.store.All()))
	}
}
