package config

import "time"

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
	// StoreTimeout bounds each store call's work on the database: a
	// statement, or a transaction from its start to its commit (SQLite's
	// wait for another process's lock on the file is half of it).
	StoreTimeout time.Duration
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
		StoreTimeout:   20 * time.Second,
	}
}
