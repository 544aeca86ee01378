package config

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"dcsbot/internal/approvals"
)

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,3}$`)
	projectIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
	aliasRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	channelRE   = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	userRE      = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	approverRE  = regexp.MustCompile(`^[UWS][A-Z0-9]{6,}$`)
	dsnKVRE     = regexp.MustCompile(`^\s*[a-z_]+\s*=`)
)

// Limits on policy values.
const (
	MaxApprovalsRequired = 10
	MaxMaxAddrs          = 1000
	MaxMaxPending        = 10000
)

// validateFile checks everything that comes from the file (Secrets apart).
func (c *Config) validateFile(p *problems) {
	if !httpURL(c.Slack.APIURL, p, "slack.api_url") {
		p.add("slack.api_url", "must be an absolute http:// or https:// URL with a host")
	}

	hc := c.HuaweiCloud
	checkRegion(p, "huaweicloud.region", hc.Region, true)
	checkProjectID(p, "huaweicloud.project_id", hc.ProjectID, true)
	checkEndpoint(p, "huaweicloud.endpoint", hc.Endpoint)
	checkPositive(p, "huaweicloud.timeout", hc.Timeout)
	checkPositive(p, "huaweicloud.busy_timeout", hc.BusyTimeout)
	checkPositive(p, "huaweicloud.job_timeout", hc.JobTimeout)

	c.validateInstances(p)
	c.validatePolicy(p)

	switch c.Store.Driver {
	case StoreSQLite, StorePostgres:
	default:
		p.add("store.driver", "%s is not a store driver (sqlite or postgres)", quote(c.Store.Driver))
	}
	// Never show the DSN: a postgres one may hold a password.
	switch dsn := c.Store.DSN.Reveal(); {
	case strings.TrimSpace(dsn) == "":
		p.add("store.dsn", "required")
	case c.Store.Driver == StorePostgres && !postgresDSN(dsn):
		p.add("store.dsn", "must be a postgres:// or postgresql:// URL or a key=value connection string")
	}

	if l := c.HTTP.Listen; l != "" && !hostPort(l) {
		p.add("http.listen", "%s must be host:port with a numeric port, or \"\" to disable the HTTP server", quote(l))
	}

	if c.Schedule.Sweep == "" {
		p.add("schedule.sweep", "required")
	} else {
		checkSchedule(p, "schedule.sweep", c.Schedule.Sweep)
	}
	if c.Schedule.Remind != "" { // empty: reminders off
		checkSchedule(p, "schedule.remind", c.Schedule.Remind)
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%s is not a log level (debug, info, warn or error)", quote(c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		p.add("log.format", "%s is not a log format (text or json)", quote(c.Log.Format))
	}
	checkPositive(p, "shutdown_timeout", c.ShutdownTimeout)
	c.Audit.validate(p)
}

func (c *Config) validateInstances(p *problems) {
	if len(c.Instances) == 0 {
		p.add("instances", "at least one instance is required")
		return
	}
	byID := map[string]string{} // lowercased id -> key of the first alias with it
	for _, alias := range c.Aliases() {
		inst := c.Instances[alias]
		key := child("instances", alias)
		if !aliasRE.MatchString(alias) {
			p.add(key, "alias must match %s", aliasRE)
		}
		switch id := inst.ID; {
		case id == "":
			p.add(key+".id", "required")
		case !approvals.ValidInstanceID(id):
			p.add(key+".id", "%s is not an instance ID (a UUID: 8-4-4-4-12 hex digits)", quote(id))
		default:
			if first, dup := byID[strings.ToLower(id)]; dup {
				p.add(key+".id", "same id as %s", first)
			} else {
				byID[strings.ToLower(id)] = key
			}
		}
		checkRegion(p, key+".region", inst.Region, false)
		checkProjectID(p, key+".project_id", inst.ProjectID, false)
		checkEndpoint(p, key+".endpoint", inst.Endpoint)
	}
}

// validatePolicy checks the global policy, then each instance's effective
// policy under its own key. A problem an instance only inherits (the global
// policy has the same problem, and the instance does not set the key) is
// reported once, at the global key.
func (c *Config) validatePolicy(p *problems) { c.eachPolicy(p, checkPolicy) }

// eachPolicy runs check on the global policy, then on each instance's
// effective policy under its own key, leaving out what an instance only
// inherits.
func (c *Config) eachPolicy(p *problems, check func(p *problems, key string, pol Policy)) {
	var global problems
	check(&global, "policy", c.Policy)
	p.list = append(p.list, global.list...)
	inherited := make(map[Problem]bool, len(global.list))
	for _, pr := range global.list {
		inherited[pr] = true
	}
	for _, alias := range c.Aliases() {
		o := c.Instances[alias].Policy
		if o == (PolicyOverride{}) {
			continue // the global policy, already checked
		}
		eff := o.apply(c.Policy)
		// The same checks twice: as if global, to compare with the global
		// problems, and under the instance's key, to report. Messages name
		// keys too ("duplicate of ..."), so each run names its own.
		var asGlobal, own problems
		check(&asGlobal, "policy", eff)
		check(&own, child("instances", alias)+".policy", eff)
		for i, pr := range own.list {
			g := asGlobal.list[i]
			if inherited[g] && !o.sets(strings.TrimPrefix(g.Key, "policy.")) {
				continue
			}
			p.list = append(p.list, pr)
		}
	}
}

// checkPolicy checks one policy, the block at key.
func checkPolicy(p *problems, key string, pol Policy) {
	k := func(name string) string { return key + "." + name }
	if len(pol.Channels) == 0 {
		p.add(k("channels"), "at least one channel ID is required")
	}
	checkIDs(p, k("channels"), pol.Channels, channelRE, "a Slack channel ID (like C0123ABCD)")
	checkIDs(p, k("requesters"), pol.Requesters, userRE, "a Slack user ID (like U0123ABCD)")
	if len(pol.Approvers) == 0 {
		p.add(k("approvers"), "at least one approver is required (user IDs like U0123ABCD or user group IDs like S0123ABCD)")
	}
	checkIDs(p, k("approvers"), pol.Approvers, approverRE, "a Slack user or user group ID (like U0123ABCD or S0123ABCD)")
	a, ka := pol.ApprovalsRequired, pol.KillAll.ApprovalsRequired
	if inRange(p, k("approvals_required"), a) {
		checkReach(p, k("approvals_required"), a, pol)
	}
	checkPositive(p, k("ttl"), pol.TTL)
	if m := pol.MaxAddrs; m < 1 || m > MaxMaxAddrs {
		p.add(k("max_addrs"), "must be between 1 and %d, got %d", MaxMaxAddrs, m)
	}
	if m := pol.MaxPendingPerUser; m < 1 || m > MaxMaxPending {
		p.add(k("max_pending_per_user"), "must be between 1 and %d, got %d", MaxMaxPending, m)
	}
	// A kill-all needs the larger of the two counts; its reachability
	// matters only when it can be asked for, and is reported here only
	// when its own count is the larger.
	if inRange(p, k("kill_all.approvals_required"), ka) && pol.KillAll.Enabled && ka > a {
		checkReach(p, k("kill_all.approvals_required"), ka, pol)
	}
	if !approvals.NotifyMode(pol.NotifyApprovers).Valid() {
		p.add(k("notify_approvers"), "%s is not a way to notify approvers (off, channel or dm)", quote(pol.NotifyApprovers))
	}
}

// inRange checks a number of approvals against its limits.
func inRange(p *problems, key string, n int) bool {
	if n < 1 || n > MaxApprovalsRequired {
		p.add(key, "must be between 1 and %d, got %d", MaxApprovalsRequired, n)
		return false
	}
	return true
}

// checkIDs reports each ID that does not match re, and each repeat.
func checkIDs(p *problems, key string, ids []string, re *regexp.Regexp, want string) {
	first := map[string]int{}
	for i, id := range ids {
		k := index(key, i)
		if !re.MatchString(id) {
			p.add(k, "%s is not %s", quote(id), want)
			continue
		}
		if j, dup := first[id]; dup {
			p.add(k, "duplicate of %s", index(key, j))
			continue
		}
		first[id] = i
	}
}

func checkSchedule(p *problems, key, spec string) {
	if _, err := ParseSchedule(spec); err != nil {
		p.add(key, "%s is not a cron schedule: %v", quote(spec), err)
	}
}

func checkRegion(p *problems, key, region string, required bool) {
	switch {
	case region == "":
		if required {
			p.add(key, "required")
		}
	case !regionRE.MatchString(region) || len(region) > 64:
		p.add(key, "%s is not a region name like cn-north-4 or ap-southeast-1", quote(region))
	}
}

func checkProjectID(p *problems, key, id string, required bool) {
	switch {
	case id == "":
		if required {
			p.add(key, "required")
		}
	case !projectIDRE.MatchString(id):
		p.add(key, "%s is not a project ID (32 lowercase hex digits)", quote(id))
	}
}

// checkEndpoint checks an optional endpoint. It never shows the value: a URL
// may carry credentials.
func checkEndpoint(p *problems, key, endpoint string) {
	if endpoint != "" && !httpURL(endpoint, p, key) {
		p.add(key, "must be an absolute http:// or https:// URL with a host")
	}
}

// httpURL reports whether s is an absolute http(s) URL with a host. A URL
// with credentials in it is reported separately (and counts as good, so that
// it is reported once).
func httpURL(s string, p *problems, key string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return false
	}
	if u.User != nil {
		p.add(key, "must not contain credentials")
	}
	return true
}

func checkPositive(p *problems, key string, d Duration) {
	switch {
	case d.invalid:
		p.add(key, "%s is not a duration (Go syntax such as 30s, 15m or 1h30m)", quote(d.raw))
	case d.Duration <= 0:
		p.add(key, "must be positive, got %s", quote(d.text()))
	}
}

func postgresDSN(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
	}
	return dsnKVRE.MatchString(dsn)
}

func hostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535 && !strings.HasPrefix(port, "+")
}
