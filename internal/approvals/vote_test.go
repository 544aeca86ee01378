package approvals_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"dcsbot/internal/approvals"
)

// countingStore counts the store's writes by method, and can run a hook
// before each Approve.
type countingStore struct {
	approvals.Store
	mu            sync.Mutex
	calls         map[string]int
	beforeApprove func(user string)
}

func (s *countingStore) count(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[method]++
}

func (s *countingStore) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *countingStore) Approve(ctx context.Context, id string, v approvals.Vote) (approvals.Tally, error) {
	if s.beforeApprove != nil {
		s.beforeApprove(v.Approval.User)
	}
	defer s.count("Approve")
	return s.Store.Approve(ctx, id, v)
}

func (s *countingStore) Apply(ctx context.Context, id string, t approvals.Transition) (bool, error) {
	s.count("Apply")
	return s.Store.Apply(ctx, id, t)
}

func withStore(st approvals.Store) func(*approvals.Params) {
	return func(p *approvals.Params) { p.Store = st }
}

// The approval that decides is one store write with pending -> approved
// -> executing; the outcome is one more. An approval below the count is
// one write.
func TestDecidingApprovalIsOneStoreWrite(t *testing.T) {
	var st *countingStore
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.ApprovalsRequired = 2
		st = &countingStore{Store: p.Store}
		p.Store = st
	})
	r := h.submit(t)
	ctx := context.Background()
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if c := st.Calls(); c["Approve"] != 1 || c["Apply"] != 0 {
		t.Fatalf("store writes after the first approval: %v", c)
	}
	if err := h.svc.Approve(ctx, r.ID, approver2); err != nil {
		t.Fatal(err)
	}
	if c := st.Calls(); c["Approve"] != 2 || c["Apply"] != 1 {
		t.Fatalf("store writes after the deciding approval: %v; want 2 Approve and the outcome's Apply", c)
	}
	evs, _ := h.store.Events(ctx, r.ID)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []string{approvals.EventRequested, approvals.EventApproval, approvals.EventApproval, "approved", "executing", "succeeded"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	if len(h.killer.Calls()) != 1 || h.state(t, r.ID) != approvals.Succeeded {
		t.Fatalf("kills %d, state %s", len(h.killer.Calls()), h.state(t, r.ID))
	}
}

// simultaneous has approver2 and approver1 click a request that needs two
// approvals at the same moment: both read it before either votes, then
// approver2's vote commits first. between runs after approver2's vote and
// before approver1's.
func simultaneous(t *testing.T, between func(*groupDirectory)) (*harness, *countingStore, *approvals.Request, [2]error) {
	t.Helper()
	var st *countingStore
	dir := &groupDirectory{members: map[string][]string{"SONCALL01": {groupMate}}}
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.ApprovalsRequired = 2
		p.Directory = dir
		st = &countingStore{Store: p.Store}
		p.Store = st
	})
	r := h.submit(t)
	arrived := make(chan string, 2)
	secondGo, firstDone := make(chan struct{}), make(chan struct{})
	var once sync.Once
	st.beforeApprove = func(user string) {
		arrived <- user
		if user == groupMate {
			<-secondGo
		} else {
			once.Do(func() { <-firstDone })
		}
	}
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = h.svc.Approve(context.Background(), r.ID, approver1) })
	wg.Go(func() { errs[1] = h.svc.Approve(context.Background(), r.ID, groupMate) })
	<-arrived
	<-arrived // both read the request, with no approval, and checked it
	close(secondGo)
	eventually(t, "the group member's vote", func() bool { return st.Calls()["Approve"] == 1 })
	between(dir)
	close(firstDone)
	wg.Wait()
	return h, st, r, errs
}

// Two approvals at the same moment, each unseen by the other's click:
// the click that commits last checks the other's approver and claims;
// one kill.
func TestSimultaneousApprovalsClaimOnce(t *testing.T) {
	h, st, r, errs := simultaneous(t, func(*groupDirectory) {})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(h.killer.Calls()) != 1 || h.state(t, r.ID) != approvals.Succeeded {
		t.Fatalf("kills %d, state %s", len(h.killer.Calls()), h.state(t, r.ID))
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if got.DecidedBy != approver1 || len(got.Approvals) != 2 {
		t.Fatalf("decided by %q with %v", got.DecidedBy, got.Approvals)
	}
	if c := st.Calls(); c["Approve"] != 3 {
		t.Fatalf("Approve calls %d, want 3 (the last click votes again once it has checked the other approver)", c["Approve"])
	}
}

// The same, but the group member leaves the approver group between the
// two clicks: at the threshold their approval does not count, so nothing
// is claimed or killed.
func TestSimultaneousApprovalRecheckedAtTheThreshold(t *testing.T) {
	h, _, r, errs := simultaneous(t, func(dir *groupDirectory) {
		dir.set("SONCALL01") // nobody
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(h.killer.Calls()) != 0 || h.state(t, r.ID) != approvals.Pending {
		t.Fatalf("kills %d, state %s; want none, pending", len(h.killer.Calls()), h.state(t, r.ID))
	}
	last := h.notifier.lastNote(r.ID)
	if last.Kind != approvals.NoteApproval || last.Count != 1 || !slices.Equal(last.Lapsed, []string{groupMate}) {
		t.Fatalf("last note %+v; want 1 approval counting, the group member's lapsed", last)
	}
}
