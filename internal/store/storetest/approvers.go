package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// A scope keeps the requests of its instances and those its requester
// asked for; an empty one holds nothing; ByUpdate orders by the last
// state change.
func testListScope(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mk := func(id, alias, requester string, created time.Time) {
		r := newRequest(id, created)
		r.Instance.Alias, r.Requester = alias, requester
		mustCreate(t, s, r)
	}
	mk("a1", "alpha", "U0ALICE", t0)
	mk("b1", "beta", "U0BOB", t0.Add(time.Minute))
	mk("g1", "gamma", "U0ALICE", t0.Add(2*time.Minute))
	mk("g2", "gamma", "U0CAROL", t0.Add(3*time.Minute))
	// Changed in another order than created.
	mustApply(t, s, "g1", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(10 * time.Minute), Actor: "U0BOB"})
	mustApply(t, s, "a1", approvals.Transition{From: approvals.Pending, To: approvals.Cancelled, At: t0.Add(20 * time.Minute), Actor: "U0ALICE"})

	check := func(f approvals.ListFilter, want ...string) {
		t.Helper()
		rs, err := s.List(ctx, f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		if got := ids(rs); !slices.Equal(got, want) {
			t.Errorf("List(scope %+v, states %v, by update %v) = %v, want %v", f.Scope, f.States, f.ByUpdate, got, want)
		}
	}
	check(approvals.ListFilter{Scope: &approvals.Scope{Instances: []string{"beta", "gamma"}}}, "g2", "g1", "b1")
	check(approvals.ListFilter{Scope: &approvals.Scope{Requester: "U0ALICE"}}, "g1", "a1")
	check(approvals.ListFilter{Scope: &approvals.Scope{Instances: []string{"beta"}, Requester: "U0ALICE"}}, "g1", "b1", "a1")
	check(approvals.ListFilter{Scope: &approvals.Scope{}})
	check(approvals.ListFilter{Scope: &approvals.Scope{Instances: []string{"nope"}}})
	check(approvals.ListFilter{Scope: &approvals.Scope{Instances: []string{"gamma"}}, States: []approvals.State{approvals.Pending}}, "g2")
	check(approvals.ListFilter{ByUpdate: true}, "a1", "g1", "g2", "b1")
	check(approvals.ListFilter{ByUpdate: true, Limit: 2, States: []approvals.State{approvals.Denied, approvals.Cancelled}}, "a1", "g1")
}

// The direct messages to approvers are kept per request and user; a second
// one to the same user replaces the first; an unknown request is refused.
func testApproverMessages(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("dm", t0))
	mustCreate(t, s, newRequest("other", t0))
	add := func(id string, m approvals.ApproverMessage) {
		t.Helper()
		if err := s.AddApproverMessage(ctx, id, m); err != nil {
			t.Fatalf("AddApproverMessage(%s, %+v): %v", id, m, err)
		}
	}
	add("dm", approvals.ApproverMessage{User: "U0CAROL", ChannelID: "D0CAROL", TS: "1.1"})
	add("dm", approvals.ApproverMessage{User: "U0BOB", ChannelID: "D0BOB", TS: "1.2"})
	add("other", approvals.ApproverMessage{User: "U0BOB", ChannelID: "D0BOB", TS: "2.1"})
	add("dm", approvals.ApproverMessage{User: "U0CAROL", ChannelID: "D0CAROL", TS: "1.3"})

	got, err := s.ApproverMessages(ctx, "dm")
	if err != nil {
		t.Fatal(err)
	}
	want := []approvals.ApproverMessage{{User: "U0BOB", ChannelID: "D0BOB", TS: "1.2"}, {User: "U0CAROL", ChannelID: "D0CAROL", TS: "1.3"}}
	if !slices.Equal(got, want) {
		t.Errorf("ApproverMessages(dm) = %+v, want %+v", got, want)
	}
	if got, err := s.ApproverMessages(ctx, "none"); err != nil || len(got) != 0 {
		t.Errorf("ApproverMessages(none) = %+v, %v", got, err)
	}
	err = s.AddApproverMessage(ctx, "none", approvals.ApproverMessage{User: "U0BOB", ChannelID: "D0BOB", TS: "3.1"})
	if !errors.Is(err, approvals.ErrNotFound) {
		t.Errorf("AddApproverMessage to an unknown request: %v, want ErrNotFound", err)
	}
}

// Overview viewers are kept by their latest look, and listed from a time.
func testOverviewViewers(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	saw := func(user string, at time.Time) {
		t.Helper()
		if err := s.SawOverview(ctx, user, at); err != nil {
			t.Fatalf("SawOverview(%s): %v", user, err)
		}
	}
	saw("U0BOB", t0)
	saw("U0ALICE", t0.Add(time.Minute))
	saw("U0CAROL", t0.Add(2*time.Minute))
	saw("U0BOB", t0.Add(3*time.Minute))
	saw("U0CAROL", t0) // earlier than recorded: no change

	check := func(since time.Time, want ...string) {
		t.Helper()
		got, err := s.OverviewViewers(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("OverviewViewers(t0+%v) = %v, want %v", since.Sub(t0), got, want)
		}
	}
	check(t0, "U0ALICE", "U0BOB", "U0CAROL")
	check(t0.Add(time.Minute), "U0ALICE", "U0BOB", "U0CAROL") // at the time counts
	check(t0.Add(90*time.Second), "U0BOB", "U0CAROL")
	check(t0.Add(3*time.Minute), "U0BOB")
	check(t0.Add(time.Hour))
}
