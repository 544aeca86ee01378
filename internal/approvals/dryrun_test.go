package approvals_test

import (
	"context"
	"testing"

	"dcsbot/internal/approvals"
)

// A request runs for real only if neither its creation nor the
// configuration at execution is a dry run: a bot restarted with dry_run
// on does not kill what was asked for before, and one restarted with it
// off does not kill what was asked for as a dry run.
func TestDryRunDecidedAtExecution(t *testing.T) {
	for _, c := range []struct {
		name             string
		created, running bool
		wantKill         bool
		allNodes         bool // a kill on every node, chosen by a selector
	}{
		{"real request, dry run now", false, true, false, false},
		{"dry-run request, real now", true, false, false, false},
		{"dry run throughout", true, true, false, false},
		{"real throughout", false, false, true, false},
		{"every node: real request, dry run now", false, true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sessions *fakeSessions
			if c.allNodes {
				sessions = proxySessions()
			}
			h := newHarness(t, func(p *approvals.Params) {
				p.DryRun = c.created
				if sessions != nil {
					p.Sessions = sessions
				}
			})
			r := submitDryRunCase(t, h, c.allNodes)
			if r.DryRun != c.created {
				t.Fatalf("request made with DryRun %v, want %v", r.DryRun, c.created)
			}
			// The same store under a bot whose configuration changed.
			later := newHarness(t, func(p *approvals.Params) {
				p.Store, p.Killer, p.Notifier, p.Now = h.store, h.killer, h.notifier, h.clock.Now
				p.DryRun = c.running
				if sessions != nil {
					p.Sessions = sessions
				}
			})
			if err := later.svc.Approve(context.Background(), r.ID, approver1); err != nil {
				t.Fatal(err)
			}
			got, err := h.store.Get(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != approvals.Succeeded {
				t.Fatalf("state %s", got.State)
			}
			if killed := len(h.killer.Calls()) > 0; killed != c.wantKill {
				t.Fatalf("DCS kill called: %v, want %v", killed, c.wantKill)
			}
			if got.Result.DryRun == c.wantKill {
				t.Fatalf("result recorded DryRun %v", got.Result.DryRun)
			}
		})
	}
}

// submitDryRunCase submits the usual kill of two addresses on one node,
// or, with allNodes, a kill on every node of the sessions a selector
// chooses.
func submitDryRunCase(t *testing.T, h *harness, allNodes bool) *approvals.Request {
	t.Helper()
	if !allNodes {
		return h.submit(t)
	}
	r, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Cmd: "keys"}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
