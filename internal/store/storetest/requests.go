package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

func testCreateGet(t *testing.T, s approvals.Store) {
	want := newRequest("req-1", t0)
	mustCreate(t, s, want)
	checkRequest(t, mustGet(t, s, "req-1"), want)

	// A time in another zone comes back as the same instant in UTC, and
	// an empty state is stored as pending.
	tokyo := time.FixedZone("JST", 9*3600)
	r2 := newRequest("req-2", t0.In(tokyo).Add(time.Second))
	r2.State = ""
	r2.Addrs = []string{"10.0.0.1:1"}
	r2.ChannelID, r2.MessageTS = "", ""
	mustCreate(t, s, r2)
	want2 := *r2
	want2.State = approvals.Pending
	checkRequest(t, mustGet(t, s, "req-2"), &want2)

	evs := mustEvents(t, s, "req-1")
	if len(evs) != 1 {
		t.Fatalf("events after Create = %+v, want one", evs)
	}
	e := evs[0]
	if e.RequestID != "req-1" || e.Kind != approvals.EventRequested || e.Actor != want.Requester {
		t.Errorf("event after Create = %+v, want kind %q by %s", e, approvals.EventRequested, want.Requester)
	}
	checkTime(t, "event At", e.At, t0)
}

func testCreateDuplicate(t *testing.T, s approvals.Store) {
	orig := newRequest("dup", t0)
	mustCreate(t, s, orig)
	other := newRequest("dup", t0.Add(time.Hour))
	other.Requester, other.Reason = "U0SOMEONEELSE", "other"
	err := s.Create(t.Context(), other)
	if !errors.Is(err, approvals.ErrDuplicateID) {
		t.Fatalf("second Create with the same ID: %v, want ErrDuplicateID", err)
	}
	checkRequest(t, mustGet(t, s, "dup"), orig)
	if evs := mustEvents(t, s, "dup"); len(evs) != 1 {
		t.Errorf("events after a duplicate Create = %+v, want the first request's one", evs)
	}
}

func testNotFound(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("exists", t0))
	const id = "no-such-request"
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, approvals.ErrNotFound) {
			t.Errorf("%s on an unknown ID: %v, want ErrNotFound", what, err)
		}
	}
	_, err := s.Get(ctx, id)
	check("Get", err)
	check("SetMessage", s.SetMessage(ctx, id, "C1", "1.2"))
	tally, err := s.Approve(ctx, id, vote("U1", t0))
	check("Approve", err)
	if tally.Added {
		t.Error("Approve on an unknown ID reported added")
	}
	ok, err := s.Apply(ctx, id, approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: t0})
	check("Apply", err)
	if ok {
		t.Error("Apply on an unknown ID reported done")
	}
	_, err = s.Events(ctx, id)
	check("Events", err)
	ok, err = s.MarkReminded(ctx, id, t0)
	check("MarkReminded", err)
	if ok {
		t.Error("MarkReminded on an unknown ID reported done")
	}
}

func testSetMessage(t *testing.T, s approvals.Store) {
	r := newRequest("msg", t0)
	r.ChannelID, r.MessageTS = "", ""
	mustCreate(t, s, r)
	if err := s.SetMessage(t.Context(), "msg", "C0APPROVALS", "1712345678.000100"); err != nil {
		t.Fatalf("SetMessage: %v", err)
	}
	got := mustGet(t, s, "msg")
	if got.ChannelID != "C0APPROVALS" || got.MessageTS != "1712345678.000100" {
		t.Errorf("after SetMessage: channel %q ts %q", got.ChannelID, got.MessageTS)
	}
	if got.State != approvals.Pending || !sameTime(got.UpdatedAt, t0) {
		t.Errorf("SetMessage changed state %s or UpdatedAt %v", got.State, got.UpdatedAt)
	}
}

// testApproveRecords: votes that count no one record approvals alone, in
// time order (ties in the order recorded), once per user, and only while
// the request is pending.
func testApproveRecords(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("appr", t0))
	add := func(user string, at time.Time, wantAdded bool, wantCount int) {
		t.Helper()
		tally, err := s.Approve(ctx, "appr", vote(user, at))
		count := -1
		if tally.Request != nil {
			count = len(tally.Request.Approvals)
		}
		if err != nil || tally.Added != wantAdded || count != wantCount {
			t.Errorf("Approve(%s) = added %v, %d approvals, %v; want %v, %d, nil", user, tally.Added, count, err, wantAdded, wantCount)
		}
	}
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	add("U0BOB", t2, true, 1)
	add("U0BOB", t3, false, 1)   // the same user again
	add("U0ALICE", t1, true, 2)  // earlier time: sorts first
	add("U0CAROL", t3, true, 3)  // same time as dave: insertion order
	add("U0DAVE", t3, true, 4)   //
	add("U0CAROL", t3, false, 4) //
	want := []approvals.Approval{{User: "U0ALICE", At: t1}, {User: "U0BOB", At: t2}, {User: "U0CAROL", At: t3}, {User: "U0DAVE", At: t3}}
	got := mustGet(t, s, "appr")
	checkRequest(t, got, func() *approvals.Request {
		r := newRequest("appr", t0)
		r.Approvals = want
		return r
	}())
	if !got.ApprovedBy("U0BOB") {
		t.Error("ApprovedBy(U0BOB) = false")
	}

	evs := mustEvents(t, s, "appr")
	var approvers []string
	for _, e := range evs {
		if e.Kind == approvals.EventApproval {
			approvers = append(approvers, e.Actor)
		}
	}
	slices.Sort(approvers)
	if !slices.Equal(approvers, []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}) {
		t.Errorf("approval events by %v, want one per added approval", approvers)
	}

	// Not pending: nothing recorded, count unchanged.
	mustApply(t, s, "appr", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t3, Actor: "U0ERIN"})
	add("U0FRANK", t3, false, 4)
	if n := len(mustGet(t, s, "appr").Approvals); n != 4 {
		t.Errorf("%d approvals after one on a denied request, want 4", n)
	}
	if n := len(mustEvents(t, s, "appr")); n != len(evs)+1 {
		t.Errorf("%d events, want %d (the denial only)", n, len(evs)+1)
	}
}

func testKindPreviewResultExtras(t *testing.T, s approvals.Store) {
	// A kill with a preview of its targets keeps the preview whole.
	want := newRequest("prev", t0)
	want.DryRun = true
	want.Preview = &approvals.Preview{
		At: t0.Add(-time.Second), ProxyOnly: true, Sessions: 42,
		Targets: []approvals.Target{
			{Addr: "10.0.0.9:50012", Session: &approvals.Session{ID: "77", Addr: "10.0.0.9:50012", Peer: "10.0.0.9:50012",
				Name: "worker", User: "default", DB: "0", Cmd: "keys", Age: 600 * time.Second, Idle: 2 * time.Second}},
			{Addr: "10.0.0.2:41000"},
		},
	}
	mustCreate(t, s, want)
	checkRequest(t, mustGet(t, s, "prev"), want)

	// A kill-all on every node.
	all := newRequest("all", t0)
	all.Kind, all.AllNodes, all.NodeID, all.Addrs = approvals.KindKillAll, true, "", nil
	mustCreate(t, s, all)
	checkRequest(t, mustGet(t, s, "all"), all)

	// The result keeps what was sent and what the guard held back.
	moveTo(t, s, "prev", approvals.Executing, t0.Add(time.Minute))
	res := &approvals.Result{Detail: "dry run", DryRun: true, Killed: []string{"10.0.0.9:50012"},
		Skipped: []approvals.Skip{{Addr: "10.0.0.2:41000", Why: "no longer connected"}}}
	mustApply(t, s, "prev", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: t0.Add(2 * time.Minute), Result: res})
	if got := mustGet(t, s, "prev"); !reflect.DeepEqual(got.Result, res) {
		t.Errorf("result %+v, want %+v", got.Result, res)
	}
}

// A kill on every node keeps its selectors, each node's targets (an
// unreadable node with why) and each node's outcome; a single-node kill
// chosen by selectors keeps its selectors beside its preview.
func testPerNodeSelectors(t *testing.T, s approvals.Store) {
	x := &approvals.Session{ID: "501", Addr: "10.20.1.11:52001", Peer: "10.20.1.11:52001", Name: "billing-api", Cmd: "keys",
		Age: time.Hour, Idle: 10 * time.Minute}
	want := newRequest("nodes", t0)
	want.AllNodes, want.NodeID, want.Selectors = true, "", "--name billing --cmd keys --idle-over 5m"
	want.Addrs = []string{"10.20.1.11:52001", "[2001:db8::51]:47105"}
	want.Nodes = []approvals.NodeTargets{
		{NodeID: "proxy-1", Addrs: want.Addrs[:1], Preview: &approvals.Preview{At: t0, Sessions: 5, Targets: []approvals.Target{{Addr: x.Addr, Session: x}}}},
		{NodeID: "proxy-2", Addrs: want.Addrs[1:], Preview: &approvals.Preview{At: t0, Sessions: 2, Targets: []approvals.Target{{Addr: want.Addrs[1]}}}},
		{NodeID: "proxy-3", Unreadable: "DCS answered DCS.2003 (HTTP 403)"},
		{NodeID: "proxy-4", Preview: &approvals.Preview{At: t0, Sessions: 9}},
	}
	mustCreate(t, s, want)
	got := mustGet(t, s, "nodes")
	checkRequest(t, got, want)
	if !got.PerNode() || got.Nodes[2].Killable() || !got.Nodes[0].Killable() {
		t.Errorf("read back as %+v", got)
	}
	one := newRequest("one", t0)
	one.Selectors = "--ip 10.0.0."
	mustCreate(t, s, one)
	checkRequest(t, mustGet(t, s, "one"), one)

	moveTo(t, s, "nodes", approvals.Executing, t0.Add(time.Minute))
	res := &approvals.Result{Detail: "DCS accepted the kill on 1 of 2 node(s); failed on 1",
		Killed:  []string{"10.20.1.11:52001", "[2001:db8::51]:47105"},
		Skipped: []approvals.Skip{{Addr: "10.0.0.3:1", Reason: approvals.SkipGone}},
		Nodes: []approvals.NodeResult{
			{NodeID: "proxy-1", State: approvals.Succeeded, Result: approvals.Result{Detail: "DCS accepted the kill", Killed: []string{"10.20.1.11:52001"}}},
			{NodeID: "proxy-2", State: approvals.Failed, Result: approvals.Result{Code: "DCS.4800", Message: "bad", HTTPStatus: 400,
				DCSRequestID: "r-2", Killed: []string{"[2001:db8::51]:47105"}, Skipped: []approvals.Skip{{Addr: "10.0.0.3:1", Reason: approvals.SkipGone}}}},
		}}
	mustApply(t, s, "nodes", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: t0.Add(2 * time.Minute), Result: res})
	if got := mustGet(t, s, "nodes"); !reflect.DeepEqual(got.Result, res) {
		t.Errorf("result %+v, want %+v", got.Result, res)
	}
	rs, err := s.List(t.Context(), approvals.ListFilter{InstanceAlias: want.Instance.Alias})
	if err != nil || len(rs) != 2 {
		t.Fatalf("List: %d, %v", len(rs), err)
	}
	for _, r := range rs {
		if r.ID == "nodes" && (len(r.Nodes) != 4 || r.Selectors != want.Selectors || len(r.Result.Nodes) != 2) {
			t.Errorf("List reads %+v", r)
		}
	}
}
