package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
)

// AuditStore is a store that also feeds the audit stream: the events as
// records, and the sinks' cursors and leases.
type AuditStore interface {
	approvals.Store
	audit.Source
	audit.Cursor
}

// RunAudit runs the audit stream's part of the suite. open returns a new
// empty store, closed by the caller.
func RunAudit(t *testing.T, open func(t *testing.T) AuditStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, AuditStore)
	}{
		{"RecordsLifecycle", testRecordsLifecycle},
		{"RecordsPaging", testRecordsPaging},
		{"CursorAdvance", testCursorAdvance},
		{"LeaseExclusiveAndExpiring", testLeaseExclusive},
		{"RaceLease", testRaceLease},
		{"RecordsUnderConcurrentWriters", testRecordsConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func mustRecords(t *testing.T, s AuditStore, after int64, limit int) []audit.Record {
	t.Helper()
	recs, err := s.RecordsAfter(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("RecordsAfter(%d, %d): %v", after, limit, err)
	}
	return recs
}

// lifecycle records four requests' lives: one approved by two and
// succeeded, a kill-all on every node denied, a kill that DCS refused, a
// kill-all whose DCS job failed (its job ID on the outcome alone).
// It returns the records they must give, Seq aside.
func lifecycle(t *testing.T, s AuditStore) []audit.Record {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	r := newRequest("life", t0)
	mustCreate(t, s, r)
	approveBoth(t, s, "life", at(1), at(2))
	mustApply(t, s, "life", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: at(4),
		Result: &approvals.Result{Detail: "DCS accepted the kill", DCSRequestID: "dcs-ok-1",
			Killed:  []string{"10.0.0.9:50012", "192.168.1.1:6379"},
			Skipped: []approvals.Skip{{Addr: "10.0.0.2:41000", Why: "no longer connected"}}}})

	all := newRequest("all", at(5))
	all.Kind, all.AllNodes, all.NodeID, all.Addrs, all.DryRun = approvals.KindKillAll, true, "", nil, true
	mustCreate(t, s, all)
	mustApply(t, s, "all", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: at(6), Actor: "U0CAROL", Note: "not during the sale"})

	bad := newRequest("bad", at(7))
	bad.Addrs = []string{"10.0.0.7:1"}
	mustCreate(t, s, bad)
	moveTo(t, s, "bad", approvals.Executing, at(8))
	mustApply(t, s, "bad", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: at(9),
		Result: &approvals.Result{Code: "DCS.4800", Message: "bad client", HTTPStatus: 400, DCSRequestID: "dcs-err-2"}})

	base := func(id string, ev string, m int, actor, detail string) audit.Record {
		req := map[string]*approvals.Request{"life": r, "all": all, "bad": bad}[id]
		return recordOf(req, ev, at(m), actor, detail)
	}
	r.Kind, bad.Kind = approvals.KindKill, approvals.KindKill
	ok := base("life", "succeeded", 4, "", "request id dcs-ok-1 DCS accepted the kill")
	ok.DCSRequestID, ok.Killed, ok.HeldBack = "dcs-ok-1", []string{"10.0.0.9:50012", "192.168.1.1:6379"}, []string{"10.0.0.2:41000"}
	failed := base("bad", "failed", 9, "", "HTTP 400 DCS.4800 bad client request id dcs-err-2")
	failed.DCSRequestID, failed.ErrorCode, failed.HTTPStatus = "dcs-err-2", "DCS.4800", 400
	return append([]audit.Record{
		base("life", "requested", 0, "U0REQUESTER", r.Reason),
		base("life", "approval", 1, "U0ALICE", "1 of 2"),
		base("life", "approval", 2, "U0BOB", "2 of 2"),
		base("life", "approved", 2, "U0BOB", ""),
		base("life", "executing", 2, "U0BOB", ""),
		ok,
		base("all", "requested", 5, "U0REQUESTER", all.Reason),
		base("all", "denied", 6, "U0CAROL", "not during the sale"),
		base("bad", "requested", 7, "U0REQUESTER", bad.Reason),
		base("bad", "approved", 8, "U0MOVER", ""),
		base("bad", "executing", 8, "U0MOVER", ""),
		failed,
	}, failedJob(t, s, at)...)
}

// recordOf is the record of an event of req, Seq aside.
func recordOf(req *approvals.Request, ev string, at time.Time, actor, detail string) audit.Record {
	sessions := req.Addrs
	if sessions == nil {
		sessions = []string{}
	}
	return audit.Record{Event: ev, At: at.Truncate(Precision), RequestID: req.ID, Actor: actor,
		Instance: req.Instance.Alias, InstanceID: req.Instance.ID, NodeID: req.NodeID, Kind: string(req.Kind),
		Sessions: sessions, Reason: req.Reason, Detail: detail, DryRun: req.DryRun}
}

// failedJob records a kill-all whose DCS job failed and returns the
// records it must give: the job ID on the outcome alone.
func failedJob(t *testing.T, s AuditStore, at func(int) time.Time) []audit.Record {
	t.Helper()
	job := newRequest("job", at(10))
	job.Kind, job.Addrs = approvals.KindKillAll, nil
	mustCreate(t, s, job)
	moveTo(t, s, "job", approvals.Executing, at(11))
	if ok, err := s.SetJob(t.Context(), "job", "ff8080-kill-all-1", at(12)); !ok || err != nil {
		t.Fatalf("SetJob = %v, %v", ok, err)
	}
	mustApply(t, s, "job", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: at(13),
		Result: &approvals.Result{Detail: "DCS job ff8080-kill-all-1 ended FAIL", JobStatus: approvals.JobFail, FailReason: "instance busy"}})
	failed := recordOf(job, "failed", at(13), "", "DCS job ff8080-kill-all-1 ended FAIL")
	failed.JobID = "ff8080-kill-all-1"
	return []audit.Record{
		recordOf(job, "requested", at(10), "U0REQUESTER", job.Reason),
		recordOf(job, "approved", at(11), "U0MOVER", ""),
		recordOf(job, "executing", at(11), "U0MOVER", ""),
		failed,
	}
}

// The records of whole lives, in the order recorded, with every field; the
// outcome's DCS fields on the outcome alone.
func testRecordsLifecycle(t *testing.T, s AuditStore) {
	want := lifecycle(t, s)
	got := mustRecords(t, s, 0, 100)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(got), len(want), got)
	}
	var prev int64
	for i := range got {
		if got[i].Seq <= prev {
			t.Errorf("record %d has Seq %d after %d", i, got[i].Seq, prev)
		}
		prev = got[i].Seq
		g := got[i]
		g.Seq = 0
		if g.At.Location() != time.UTC {
			t.Errorf("record %d: At in %v", i, g.At.Location())
		}
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("record %d\n got %+v\nwant %+v", i, g, want[i])
		}
	}
	if got := mustRecords(t, s, prev, 100); len(got) != 0 {
		t.Errorf("RecordsAfter the last = %+v, want none", got)
	}
}

func testRecordsPaging(t *testing.T, s AuditStore) {
	lifecycle(t, s)
	all := mustRecords(t, s, 0, 1000)
	var paged []audit.Record
	var after int64
	for {
		page := mustRecords(t, s, after, 5)
		if len(page) > 5 {
			t.Fatalf("RecordsAfter(limit 5) returned %d", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	if !reflect.DeepEqual(paged, all) {
		t.Errorf("records read 5 at a time differ from all at once:\n%+v\n%+v", paged, all)
	}
	// From the middle of the IDs.
	if got := mustRecords(t, s, all[3].Seq, 2); !reflect.DeepEqual(got, all[4:6]) {
		t.Errorf("RecordsAfter(%d, 2) = %+v, want %+v", all[3].Seq, got, all[4:6])
	}
}

func mustLease(t *testing.T, s AuditStore, sink, owner string, now time.Time, wantHeld bool, wantCursor int64) {
	t.Helper()
	cursor, held, err := s.Lease(t.Context(), sink, owner, now, time.Minute)
	if err != nil || held != wantHeld || held && cursor != wantCursor {
		t.Fatalf("Lease(%s, %s, %v) = %d, %v, %v; want held %v (cursor %d)", sink, owner, now.Sub(t0), cursor, held, err, wantHeld, wantCursor)
	}
}

func mustAdvance(t *testing.T, s AuditStore, sink, owner string, from, to int64, want bool) {
	t.Helper()
	ok, err := s.Advance(t.Context(), sink, owner, from, to)
	if err != nil || ok != want {
		t.Fatalf("Advance(%s, %s, %d -> %d) = %v, %v; want %v", sink, owner, from, to, ok, err, want)
	}
}

func testCursorAdvance(t *testing.T, s AuditStore) {
	mustLease(t, s, "log", "A", t0, true, 0) // a new sink starts at 0
	mustAdvance(t, s, "log", "A", 0, 5, true)
	mustLease(t, s, "log", "A", t0, true, 5)
	mustAdvance(t, s, "log", "A", 0, 7, false) // stale from: a batch another shipper already moved past
	mustAdvance(t, s, "log", "B", 5, 7, false) // not the holder
	mustLease(t, s, "log", "A", t0, true, 5)
	mustAdvance(t, s, "log", "A", 5, 12, true)
	if _, err := s.Advance(t.Context(), "log", "A", 12, 3); err == nil {
		t.Error("Advance backwards succeeded")
	}
	mustLease(t, s, "log", "A", t0, true, 12)
	// Sinks are apart.
	mustLease(t, s, "webhook:https://siem.example.com/in", "A", t0, true, 0)
	mustAdvance(t, s, "webhook:https://siem.example.com/in", "A", 0, 2, true)
	mustLease(t, s, "log", "A", t0, true, 12)
}

func testLeaseExclusive(t *testing.T, s AuditStore) {
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	mustLease(t, s, "log", "A", sec(0), true, 0) // until 60
	mustAdvance(t, s, "log", "A", 0, 3, true)
	mustLease(t, s, "log", "B", sec(30), false, 0)
	mustLease(t, s, "log", "A", sec(30), true, 3) // renewed until 90
	mustLease(t, s, "log", "B", sec(61), false, 0)
	mustLease(t, s, "log", "B", sec(90), true, 3) // expired: B's, cursor kept
	mustAdvance(t, s, "log", "A", 3, 9, false)    // A lost it
	mustLease(t, s, "log", "A", sec(100), false, 0)
	if err := s.Release(t.Context(), "log", "A"); err != nil { // not A's: no effect
		t.Fatal(err)
	}
	mustLease(t, s, "log", "A", sec(100), false, 0)
	if err := s.Release(t.Context(), "log", "B"); err != nil {
		t.Fatal(err)
	}
	mustLease(t, s, "log", "A", sec(100), true, 3) // released: A's at once
}

// Of many shippers leasing one sink at once, one gets it: for a new sink, and
// for an expired lease.
func testRaceLease(t *testing.T, s AuditStore) {
	for round, now := range []time.Time{t0, t0.Add(time.Hour)} {
		var mu sync.Mutex
		var winners []string
		ctx := context.WithoutCancel(t.Context())
		race(racers, func(i int) {
			owner := fmt.Sprintf("owner-%d-%d", round, i)
			_, held, err := s.Lease(ctx, "webhook:https://siem.example.com/in", owner, now, time.Minute)
			if err != nil {
				t.Errorf("Lease: %v", err)
			}
			if held {
				mu.Lock()
				winners = append(winners, owner)
				mu.Unlock()
			}
		})
		if len(winners) != 1 {
			t.Fatalf("round %d: %d of %d racing Lease calls won (%v), want 1", round, len(winners), racers, winners)
		}
	}
}

// A reader following the events while others record them never moves past
// an event it has not seen: what it reads, page by page, is every event once,
// in order.
func testRecordsConcurrentWriters(t *testing.T, s AuditStore) {
	const writers, each = 8, 12
	ctx := context.WithoutCancel(t.Context())
	var finished atomic.Bool
	done := make(chan struct{})
	var read []int64
	var readErr error
	go func() {
		defer close(done)
		var after int64
		for {
			last := finished.Load() // before the read: then an empty read is the end
			recs, err := s.RecordsAfter(ctx, after, 7)
			if err != nil {
				readErr = err
				return
			}
			for _, r := range recs {
				read = append(read, r.Seq)
				after = r.Seq
			}
			if last && len(recs) == 0 {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := s.Create(ctx, newRequest(id, t0)); err != nil {
					t.Errorf("Create(%s): %v", id, err)
					return
				}
				tr := approvals.Transition{From: approvals.Pending, To: approvals.Cancelled, At: t0, Actor: "U0X"}
				if _, err := s.Apply(ctx, id, tr); err != nil {
					t.Errorf("Apply(%s): %v", id, err)
				}
			}
		})
	}
	wg.Wait()
	finished.Store(true)
	<-done
	if readErr != nil {
		t.Fatalf("RecordsAfter while others write: %v", readErr)
	}
	var all []int64
	for _, r := range mustRecords(t, s, 0, 10*writers*each) {
		all = append(all, r.Seq)
	}
	if len(all) != 2*writers*each || !slices.Equal(read, all) {
		t.Errorf("the reader, following the writers, read %d events; there are %d (want %d), and the two lists differ: %v",
			len(read), len(all), 2*writers*each, !slices.Equal(read, all))
	}
}
