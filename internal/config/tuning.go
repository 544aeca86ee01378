package config

import (
	"fmt"
	"time"
)

// Tuning is what the bot's parts need that the file does not set. Its
// values live here, beside the defaults of the file's keys, so that every
// default of the bot is in this package; tests may change a copy.
type Tuning struct {
	// Workers handle slash commands and clicks, clicks first;
	// ClickWorkers handle only clicks and dialog submissions, so that an
	// approver's decision never waits behind slash commands.
	Workers, ClickWorkers int
	// CommandQueue and ClickQueue bound the work waiting for a worker. A
	// slash command that finds its queue full is answered "busy, try
	// again" in its ack.
	CommandQueue, ClickQueue int
	// GroupCacheTTL is how long an approver group's members are cached
	// (usergroups.users.list is rate-limited).
	GroupCacheTTL time.Duration
	// Slack bounds every Slack Web API call.
	Slack SlackLimits
	// OverviewWindow is how long after a user last opened the Home tab it
	// is redrawn when a request it shows changes.
	OverviewWindow time.Duration
	// Lease is how long the worker running a kill is taken for alive
	// without renewing its lease on the request (it renews it every
	// quarter of that): the sweep of any replica recovers an approved or
	// executing request only once its lease has expired.
	Lease time.Duration
	// SweepTimeout bounds one scheduled run of the sweep, and
	// RemindTimeout one of the reminders (a kill the sweep starts is not
	// cut by it: it runs to its recorded outcome).
	SweepTimeout, RemindTimeout time.Duration
	// Audit is how the audit stream reaches its sink.
	Audit AuditTuning
	// StoreTimeout bounds each store call's work on the database: a
	// statement, or a transaction from its start to its commit (SQLite's
	// wait for another process's lock on the file is half of it).
	StoreTimeout time.Duration
}

// AuditTuning is how the audit shipper and its sinks work (internal/audit).
type AuditTuning struct {
	Batch int           // records per delivery
	Poll  time.Duration // how often a shipper looks for records it was not told of
	// Linger is how long a shipper told of new records waits before it
	// reads them: records of one decision ship together, after its kill.
	Linger time.Duration
	// LeaseTTL is how long a sink's lease lasts unless renewed: one
	// shipper at a time ships to a sink, and a stopped one's sink waits up
	// to this long for another. See Check.
	LeaseTTL time.Duration
	// MinBackoff is the first retry's delay; it doubles, with jitter, up
	// to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// FlushTimeout bounds the last shipping attempt at shutdown.
	FlushTimeout time.Duration
	// StoreTimeout bounds each of the shipper's store calls: a read of
	// records, a lease, a move of the cursor.
	StoreTimeout time.Duration
	// WebhookTimeout bounds one POST to a webhook sink, its answer
	// included.
	WebhookTimeout time.Duration
	// FileMaxBytes is the most a file sink's file holds before it is
	// rotated; FileKeep is how many rotated files are kept.
	FileMaxBytes int64
	FileKeep     int
}

// Check says whether the audit tuning keeps one shipper at a time on a
// sink: a shipper renews its lease once less than half of LeaseTTL is left,
// so half of it must outlast one delivery (WebhookTimeout), with room for
// the clock skew between replicas.
func (a AuditTuning) Check() error {
	if a.LeaseTTL/2 <= a.WebhookTimeout {
		return fmt.Errorf("audit lease TTL %s: half of it must exceed the webhook timeout %s", a.LeaseTTL, a.WebhookTimeout)
	}
	return nil
}

// SlackLimits bound the bot's Slack Web API calls, so that nothing waits
// on a slow or hung Slack for long.
type SlackLimits struct {
	Attempt time.Duration // one HTTP request
	Budget  time.Duration // one call, its retries and their waits included
	Retries int           // retries of a 429 (after Retry-After) or 5xx answer
	// Grace is how long, at shutdown, replies and reports may still go
	// out once every kill in flight is recorded; then the Slack calls
	// still in flight are cut.
	Grace time.Duration
}

// Tuning returns the bot's tuning.
func (c *Config) Tuning() Tuning {
	return Tuning{
		Workers:        16,
		ClickWorkers:   4,
		CommandQueue:   4096,
		ClickQueue:     1024,
		GroupCacheTTL:  time.Minute,
		Slack:          SlackLimits{Attempt: 10 * time.Second, Budget: 30 * time.Second, Retries: 8, Grace: 5 * time.Second},
		Lease:          time.Minute,
		OverviewWindow: time.Hour,
		SweepTimeout:   2 * time.Minute,
		RemindTimeout:  2 * time.Minute,
		Audit: AuditTuning{
			Batch:          100,
			Poll:           5 * time.Second,
			Linger:         50 * time.Millisecond,
			LeaseTTL:       time.Minute,
			MinBackoff:     200 * time.Millisecond,
			MaxBackoff:     30 * time.Second,
			FlushTimeout:   5 * time.Second,
			StoreTimeout:   10 * time.Second,
			WebhookTimeout: 10 * time.Second,
			FileMaxBytes:   100 << 20,
			FileKeep:       5,
		},
		StoreTimeout: 20 * time.Second,
	}
}
