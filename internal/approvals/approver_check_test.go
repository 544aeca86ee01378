package approvals_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"dcsbot/internal/approvals"
)

// groupDirectory resolves groups from a map, failing for the groups in
// broken; members can change while a test runs.
type groupDirectory struct {
	mu      sync.Mutex
	members map[string][]string
	broken  map[string]error
}

var _ approvals.Directory = (*groupDirectory)(nil)

func (d *groupDirectory) GroupMembers(_ context.Context, id string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.broken[id]; err != nil {
		return nil, err
	}
	return d.members[id], nil
}

func (d *groupDirectory) set(group string, users ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.members[group] = users
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// One approver group that cannot be resolved does not lock out the
// members of the others; the failing group is logged. A user in no group
// is refused, and told which group could not be checked.
func TestBrokenApproverGroupDoesNotBlockOthers(t *testing.T) {
	logs := &syncBuffer{}
	dir := &groupDirectory{
		members: map[string][]string{"SONCALL01": {groupMate}},
		broken:  map[string]error{"SDELETED1": errors.New("slack usergroups.users.list SDELETED1: no_such_subteam")},
	}
	h := newHarness(t, func(p *approvals.Params) {
		p.Directory = dir
		p.Policy.Approvers = []string{approver1, "SDELETED1", "SONCALL01"}
		p.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	ctx := context.Background()

	r := h.submit(t)
	err := h.svc.Approve(ctx, r.ID, outsider)
	var ref *approvals.Refusal
	if !errors.As(err, &ref) || ref.Code != approvals.RefuseNotApprover || len(ref.Groups) != 1 || ref.Groups[0] != "SDELETED1" {
		t.Fatalf("outsider: want a not-approver refusal naming SDELETED1, got %v", err)
	}
	if err := h.svc.CanDeny(ctx, r.ID, groupMate); err != nil {
		t.Fatalf("group member may not deny: %v", err)
	}
	if err := h.svc.Approve(ctx, r.ID, groupMate); err != nil {
		t.Fatalf("group member refused: %v", err)
	}
	if h.state(t, r.ID) != approvals.Succeeded {
		t.Fatalf("state %s", h.state(t, r.ID))
	}
	if !strings.Contains(logs.String(), "group=SDELETED1") {
		t.Fatalf("the failing group is not logged:\n%s", logs)
	}
}

// An approval counts only while its approver is one: a member who left
// the approver group no longer counts at the threshold, and the request
// stays pending until enough current approvers have approved.
func TestApprovalCountsOnlyWhileApprover(t *testing.T) {
	dir := &groupDirectory{members: map[string][]string{"SONCALL01": {groupMate}}}
	h := newHarness(t, func(p *approvals.Params) {
		p.Directory = dir
		p.Policy.ApprovalsRequired = 2
	})
	ctx := context.Background()
	r := h.submit(t)
	if err := h.svc.Approve(ctx, r.ID, groupMate); err != nil {
		t.Fatal(err)
	}
	dir.set("SONCALL01") // groupMate leaves the group
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Pending || len(h.killer.Calls()) != 0 {
		t.Fatalf("two approvals, one by a former approver: state %s, %d kills; want pending, none", st, len(h.killer.Calls()))
	}
	last := h.notifier.lastNote(r.ID)
	if last.Kind != approvals.NoteApproval || last.Count != 1 || len(last.Lapsed) != 1 || last.Lapsed[0] != groupMate {
		t.Fatalf("thread note %+v: want 1 approval counted, %s's lapsed", last, groupMate)
	}
	// A click of the same approver again changes nothing.
	wantRefusal(t, h.svc.Approve(ctx, r.ID, approver1), "already approved")
	if err := h.svc.Approve(ctx, r.ID, approver2); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Succeeded || len(h.killer.Calls()) != 1 {
		t.Fatalf("two current approvers: state %s, %d kills", st, len(h.killer.Calls()))
	}
}

// A kill-all never needs fewer approvals than a targeted kill on the same
// instance, whatever its own count says.
func TestKillAllNeedsAtLeastAKillsApprovals(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.ApprovalsRequired = 3
		p.Policy.KillAll = approvals.KillAllPolicy{Enabled: true, ApprovalsRequired: 2}
		p.Policies = map[string]approvals.Policy{"orders-prod": p.Policy}
	})
	r, err := h.svc.Submit(context.Background(), approvals.KillRequest{
		User: requester, Channel: channel, Instance: "orders-prod",
		Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, KillAll: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.ApprovalsRequired != 3 {
		t.Fatalf("kill-all needs %d approvals, want 3 (as a kill)", r.ApprovalsRequired)
	}
	for _, u := range []string{approver1, approver2} {
		if err := h.svc.Approve(context.Background(), r.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.state(t, r.ID); st != approvals.Pending || len(h.killer.Calls()) != 0 {
		t.Fatalf("after 2 of 3 approvals: state %s, %d kills", st, len(h.killer.Calls()))
	}
}
