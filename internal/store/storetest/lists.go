package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

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
	if _, err := s.Approve(ctx, "p1", vote("U0ALICE", t0)); err != nil {
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
	// r0 oldest ... r5 newest; even ones on prod-a; r3 and r4 asked by
	// U0OTHER.
	for i := range 6 {
		r := newRequest(fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Minute))
		r.Instance.Alias = "prod-b"
		if i%2 == 0 {
			r.Instance.Alias = "prod-a"
		}
		if i == 3 || i == 4 {
			r.Requester = "U0OTHER"
		}
		mustCreate(t, s, r)
	}
	mustApply(t, s, "r1", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Hour), Actor: "U0X"})
	mustApply(t, s, "r2", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Hour), Actor: "U0X"})
	moveTo(t, s, "r4", approvals.Executing, t0.Add(time.Hour))
	if _, err := s.Approve(ctx, "r5", vote("U0ALICE", t0)); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		f    approvals.ListFilter
		want []string
	}{
		{approvals.ListFilter{}, []string{"r5", "r4", "r3", "r2", "r1", "r0"}},
		{approvals.ListFilter{InstanceAlias: "prod-a"}, []string{"r4", "r2", "r0"}},
		{approvals.ListFilter{InstanceAlias: "nowhere"}, nil},
		{approvals.ListFilter{Instances: []string{"prod-b"}}, []string{"r5", "r3", "r1"}},
		{approvals.ListFilter{Requester: "U0OTHER"}, []string{"r4", "r3"}},
		{approvals.ListFilter{Requester: "U0REQUESTER", States: []approvals.State{approvals.Pending}}, []string{"r5", "r0"}},
		{approvals.ListFilter{Requester: "U0OTHER", Instances: []string{"prod-a"}}, []string{"r4"}},
		{approvals.ListFilter{Instances: []string{"nowhere", "prod-a"}, Limit: 2}, []string{"r4", "r2"}},
		{approvals.ListFilter{Instances: []string{"prod-a", "prod-b"}, States: []approvals.State{approvals.Denied}}, []string{"r2", "r1"}},
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
	approveBoth(t, s, "life", at(1), at(2))
	mustApply(t, s, "life", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: at(4),
		Result: &approvals.Result{Detail: "2 sessions closed"}})

	want := []approvals.Event{
		{RequestID: "life", At: t0, Actor: "U0REQUESTER", Kind: approvals.EventRequested},
		{RequestID: "life", At: at(1), Actor: "U0ALICE", Kind: approvals.EventApproval},
		{RequestID: "life", At: at(2), Actor: "U0BOB", Kind: approvals.EventApproval},
		{RequestID: "life", At: at(2), Actor: "U0BOB", Kind: string(approvals.Approved)},
		{RequestID: "life", At: at(2), Actor: "U0BOB", Kind: string(approvals.Executing)},
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
