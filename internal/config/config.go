// Package config loads and validates dcsbot's configuration: defaults, then
// the YAML file (decoded strictly: an unknown key is an error), then the
// secrets from the environment, then one validation that reports every
// problem with its key.
package config

import (
	"slices"
	"strings"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
)

// Config is the bot's configuration. The yaml tags are the file's key names.
type Config struct {
	Slack       Slack               `yaml:"slack"`
	HuaweiCloud HuaweiCloud         `yaml:"huaweicloud"`
	Instances   map[string]Instance `yaml:"instances"` // by alias, the name users type
	Policy      Policy              `yaml:"policy"`
	Store       Store               `yaml:"store"`
	HTTP        HTTP                `yaml:"http"`
	Schedule    Schedule            `yaml:"schedule"`
	Log         Log                 `yaml:"log"`
	Audit       Audit               `yaml:"audit"`
	// ShutdownTimeout is how long an in-flight DCS call may finish on SIGTERM.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`

	// Secrets come from the environment only, never from the file.
	Secrets Secrets `yaml:"-"`
}

// Slack is how the bot reaches Slack. The tokens are in Secrets.
type Slack struct {
	// APIURL is Slack's Web API base URL; it always ends in "/" after Load.
	APIURL string `yaml:"api_url"`
}

// HuaweiCloud is the default DCS target for every instance.
type HuaweiCloud struct {
	Region    string `yaml:"region"`     // e.g. cn-north-4
	ProjectID string `yaml:"project_id"` // 32 lowercase hex digits
	// Endpoint is as written; empty means DefaultEndpoint(Region). Use
	// Config.InstanceTargets for the resolved value.
	Endpoint string   `yaml:"endpoint"`
	Timeout  Duration `yaml:"timeout"` // per DCS call
	// BusyTimeout is how long a session scan or a kill waits, retrying,
	// while DCS answers DCS.4957: a session task (a scan, a kill-all) is
	// running on the node and nothing was done.
	BusyTimeout Duration `yaml:"busy_timeout"`
	// JobTimeout is how long the bot follows a kill-all's DCS job before
	// it calls the outcome unknown.
	JobTimeout Duration `yaml:"job_timeout"`
	// DryRun makes the bot do everything except the DCS calls that write
	// (kill, kill-all): requests are made, approved and recorded as usual.
	DryRun bool `yaml:"dry_run"`
}

// Instance is one DCS instance as written in the file. Empty Region,
// ProjectID and Endpoint inherit from HuaweiCloud, and Policy overrides
// Config.Policy key by key; use Config.InstanceTargets for the resolved
// values.
type Instance struct {
	ID        string         `yaml:"id"` // the DCS instance ID, a UUID
	Region    string         `yaml:"region"`
	ProjectID string         `yaml:"project_id"`
	Endpoint  string         `yaml:"endpoint"`
	Policy    PolicyOverride `yaml:"policy"`
}

// Policy is who may ask for what, and who must approve.
type Policy struct {
	Channels          []string `yaml:"channels"`           // channel IDs where /dcs may be used
	Requesters        []string `yaml:"requesters"`         // user IDs; empty: anyone in Channels
	Approvers         []string `yaml:"approvers"`          // user (U…, W…) or user group (S…) IDs
	ApprovalsRequired int      `yaml:"approvals_required"` // distinct approvals needed
	TTL               Duration `yaml:"ttl"`                // how long a request waits for approval
	MaxAddrs          int      `yaml:"max_addrs"`          // client addresses per request
	// MaxPendingPerUser is how many requests one person may have waiting
	// for approval at once (on every instance together).
	MaxPendingPerUser int     `yaml:"max_pending_per_user"`
	RequireReason     bool    `yaml:"require_reason"` // kill and kill-all need --reason "text"
	KillAll           KillAll `yaml:"kill_all"`
	// NotifyApprovers is how approvers hear of a request besides its
	// approval message: off, channel or dm (approvals.NotifyModes).
	NotifyApprovers string `yaml:"notify_approvers"`
}

// KillAll is whether /dcs kill-all (every client session on an instance) may
// be asked for, and how many approvals it needs.
type KillAll struct {
	Enabled           bool `yaml:"enabled"`            // false: kill-all is refused
	ApprovalsRequired int  `yaml:"approvals_required"` // distinct approvals needed
}

// PolicyOverride is an instance's policy block: each non-nil field replaces
// the global Policy's (a list replaces the global list whole); each nil field
// inherits it. A key written with no value is nil. InstanceTarget.Policy
// is the result.
type PolicyOverride struct {
	Channels          *[]string       `yaml:"channels"`
	Requesters        *[]string       `yaml:"requesters"`
	Approvers         *[]string       `yaml:"approvers"`
	ApprovalsRequired *int            `yaml:"approvals_required"`
	TTL               *Duration       `yaml:"ttl"`
	MaxAddrs          *int            `yaml:"max_addrs"`
	MaxPendingPerUser *int            `yaml:"max_pending_per_user"`
	RequireReason     *bool           `yaml:"require_reason"`
	KillAll           KillAllOverride `yaml:"kill_all"`
	NotifyApprovers   *string         `yaml:"notify_approvers"`
}

// KillAllOverride overrides KillAll key by key, as PolicyOverride does.
type KillAllOverride struct {
	Enabled           *bool `yaml:"enabled"`
	ApprovalsRequired *int  `yaml:"approvals_required"`
}

// apply returns base with o's overrides applied. The result shares no slice
// with base or o.
func (o PolicyOverride) apply(base Policy) Policy {
	out := base
	out.Channels = pick(o.Channels, base.Channels)
	out.Requesters = pick(o.Requesters, base.Requesters)
	out.Approvers = pick(o.Approvers, base.Approvers)
	set(&out.ApprovalsRequired, o.ApprovalsRequired)
	set(&out.TTL, o.TTL)
	set(&out.MaxAddrs, o.MaxAddrs)
	set(&out.MaxPendingPerUser, o.MaxPendingPerUser)
	set(&out.RequireReason, o.RequireReason)
	set(&out.KillAll.Enabled, o.KillAll.Enabled)
	set(&out.KillAll.ApprovalsRequired, o.KillAll.ApprovalsRequired)
	set(&out.NotifyApprovers, o.NotifyApprovers)
	return out
}

// sets reports whether o sets the key a problem is at, given relative to the
// policy block ("approvers[2]", "kill_all.enabled").
func (o PolicyOverride) sets(rel string) bool {
	if i := strings.IndexByte(rel, '['); i >= 0 {
		rel = rel[:i]
	}
	switch rel {
	case "channels":
		return o.Channels != nil
	case "requesters":
		return o.Requesters != nil
	case "approvers":
		return o.Approvers != nil
	case "approvals_required":
		return o.ApprovalsRequired != nil
	case "ttl":
		return o.TTL != nil
	case "max_addrs":
		return o.MaxAddrs != nil
	case "max_pending_per_user":
		return o.MaxPendingPerUser != nil
	case "require_reason":
		return o.RequireReason != nil
	case "kill_all.enabled":
		return o.KillAll.Enabled != nil
	case "kill_all.approvals_required":
		return o.KillAll.ApprovalsRequired != nil
	case "notify_approvers":
		return o.NotifyApprovers != nil
	}
	return false
}

func pick(override *[]string, base []string) []string {
	if override != nil {
		return slices.Clone(*override)
	}
	return slices.Clone(base)
}

func set[T any](dst *T, override *T) {
	if override != nil {
		*dst = *override
	}
}

// Store is where requests are kept.
type Store struct {
	Driver string `yaml:"driver"` // StoreSQLite or StorePostgres
	// DSN is a file name for sqlite, a connection string for postgres. It is
	// a Secret because a postgres DSN may hold a password.
	DSN Secret `yaml:"dsn"`
}

// The store drivers.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// HTTP is the health and metrics server.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; empty disables the server
}

// Schedule is when background work runs.
type Schedule struct {
	// Sweep is a cron spec (ParseSchedule) for expiring stale requests.
	Sweep string `yaml:"sweep"`
	// Remind is a cron spec (ParseSchedule) for reminding approvers, once,
	// of a request still pending after half its TTL. Empty: no reminders.
	Remind string `yaml:"remind"`
}

// Log is how the bot logs.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // text or json
}

// DefaultSlackAPIURL is Slack's Web API base URL.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Default returns a Config holding every default, the starting point the
// file is decoded onto.
func Default() *Config {
	return &Config{
		Slack:       Slack{APIURL: DefaultSlackAPIURL},
		HuaweiCloud: HuaweiCloud{Timeout: Dur(20 * time.Second), BusyTimeout: Dur(30 * time.Second), JobTimeout: Dur(2 * time.Minute)},
		Policy: Policy{
			ApprovalsRequired: 1,
			TTL:               Dur(15 * time.Minute),
			MaxAddrs:          50,
			MaxPendingPerUser: 5,
			KillAll:           KillAll{ApprovalsRequired: 2},
			NotifyApprovers:   string(approvals.NotifyOff),
		},
		Store:           Store{Driver: StoreSQLite, DSN: "dcsbot.db"},
		HTTP:            HTTP{Listen: "127.0.0.1:8080"},
		Schedule:        Schedule{Sweep: "@every 30s"},
		Log:             Log{Level: "info", Format: "text"},
		Audit:           Audit{Sink: string(audit.SinkLog)},
		ShutdownTimeout: Dur(30 * time.Second),
	}
}

// ScanWait is how long a session read waits for DCS's session scan to
// finish: twice the per-call timeout.
func (h HuaweiCloud) ScanWait() time.Duration { return 2 * h.Timeout.Duration }

// ScanBound is the longest one session scan and its read may take: its
// start waited out on a busy node (busy_timeout), the scan's job followed
// and then the list from it read (ScanWait each), and a last call that may
// overrun them (a timeout). The DCS client bounds each scan so, and the
// stale-target guard waits that long for its re-read.
func (h HuaweiCloud) ScanBound() time.Duration {
	return h.BusyTimeout.Duration + 2*h.ScanWait() + h.Timeout.Duration
}

// StaleAfter is how long a request without a lease (recorded by a release
// without leases; see Tuning.Lease) may sit approved or executing before
// another replica decides its worker died. It is the longest a live worker
// keeps a request executing, plus half that (at least a minute) for the
// store writes and a margin: a kill (the session re-read before it,
// ScanBound; its waits on a busy node, busy_timeout, and its last call;
// a call to spare) or a kill-all (its waits on a busy node and its last
// call, then the following of its job, job_timeout, plus one call that may
// overrun it).
func (c *Config) StaleAfter() time.Duration {
	hc := c.HuaweiCloud
	call, busy := hc.Timeout.Duration, hc.BusyTimeout.Duration
	kill := hc.ScanBound() + call + busy + call
	killAll := busy + call + hc.JobTimeout.Duration + call
	longest := max(kill, killAll)
	return longest + max(longest/2, time.Minute)
}
