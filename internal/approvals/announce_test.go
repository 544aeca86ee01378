package approvals_test

import (
	"context"
	"errors"
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/store/memstore"
)

// armingNotifier checks that the buttons (an Update of a pending request)
// come only once the store knows where the message is, and can refuse to
// draw them.
type armingNotifier struct {
	*fakeNotifier
	store    *memstore.Store
	armed    int
	early    int   // buttons drawn before the message was recorded
	armFails error // the Update that draws the buttons fails with it
}

func (n *armingNotifier) Update(ctx context.Context, r *approvals.Request) error {
	if r.State == approvals.Pending {
		if got, err := n.store.Get(ctx, r.ID); err != nil || got.MessageTS == "" {
			n.early++
		}
		if n.armFails != nil {
			return n.armFails
		}
		n.armed++
	}
	return n.fakeNotifier.Update(ctx, r)
}

func newArmingHarness(t *testing.T) (*harness, *armingNotifier) {
	t.Helper()
	var n *armingNotifier
	h := newHarness(t, func(p *approvals.Params) {
		n = &armingNotifier{fakeNotifier: newFakeNotifier(), store: p.Store.(*memstore.Store)}
		p.Notifier = n
	})
	h.notifier = n.fakeNotifier
	return h, n
}

// The approval message is posted without buttons; they are drawn once the
// store has recorded where the message is, so no click can come from a
// message the store does not know.
func TestButtonsComeAfterTheMessageIsRecorded(t *testing.T) {
	h, n := newArmingHarness(t)
	h.submit(t)
	if n.armed != 1 || n.early != 0 {
		t.Fatalf("buttons drawn %d times, %d before the message was recorded; want once, after", n.armed, n.early)
	}

	// The store cannot record the message, nor the withdrawal: the
	// request stays pending, its message never gets buttons, and a click
	// (an old client, a forged payload) is refused.
	h.store.Fail("SetMessage", errors.New("database is locked"))
	h.store.Fail("Apply", errors.New("database is locked"))
	_, err := h.svc.Submit(context.Background(), approvals.KillRequest{User: requester, Channel: channel, Instance: "orders-prod",
		Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, Addrs: []string{"10.0.0.1:5000"}})
	if err == nil {
		t.Fatal("Submit succeeded although the message could not be recorded")
	}
	h.store.Fail("SetMessage", nil)
	h.store.Fail("Apply", nil)
	if n.armed != 1 || n.early != 0 {
		t.Fatalf("buttons drawn on a message the store does not know (%d, %d early)", n.armed, n.early)
	}
	for _, r := range h.store.All() {
		if r.MessageTS == "" {
			wantRefusal(t, h.svc.Approve(context.Background(), r.ID, approver1), "still being set up")
		}
	}
	if len(h.killer.Calls()) != 0 {
		t.Fatal("killed a request whose message was never recorded")
	}
}

// A request whose buttons cannot be drawn is withdrawn: nobody could
// approve it.
func TestButtonsFailingWithdrawsTheRequest(t *testing.T) {
	h, n := newArmingHarness(t)
	n.armFails = errors.New("slack chat.update: timeout")
	_, err := h.svc.Submit(context.Background(), approvals.KillRequest{User: requester, Channel: channel, Instance: "orders-prod",
		Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, Addrs: []string{"10.0.0.1:5000"}})
	if err == nil {
		t.Fatal("Submit succeeded although the buttons could not be added")
	}
	rs := h.store.All()
	if len(rs) != 1 || rs[0].State != approvals.Cancelled || rs[0].Note != "the approval buttons could not be added" {
		t.Fatalf("stored: %+v", rs)
	}
	if h.notifier.LastUpdate(rs[0].ID) != approvals.Cancelled {
		t.Fatal("the message was not redrawn as withdrawn")
	}
}
