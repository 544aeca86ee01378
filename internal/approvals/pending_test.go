package approvals_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// One person may have at most policy.max_pending_per_user requests
// waiting for approval (on every instance together, the limit of the
// instance asked for): the next is refused with the list of theirs.
// Requests decided or past their TTL no longer count.
func TestMaxPendingPerUser(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.MaxPending = 2
		p.Instances["orders-lax"] = approvals.Instance{Alias: "orders-lax", ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
		lax := p.Policy
		lax.MaxPending = 3
		p.Policies = map[string]approvals.Policy{"orders-lax": lax}
	})
	ctx := context.Background()
	ask := func(user, instance string) (*approvals.Request, error) {
		return h.svc.Submit(ctx, approvals.KillRequest{User: user, Channel: channel, Instance: instance,
			Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, Addrs: []string{"10.0.0.1:5000"}})
	}
	a, err := ask(requester, "orders-prod")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ask(requester, "orders-prod")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ask(requester, "orders-prod")
	var ref *approvals.Refusal
	if !errors.As(err, &ref) || ref.Code != approvals.RefuseTooManyPending || ref.Max != 2 ||
		!slices.Equal(sorted(ref.Requests), sorted([]string{a.ID, b.ID})) {
		t.Fatalf("third request: want a too-many-pending refusal listing %s and %s, got %v", a.ID, b.ID, err)
	}
	// Another person is not affected; an instance with a higher limit
	// takes one more.
	if _, err := ask(approver1, "orders-prod"); err != nil {
		t.Fatalf("another requester: %v", err)
	}
	c, err := ask(requester, "orders-lax")
	if err != nil {
		t.Fatalf("instance allowing 3: %v", err)
	}
	if _, err := ask(requester, "orders-lax"); !errors.As(err, &ref) || ref.Count != 3 {
		t.Fatalf("fourth request: %v", err)
	}
	// A decided request frees a place; so does one past its TTL.
	if err := h.svc.Cancel(ctx, c.ID, requester); err != nil {
		t.Fatal(err)
	}
	if _, err := ask(requester, "orders-lax"); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
	h.clock.Advance(16 * time.Minute)
	if _, err := ask(requester, "orders-prod"); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
