// Package storetest is the conformance suite every approvals.Store passes.
// A backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
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
		{"ApproveRecords", testApproveRecords},
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
		{"RaceApprovals", testRaceApprovals},
		{"RaceApprovalsAndDeny", testRaceApprovalsAndDeny},
		{"RaceApplyApprovedExecuting", testRaceApplyApprovedExecuting},
		{"KindPreviewResultExtras", testKindPreviewResultExtras},
		{"PerNodeSelectors", testPerNodeSelectors},
		{"RaceMarkReminded", testRaceMarkReminded},
		{"Count", testCount},
		{"ListScope", testListScope},
		{"ApproverMessages", testApproverMessages},
		{"OverviewViewers", testOverviewViewers},
		{"Lease", testLease},
		{"ApplyIfAbandoned", testApplyIfAbandoned},
		{"SetJob", testSetJob},
		{"ResumeJob", testResumeJob},
		{"ApproveClaims", testApproveClaims},
		{"ApproveCountsOnlyCounting", testApproveCountsOnlyCounting},
		{"RaceApprove", testRaceApprove},
		{"RaceApproveAndDeny", testRaceApproveAndDeny},
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
	gn, _ := json.Marshal(g.Nodes)
	wn, _ := json.Marshal(w.Nodes)
	if string(gn) != string(wn) {
		t.Errorf("Nodes = %s, want %s", gn, wn)
	}
	g.Nodes, w.Nodes = nil, nil
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
