// Package storetest is the conformance suite every approvals.Store passes.
// A backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// Precision is how finely a store must keep times: a time read back must equal
// the time written, both truncated to Precision.
const Precision = time.Microsecond

// t0 has nanoseconds on purpose: stores may drop what is below Precision.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// Run runs the suite. open returns a new empty store, closed by the caller
// (for instance in t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) approvals.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, approvals.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDuplicate", testCreateDuplicate},
		{"NotFound", testNotFound},
		{"SetMessage", testSetMessage},
		{"AddApproval", testAddApproval},
		{"AllowedTransitions", testAllowedTransitions},
		{"DisallowedTransitions", testDisallowedTransitions},
		{"WrongFromState", testWrongFromState},
		{"DecisionNoteResult", testDecisionNoteResult},
		{"ListStalePending", testListStalePending},
		{"ListStaleExecuting", testListStaleExecuting},
		{"List", testList},
		{"ListLimit", testListLimit},
		{"EventsLifecycle", testEventsLifecycle},
		{"RaceApplyPendingApproved", testRaceApplyPendingApproved},
		{"RaceAddApproval", testRaceAddApproval},
		{"RaceAddApprovalAndDeny", testRaceAddApprovalAndDeny},
		{"RaceApplyApprovedExecuting", testRaceApplyApprovedExecuting},
		{"KindPreviewResultExtras", testKindPreviewResultExtras},
		{"RaceMarkReminded", testRaceMarkReminded},
		{"Count", testCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// newRequest returns a pending request created at created, with every field
// a store keeps at creation set.
func newRequest(id string, created time.Time) *approvals.Request {
	return &approvals.Request{
		ID:                id,
		Requester:         "U0REQUESTER",
		ChannelID:         "C0CHANNEL",
		Instance:          approvals.Instance{Alias: "prod-cache", ID: "8f1c3d2e-1111-2222-3333-444455556666"},
		NodeID:            "node-b",
		Addrs:             []string{"10.0.0.9:50012", "10.0.0.2:41000", "192.168.1.1:6379"},
		Reason:            "runaway KEYS * from batch job; ticket OPS-1234 — naïve client",
		ApprovalsRequired: 2,
		State:             approvals.Pending,
		CreatedAt:         created,
		ExpiresAt:         created.Add(15 * time.Minute),
		UpdatedAt:         created,
	}
}

func mustCreate(t *testing.T, s approvals.Store, r *approvals.Request) {
	t.Helper()
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatalf("Create(%s): %v", r.ID, err)
	}
}

func mustGet(t *testing.T, s approvals.Store, id string) *approvals.Request {
	t.Helper()
	r, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return r
}

func mustEvents(t *testing.T, s approvals.Store, id string) []approvals.Event {
	t.Helper()
	evs, err := s.Events(t.Context(), id)
	if err != nil {
		t.Fatalf("Events(%s): %v", id, err)
	}
	return evs
}

func mustApply(t *testing.T, s approvals.Store, id string, tr approvals.Transition) {
	t.Helper()
	ok, err := s.Apply(t.Context(), id, tr)
	if err != nil || !ok {
		t.Fatalf("Apply(%s, %s -> %s) = %v, %v; want true, nil", id, tr.From, tr.To, ok, err)
	}
}

// moveTo drives a pending request along the lifecycle into state (approved or
// executing), at at.
func moveTo(t *testing.T, s approvals.Store, id string, state approvals.State, at time.Time) {
	t.Helper()
	path := map[approvals.State][]approvals.State{
		approvals.Pending:   nil,
		approvals.Approved:  {approvals.Approved},
		approvals.Executing: {approvals.Approved, approvals.Executing},
	}[state]
	from := approvals.Pending
	for _, to := range path {
		mustApply(t, s, id, approvals.Transition{From: from, To: to, At: at, Actor: "U0MOVER"})
		from = to
	}
}

// sameTime reports whether a and b are the same instant at Precision.
func sameTime(a, b time.Time) bool { return a.Truncate(Precision).Equal(b.Truncate(Precision)) }

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %v, want %v (at %v)", what, got, want, Precision)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

// checkRequest compares every field of got with want, times at Precision.
func checkRequest(t *testing.T, got, want *approvals.Request) {
	t.Helper()
	g, w := *got, *want
	checkTime(t, "CreatedAt", g.CreatedAt, w.CreatedAt)
	checkTime(t, "ExpiresAt", g.ExpiresAt, w.ExpiresAt)
	checkTime(t, "UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	if len(g.Approvals) != len(w.Approvals) {
		t.Errorf("Approvals = %v, want %v", g.Approvals, w.Approvals)
	} else {
		for i := range g.Approvals {
			if g.Approvals[i].User != w.Approvals[i].User {
				t.Errorf("Approvals[%d].User = %q, want %q", i, g.Approvals[i].User, w.Approvals[i].User)
			}
			checkTime(t, fmt.Sprintf("Approvals[%d].At", i), g.Approvals[i].At, w.Approvals[i].At)
		}
	}
	if (g.Result == nil) != (w.Result == nil) || g.Result != nil && !reflect.DeepEqual(g.Result, w.Result) {
		t.Errorf("Result = %+v, want %+v", g.Result, w.Result)
	}
	if !slices.Equal(g.Addrs, w.Addrs) {
		t.Errorf("Addrs = %q, want %q", g.Addrs, w.Addrs)
	}
	gp, _ := json.Marshal(g.Preview)
	wp, _ := json.Marshal(w.Preview)
	if string(gp) != string(wp) {
		t.Errorf("Preview = %s, want %s", gp, wp)
	}
	if w.Kind == "" {
		w.Kind = approvals.KindKill
	}
	checkTime(t, "RemindedAt", g.RemindedAt, w.RemindedAt)
	g.CreatedAt, g.ExpiresAt, g.UpdatedAt, g.Approvals, g.Result, g.Addrs, g.Preview, g.RemindedAt = time.Time{}, time.Time{}, time.Time{}, nil, nil, nil, nil, time.Time{}
	w.CreatedAt, w.ExpiresAt, w.UpdatedAt, w.Approvals, w.Result, w.Addrs, w.Preview, w.RemindedAt = time.Time{}, time.Time{}, time.Time{}, nil, nil, nil, nil, time.Time{}
	if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", w) {
		t.Errorf("request\n got %+v\nwant %+v", g, w)
	}
}

func ids(rs []*approvals.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func kinds(evs []approvals.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

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
	added, _, err := s.AddApproval(ctx, id, approvals.Approval{User: "U1", At: t0})
	check("AddApproval", err)
	if added {
		t.Error("AddApproval on an unknown ID reported added")
	}
	ok, err := s.Apply(ctx, id, approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: t0})
	check("Apply", err)
	if ok {
		t.Error("Apply on an unknown ID reported done")
	}
	_, err = s.Events(ctx, id)
	check("Events", err)
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

func testAddApproval(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("appr", t0))
	add := func(user string, at time.Time, wantAdded bool, wantCount int) {
		t.Helper()
		added, count, err := s.AddApproval(ctx, "appr", approvals.Approval{User: user, At: at})
		if err != nil || added != wantAdded || count != wantCount {
			t.Errorf("AddApproval(%s) = %v, %d, %v; want %v, %d, nil", user, added, count, err, wantAdded, wantCount)
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

// allowed lists every transition of the state machine.
func allowed() []approvals.Transition {
	var out []approvals.Transition
	for _, from := range approvals.States {
		for _, to := range approvals.States {
			if approvals.CanTransition(from, to) {
				out = append(out, approvals.Transition{From: from, To: to})
			}
		}
	}
	return out
}

func testAllowedTransitions(t *testing.T, s approvals.Store) {
	trs := allowed()
	if len(trs) < 8 {
		t.Fatalf("only %d allowed transitions found", len(trs))
	}
	for i, tr := range trs {
		id := fmt.Sprintf("tr-%d-%s-%s", i, tr.From, tr.To)
		mustCreate(t, s, newRequest(id, t0))
		moveTo(t, s, id, tr.From, t0.Add(time.Minute))
		before := mustEvents(t, s, id)
		tr.At, tr.Actor = t0.Add(2*time.Minute), "U0ACTOR"
		mustApply(t, s, id, tr)
		got := mustGet(t, s, id)
		if got.State != tr.To {
			t.Errorf("%s: state %s, want %s", id, got.State, tr.To)
		}
		checkTime(t, id+" UpdatedAt", got.UpdatedAt, tr.At)
		evs := mustEvents(t, s, id)
		if len(evs) != len(before)+1 {
			t.Fatalf("%s: %d events after Apply, want %d", id, len(evs), len(before)+1)
		}
		if e := evs[len(evs)-1]; e.Kind != string(tr.To) || e.Actor != "U0ACTOR" || !sameTime(e.At, tr.At) {
			t.Errorf("%s: last event %+v, want kind %s by U0ACTOR at %v", id, e, tr.To, tr.At)
		}
	}
}

func testDisallowedTransitions(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("bad", t0))
	samples := []approvals.Transition{
		{From: approvals.Pending, To: approvals.Executing},
		{From: approvals.Pending, To: approvals.Succeeded},
		{From: approvals.Pending, To: approvals.Pending},
		{From: approvals.Approved, To: approvals.Denied},
		{From: approvals.Executing, To: approvals.Approved},
		{From: approvals.Succeeded, To: approvals.Failed},
		{From: approvals.Denied, To: approvals.Approved},
		{From: approvals.Expired, To: approvals.Pending},
		{From: "", To: approvals.Approved},
		{From: approvals.Pending, To: "bogus"},
	}
	for _, from := range approvals.States {
		for _, to := range approvals.States {
			if !approvals.CanTransition(from, to) {
				samples = append(samples, approvals.Transition{From: from, To: to})
			}
		}
	}
	for _, tr := range samples {
		tr.At, tr.Actor = t0.Add(time.Minute), "U0X"
		ok, err := s.Apply(ctx, "bad", tr)
		if err == nil || ok || errors.Is(err, approvals.ErrNotFound) {
			t.Errorf("Apply(%s -> %s) = %v, %v; want the Validate error", tr.From, tr.To, ok, err)
		}
		if _, err := s.Apply(ctx, "no-such-request", tr); err == nil {
			t.Errorf("Apply(%s -> %s) on an unknown ID: no error", tr.From, tr.To)
		}
	}
	got := mustGet(t, s, "bad")
	if got.State != approvals.Pending || !sameTime(got.UpdatedAt, t0) || got.DecidedBy != "" {
		t.Errorf("after refused transitions: state %s, updated %v, decided by %q", got.State, got.UpdatedAt, got.DecidedBy)
	}
	if evs := mustEvents(t, s, "bad"); len(evs) != 1 {
		t.Errorf("events after refused transitions: %v", kinds(evs))
	}
}

func testWrongFromState(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("wrong", t0))
	want := mustGet(t, s, "wrong")
	try := func(tr approvals.Transition) {
		t.Helper()
		tr.At, tr.Actor, tr.Note = t0.Add(time.Hour), "U0LATE", "late"
		tr.Result = &approvals.Result{Code: "X"}
		ok, err := s.Apply(ctx, "wrong", tr)
		if ok || err != nil {
			t.Errorf("Apply(%s -> %s) on a %s request = %v, %v; want false, nil", tr.From, tr.To, want.State, ok, err)
		}
		checkRequest(t, mustGet(t, s, "wrong"), want)
	}
	try(approvals.Transition{From: approvals.Approved, To: approvals.Executing})
	try(approvals.Transition{From: approvals.Executing, To: approvals.Succeeded})
	nEvents := len(mustEvents(t, s, "wrong"))

	mustApply(t, s, "wrong", approvals.Transition{From: approvals.Pending, To: approvals.Cancelled, At: t0.Add(time.Minute), Actor: "U0REQUESTER"})
	want = mustGet(t, s, "wrong")
	nEvents++
	try(approvals.Transition{From: approvals.Pending, To: approvals.Approved})
	try(approvals.Transition{From: approvals.Pending, To: approvals.Expired})
	try(approvals.Transition{From: approvals.Pending, To: approvals.Cancelled})
	if n := len(mustEvents(t, s, "wrong")); n != nEvents {
		t.Errorf("%d events, want %d: a transition that did not happen left an event", n, nEvents)
	}
}

func testDecisionNoteResult(t *testing.T, s approvals.Store) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	// Approved by the last approver; executing by the bot keeps DecidedBy.
	mustCreate(t, s, newRequest("ok", t0))
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: at(1), Actor: "U0BOB"})
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Approved, To: approvals.Executing, At: at(2)})
	empty := &approvals.Result{}
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: at(3), Result: empty})
	got := mustGet(t, s, "ok")
	if got.DecidedBy != "U0BOB" || got.Note != "" || got.Result == nil || !reflect.DeepEqual(got.Result, empty) {
		t.Errorf("succeeded: decided by %q, note %q, result %+v; want U0BOB, empty, an empty result", got.DecidedBy, got.Note, got.Result)
	}

	// A full DCS error answer.
	mustCreate(t, s, newRequest("fail", t0))
	moveTo(t, s, "fail", approvals.Executing, at(1))
	res := &approvals.Result{Code: "DCS.4800", Message: "client not found", HTTPStatus: 400, DCSRequestID: "9f0e-req", Detail: "DCS refused the kill"}
	mustApply(t, s, "fail", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: at(2), Result: res})
	got = mustGet(t, s, "fail")
	if got.Result == nil || !reflect.DeepEqual(got.Result, res) {
		t.Errorf("failed: result %+v, want %+v", got.Result, res)
	}
	evs := mustEvents(t, s, "fail")
	if d := evs[len(evs)-1].Detail; !strings.Contains(d, "DCS.4800") || !strings.Contains(d, "9f0e-req") {
		t.Errorf("failed event detail %q does not summarise the result", d)
	}

	// Unknown outcome, recovered with a note.
	mustCreate(t, s, newRequest("unk", t0))
	moveTo(t, s, "unk", approvals.Executing, at(1))
	mustApply(t, s, "unk", approvals.Transition{From: approvals.Executing, To: approvals.Unknown, At: at(2), Actor: "U0OPS",
		Note: "recovered after restart", Result: &approvals.Result{Detail: "timed out after 10s"}})
	got = mustGet(t, s, "unk")
	if got.Note != "recovered after restart" || got.Result == nil || got.Result.Detail != "timed out after 10s" || got.DecidedBy != "U0MOVER" {
		t.Errorf("unknown: note %q, result %+v, decided by %q", got.Note, got.Result, got.DecidedBy)
	}
	evs = mustEvents(t, s, "unk")
	if d := evs[len(evs)-1].Detail; !strings.Contains(d, "recovered after restart") || !strings.Contains(d, "timed out") {
		t.Errorf("unknown event detail %q, want the note and the result", d)
	}

	// Denied and cancelled with a note; expired by the bot.
	for _, c := range []struct {
		id    string
		to    approvals.State
		actor string
		note  string
	}{
		{"denied", approvals.Denied, "U0CAROL", "wrong node"},
		{"cancelled", approvals.Cancelled, "U0REQUESTER", "duplicate of req-7"},
		{"expired", approvals.Expired, "", ""},
	} {
		mustCreate(t, s, newRequest(c.id, t0))
		mustApply(t, s, c.id, approvals.Transition{From: approvals.Pending, To: c.to, At: at(5), Actor: c.actor, Note: c.note})
		got := mustGet(t, s, c.id)
		if got.State != c.to || got.DecidedBy != c.actor || got.Note != c.note || got.Result != nil {
			t.Errorf("%s: state %s, decided by %q, note %q, result %+v", c.id, got.State, got.DecidedBy, got.Note, got.Result)
		}
		evs := mustEvents(t, s, c.id)
		if e := evs[len(evs)-1]; e.Kind != string(c.to) || e.Actor != c.actor || e.Detail != c.note {
			t.Errorf("%s: last event %+v", c.id, e)
		}
	}
}

func testListStalePending(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	// Created in an order different from their expiry.
	for _, c := range []struct {
		id  string
		ttl time.Duration
	}{{"p3", 3 * time.Minute}, {"p1", time.Minute}, {"p2", 2 * time.Minute}, {"gone", 0}} {
		r := newRequest(c.id, t0)
		r.ExpiresAt = t0.Add(c.ttl)
		mustCreate(t, s, r)
	}
	mustApply(t, s, "gone", approvals.Transition{From: approvals.Pending, To: approvals.Expired, At: t0})
	if _, _, err := s.AddApproval(ctx, "p1", approvals.Approval{User: "U0ALICE", At: t0}); err != nil {
		t.Fatal(err)
	}

	check := func(before time.Time, limit int, want ...string) {
		t.Helper()
		rs, err := s.ListStale(ctx, approvals.Pending, before, limit)
		if err != nil {
			t.Fatalf("ListStale: %v", err)
		}
		if got := ids(rs); !slices.Equal(got, want) {
			t.Errorf("ListStale(pending, t0+%v, %d) = %v, want %v", before.Sub(t0), limit, got, want)
		}
	}
	check(t0.Add(30*time.Second), 0)
	check(t0.Add(2*time.Minute), 0, "p1", "p2") // at the deadline counts
	check(t0.Add(time.Hour), 0, "p1", "p2", "p3")
	check(t0.Add(time.Hour), 2, "p1", "p2")

	rs, _ := s.ListStale(ctx, approvals.Pending, t0.Add(time.Minute), 0)
	if len(rs) != 1 || len(rs[0].Approvals) != 1 || rs[0].Approvals[0].User != "U0ALICE" {
		t.Errorf("ListStale did not return p1 whole: %+v", rs)
	} else {
		want := newRequest("p1", t0)
		want.ExpiresAt = t0.Add(time.Minute)
		want.Approvals = []approvals.Approval{{User: "U0ALICE", At: t0}}
		checkRequest(t, rs[0], want)
	}
}

func testListStaleExecuting(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	for i, id := range []string{"e2", "e1", "a1"} {
		mustCreate(t, s, newRequest(id, t0.Add(time.Duration(i)*time.Second)))
	}
	// Far-future expiry must not matter outside pending.
	moveTo(t, s, "e1", approvals.Executing, t0.Add(time.Minute))
	moveTo(t, s, "e2", approvals.Executing, t0.Add(2*time.Minute))
	moveTo(t, s, "a1", approvals.Approved, t0.Add(time.Minute))

	check := func(state approvals.State, before time.Time, want ...string) {
		t.Helper()
		rs, err := s.ListStale(ctx, state, before, 0)
		if err != nil {
			t.Fatalf("ListStale: %v", err)
		}
		if got := ids(rs); !slices.Equal(got, want) {
			t.Errorf("ListStale(%s, t0+%v) = %v, want %v", state, before.Sub(t0), got, want)
		}
	}
	check(approvals.Executing, t0.Add(59*time.Second))
	check(approvals.Executing, t0.Add(time.Minute), "e1")
	check(approvals.Executing, t0.Add(time.Hour), "e1", "e2")
	check(approvals.Approved, t0.Add(time.Hour), "a1")
	check(approvals.Pending, t0.Add(time.Hour))
	check(approvals.Succeeded, t0.Add(time.Hour))
}

func testList(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	// r0 oldest ... r5 newest; even ones on prod-a.
	for i := range 6 {
		r := newRequest(fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Minute))
		r.Instance.Alias = "prod-b"
		if i%2 == 0 {
			r.Instance.Alias = "prod-a"
		}
		mustCreate(t, s, r)
	}
	mustApply(t, s, "r1", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Hour), Actor: "U0X"})
	mustApply(t, s, "r2", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Hour), Actor: "U0X"})
	moveTo(t, s, "r4", approvals.Executing, t0.Add(time.Hour))
	if _, _, err := s.AddApproval(ctx, "r5", approvals.Approval{User: "U0ALICE", At: t0}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		f    approvals.ListFilter
		want []string
	}{
		{approvals.ListFilter{}, []string{"r5", "r4", "r3", "r2", "r1", "r0"}},
		{approvals.ListFilter{InstanceAlias: "prod-a"}, []string{"r4", "r2", "r0"}},
		{approvals.ListFilter{InstanceAlias: "nowhere"}, nil},
		{approvals.ListFilter{States: []approvals.State{approvals.Denied}}, []string{"r2", "r1"}},
		{approvals.ListFilter{States: []approvals.State{approvals.Denied, approvals.Executing}}, []string{"r4", "r2", "r1"}},
		{approvals.ListFilter{InstanceAlias: "prod-a", States: []approvals.State{approvals.Pending, approvals.Denied}}, []string{"r2", "r0"}},
		{approvals.ListFilter{Limit: 2}, []string{"r5", "r4"}},
		{approvals.ListFilter{InstanceAlias: "prod-b", Limit: 1}, []string{"r5"}},
	} {
		rs, err := s.List(ctx, c.f)
		if err != nil {
			t.Fatalf("List(%+v): %v", c.f, err)
		}
		if got := ids(rs); !slices.Equal(got, c.want) {
			t.Errorf("List(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	rs, _ := s.List(ctx, approvals.ListFilter{Limit: 1})
	if len(rs) != 1 || len(rs[0].Approvals) != 1 || rs[0].Approvals[0].User != "U0ALICE" {
		t.Errorf("List did not return r5 with its approval: %+v", rs)
	}
}

func testListLimit(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	const n = 25
	for i := range n {
		mustCreate(t, s, newRequest(fmt.Sprintf("l%02d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	rs, err := s.List(ctx, approvals.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || len(rs) >= n || rs[0].ID != "l24" {
		t.Errorf("List with no limit returned %d starting %v; want a default page below %d, newest first", len(rs), ids(rs[:min(1, len(rs))]), n)
	}
	if rs, err := s.List(ctx, approvals.ListFilter{Limit: 1 << 20}); err != nil || len(rs) != n {
		t.Errorf("List(Limit: huge) = %d requests, %v; want all %d", len(rs), err, n)
	}
}

func testEventsLifecycle(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	mustCreate(t, s, newRequest("life", t0))
	if err := s.SetMessage(ctx, "life", "C0APPROVALS", "1.1"); err != nil {
		t.Fatal(err)
	}
	for i, u := range []string{"U0ALICE", "U0BOB"} {
		if added, _, err := s.AddApproval(ctx, "life", approvals.Approval{User: u, At: at(i + 1)}); err != nil || !added {
			t.Fatalf("AddApproval(%s) = %v, %v", u, added, err)
		}
	}
	mustApply(t, s, "life", approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: at(2), Actor: "U0BOB"})
	mustApply(t, s, "life", approvals.Transition{From: approvals.Approved, To: approvals.Executing, At: at(3)})
	mustApply(t, s, "life", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: at(4),
		Result: &approvals.Result{Detail: "2 sessions closed"}})

	want := []approvals.Event{
		{RequestID: "life", At: t0, Actor: "U0REQUESTER", Kind: approvals.EventRequested},
		{RequestID: "life", At: at(1), Actor: "U0ALICE", Kind: approvals.EventApproval},
		{RequestID: "life", At: at(2), Actor: "U0BOB", Kind: approvals.EventApproval},
		{RequestID: "life", At: at(2), Actor: "U0BOB", Kind: string(approvals.Approved)},
		{RequestID: "life", At: at(3), Actor: "", Kind: string(approvals.Executing)},
		{RequestID: "life", At: at(4), Actor: "", Kind: string(approvals.Succeeded), Detail: "2 sessions closed"},
	}
	got := mustEvents(t, s, "life")
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", kinds(got), kinds(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.RequestID != w.RequestID || g.Actor != w.Actor || g.Kind != w.Kind || !sameTime(g.At, w.At) ||
			w.Detail != "" && g.Detail != w.Detail {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
	if got[1].Detail != "1 of 2" || got[2].Detail != "2 of 2" {
		t.Errorf("approval event details %q, %q; want progress like %q", got[1].Detail, got[2].Detail, "1 of 2")
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released together.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

const racers = 50

// raceApply has racers goroutines apply from -> to on one request and checks
// that exactly one did, and left exactly one event.
func raceApply(t *testing.T, s approvals.Store, id string, from, to approvals.State) {
	ctx := context.WithoutCancel(t.Context())
	var mu sync.Mutex
	var winners []string
	var errs []error
	race(racers, func(i int) {
		actor := fmt.Sprintf("U%03d", i)
		ok, err := s.Apply(ctx, id, approvals.Transition{From: from, To: to, At: t0.Add(time.Hour), Actor: actor, Note: actor})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			winners = append(winners, actor)
		}
	})
	for _, err := range errs {
		t.Errorf("racing Apply: %v", err)
	}
	if len(winners) != 1 {
		t.Fatalf("%d racing Apply(%s -> %s) calls returned true (%v), want exactly 1", racers, from, to, winners)
	}
	got := mustGet(t, s, id)
	if got.State != to || got.Note != winners[0] {
		t.Errorf("after the race: state %s, note %q; want %s by the winner %s", got.State, got.Note, to, winners[0])
	}
	var n int
	for _, e := range mustEvents(t, s, id) {
		if e.Kind == string(to) {
			n++
			if e.Actor != winners[0] {
				t.Errorf("%s event by %s, want the winner %s", to, e.Actor, winners[0])
			}
		}
	}
	if n != 1 {
		t.Errorf("%d %s events, want 1", n, to)
	}
}

func testRaceApplyPendingApproved(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("race", t0))
	raceApply(t, s, "race", approvals.Pending, approvals.Approved)
	if got := mustGet(t, s, "race"); got.DecidedBy != got.Note {
		t.Errorf("decided by %q, but the winner was %q", got.DecidedBy, got.Note)
	}
}

func testRaceApplyApprovedExecuting(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("race", t0))
	moveTo(t, s, "race", approvals.Approved, t0)
	raceApply(t, s, "race", approvals.Approved, approvals.Executing)
	// And the way out of executing, too.
	raceApply(t, s, "race", approvals.Executing, approvals.Succeeded)
}

func testRaceAddApproval(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	mustCreate(t, s, newRequest("many", t0))
	// Each user approves twice, concurrently with everyone else.
	var mu sync.Mutex
	var counts []int
	var errs []error
	race(2*racers, func(i int) {
		user := fmt.Sprintf("U%03d", i/2)
		added, count, err := s.AddApproval(ctx, "many", approvals.Approval{User: user, At: t0.Add(time.Duration(i%7) * time.Second)})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if added {
			counts = append(counts, count)
		}
	})
	for _, err := range errs {
		t.Errorf("racing AddApproval: %v", err)
	}
	// Approvals were recorded one after the other: each added call saw a
	// different count, 1 to racers.
	slices.Sort(counts)
	want := make([]int, racers)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(counts, want) {
		t.Errorf("counts seen by added approvals %v, want 1..%d once each", counts, racers)
	}
	got := mustGet(t, s, "many")
	seen := map[string]bool{}
	for _, a := range got.Approvals {
		if seen[a.User] {
			t.Errorf("%s approved twice", a.User)
		}
		seen[a.User] = true
	}
	if len(got.Approvals) != racers {
		t.Errorf("%d approvals stored, want %d", len(got.Approvals), racers)
	}
	var n int
	for _, e := range mustEvents(t, s, "many") {
		if e.Kind == approvals.EventApproval {
			n++
		}
	}
	if n != racers {
		t.Errorf("%d approval events, want %d", n, racers)
	}
}

func testRaceAddApprovalAndDeny(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	mustCreate(t, s, newRequest("deny", t0))
	var mu sync.Mutex
	var added int
	var errs []error
	race(racers, func(i int) {
		var err error
		if i == racers/2 {
			_, err = s.Apply(ctx, "deny", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0, Actor: "U0DENIER"})
		} else {
			var ok bool
			ok, _, err = s.AddApproval(ctx, "deny", approvals.Approval{User: fmt.Sprintf("U%03d", i), At: t0})
			if ok {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	for _, err := range errs {
		t.Errorf("racing: %v", err)
	}
	got := mustGet(t, s, "deny")
	if got.State != approvals.Denied {
		t.Fatalf("state %s, want denied", got.State)
	}
	if len(got.Approvals) != added {
		t.Errorf("%d approvals stored, %d reported added", len(got.Approvals), added)
	}
	// No approval was recorded after the denial.
	evs := mustEvents(t, s, "deny")
	denied := slices.IndexFunc(evs, func(e approvals.Event) bool { return e.Kind == string(approvals.Denied) })
	var n int
	for i, e := range evs {
		if e.Kind == approvals.EventApproval {
			n++
			if i > denied {
				t.Errorf("approval by %s recorded after the denial", e.Actor)
			}
		}
	}
	if n != added {
		t.Errorf("%d approval events, %d reported added", n, added)
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

func testRaceMarkReminded(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("rem", t0))
	var wins atomic.Int32
	race(30, func(int) {
		ok, err := s.MarkReminded(context.Background(), "rem", t0.Add(8*time.Minute))
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
		}
	})
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d callers won the reminder, want 1", n)
	}
	checkTime(t, "RemindedAt", mustGet(t, s, "rem").RemindedAt, t0.Add(8*time.Minute))
	// No reminder for a request that is no longer pending.
	mustCreate(t, s, newRequest("done", t0))
	mustApply(t, s, "done", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Minute), Actor: "U0X"})
	if ok, err := s.MarkReminded(context.Background(), "done", t0.Add(8*time.Minute)); ok || err != nil {
		t.Fatalf("MarkReminded on a denied request: %v %v", ok, err)
	}
}

func testCount(t *testing.T, s approvals.Store) {
	for i := range 1205 {
		mustCreate(t, s, newRequest(fmt.Sprintf("c-%04d", i), t0))
	}
	mustApply(t, s, "c-0000", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Minute), Actor: "U0X"})
	for st, want := range map[approvals.State]int{approvals.Pending: 1204, approvals.Denied: 1, approvals.Executing: 0} {
		n, err := s.Count(context.Background(), st)
		if err != nil || n != want {
			t.Errorf("Count(%s) = %d, %v; want %d", st, n, err, want)
		}
	}
}
