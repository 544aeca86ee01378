package approvals_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

func ids(rs []*approvals.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// An approver's overview holds the pending requests they may decide, the
// requester's their own, and both the latest decisions they can see.
func TestOverview(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	first := h.submit(t)
	h.clock.Advance(time.Minute)
	second := h.submit(t)
	h.clock.Advance(time.Minute)
	denied := h.submit(t)
	if err := h.svc.Deny(ctx, denied.ID, approver1, ""); err != nil {
		t.Fatal(err)
	}

	o, err := h.svc.Overview(ctx, groupMate)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(o.ToDecide), []string{first.ID, second.ID}; !slices.Equal(got, want) {
		t.Errorf("group member may decide %v, want %v (soonest to expire first)", got, want)
	}
	if len(o.Mine) != 0 || !slices.Equal(ids(o.Decided), []string{denied.ID}) {
		t.Errorf("group member: mine %v, decided %v", ids(o.Mine), ids(o.Decided))
	}

	// The requester is an approver too, but decides nothing of their own.
	o, err = h.svc.Overview(ctx, requester)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ToDecide) != 0 || !slices.Equal(ids(o.Mine), []string{second.ID, first.ID}) {
		t.Errorf("requester: to decide %v, mine %v", ids(o.ToDecide), ids(o.Mine))
	}

	// Someone who neither approves nor asked sees nothing.
	o, err = h.svc.Overview(ctx, outsider)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ToDecide)+len(o.Mine)+len(o.Decided) != 0 {
		t.Errorf("outsider sees %+v", o)
	}

	// An expired request (not swept yet) is nobody's to act on.
	h.clock.Advance(time.Hour)
	o, _ = h.svc.Overview(ctx, approver1)
	if len(o.ToDecide) != 0 {
		t.Errorf("expired requests offered: %v", ids(o.ToDecide))
	}
}

// The last decisions are the latest changes, ten at most.
func TestOverviewDecisions(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	var want []string
	for range approvals.OverviewDecisions + 2 {
		r := h.submit(t)
		h.clock.Advance(time.Second)
		if err := h.svc.Cancel(ctx, r.ID, requester); err != nil {
			t.Fatal(err)
		}
		want = append([]string{r.ID}, want...)
	}
	o, err := h.svc.Overview(ctx, approver2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(o.Decided); !slices.Equal(got, want[:approvals.OverviewDecisions]) {
		t.Fatalf("decided %v, want %v", got, want[:approvals.OverviewDecisions])
	}
}

// Those who opened their overview within the window and to whom a changed
// request matters are the ones to refresh.
func TestOverviewWatchers(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) { p.OverviewWindow = time.Hour })
	ctx := context.Background()
	for _, u := range []string{approver1, outsider, groupMate} {
		if _, err := h.svc.OverviewOpened(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Advance(30 * time.Minute)
	if _, err := h.svc.OverviewOpened(ctx, requester); err != nil {
		t.Fatal(err)
	}
	r := h.submit(t)
	got, err := h.svc.OverviewWatchers(ctx, []string{r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{approver1, groupMate, requester}; !slices.Equal(got, want) {
		t.Fatalf("watchers %v, want %v", got, want)
	}
	// An hour after their last look, only the requester still counts.
	h.clock.Advance(45 * time.Minute)
	got, _ = h.svc.OverviewWatchers(ctx, []string{r.ID})
	if !slices.Equal(got, []string{requester}) {
		t.Fatalf("watchers after the window %v", got)
	}
}
