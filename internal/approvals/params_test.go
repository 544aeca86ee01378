package approvals_test

import (
	"strings"
	"testing"

	"dcsbot/internal/approvals"
)

// NewService refuses a missing port and every unset number or duration,
// naming it, rather than filling in a default of its own: the defaults
// live in internal/config.
func TestNewServiceRefusesZeroValues(t *testing.T) {
	var good approvals.Params
	newHarness(t, func(p *approvals.Params) { good = *p })
	withPolicy := func(mod func(*approvals.Policy)) func(*approvals.Params) {
		return func(p *approvals.Params) { mod(&p.Policy) }
	}
	for _, c := range []struct {
		want string
		mod  func(*approvals.Params)
	}{
		{"missing Store", func(p *approvals.Params) { p.Store = nil }},
		{"missing Killer", func(p *approvals.Params) { p.Killer = nil }},
		{"missing Notifier", func(p *approvals.Params) { p.Notifier = nil }},
		{"no instances", func(p *approvals.Params) { p.Instances = nil }},
		{"stale-after is 0s", func(p *approvals.Params) { p.StaleAfter = 0 }},
		{"overview window is 0s", func(p *approvals.Params) { p.OverviewWindow = 0 }},
		{"lease is 0s", func(p *approvals.Params) { p.Lease = 0 }},
		{"job timeout is 0s", func(p *approvals.Params) { p.JobTimeout = 0 }},
		{"scan bound is 0s", func(p *approvals.Params) { p.ScanBound = 0 }},
		{"approvals required is 0", withPolicy(func(p *approvals.Policy) { p.ApprovalsRequired = 0 })},
		{"TTL is 0s", withPolicy(func(p *approvals.Policy) { p.TTL = 0 })},
		{"max addresses is 0", withPolicy(func(p *approvals.Policy) { p.MaxAddrs = 0 })},
		{"max pending per user is 0", withPolicy(func(p *approvals.Policy) { p.MaxPending = 0 })},
		{"kill-all approvals required is 0", withPolicy(func(p *approvals.Policy) { p.KillAll.ApprovalsRequired = 0 })},
		{`notify mode is ""`, withPolicy(func(p *approvals.Policy) { p.Notify = "" })},
		{"policy of payments-prod: TTL is 0s", func(p *approvals.Params) {
			pol := p.Policy
			pol.TTL = 0
			p.Policies = map[string]approvals.Policy{"payments-prod": pol}
		}},
	} {
		p := good
		c.mod(&p)
		_, err := approvals.NewService(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewService = %v", c.want, err)
		}
	}
	if _, err := approvals.NewService(good); err != nil {
		t.Fatalf("complete params refused: %v", err)
	}
}
