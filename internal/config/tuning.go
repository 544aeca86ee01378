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
}

// Tuning returns the bot's tuning.
func (c *Config) Tuning() Tuning {
	return Tuning{
		Workers:       16,
		ClickWorkers:  4,
		CommandQueue:  4096,
		ClickQueue:    1024,
		GroupCacheTTL: time.Minute,
	}
}
