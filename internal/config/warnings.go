package config

// Warnings lists what a valid configuration allows but is likely a
// mistake, each at its key, sorted: the bot logs them at start and
// -check-config prints them. A configuration with warnings still runs.
// Besides the policies' pitfalls, they catch an unfinished copy of the
// example: IDs still the example's placeholders, and secrets that look
// like placeholders (`xapp-…`).
func (c *Config) Warnings() Problems {
	var p problems
	c.eachPolicy(&p, warnPolicy)
	c.warnExampleIDs(&p)
	c.Secrets.warnPlaceholders(&p)
	return p.sorted()
}

// warnPolicy warns about one policy, the block at key.
func warnPolicy(p *problems, key string, pol Policy) {
	k := func(name string) string { return key + "." + name }
	a, ka := pol.ApprovalsRequired, pol.KillAll.ApprovalsRequired
	if ka < a {
		p.add(k("kill_all.approvals_required"), "%d is lower than approvals_required (%d): a kill-all needs %d approvals, never fewer than a kill", ka, a, a)
	}
	warnReach(p, k("approvals_required"), a, pol)
	if pol.KillAll.Enabled && ka > a {
		warnReach(p, k("kill_all.approvals_required"), ka, pol)
	}
}
