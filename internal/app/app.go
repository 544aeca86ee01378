// Package app wires the bot together from its configuration. main and the
// end-to-end tests start it the same way.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/metrics"
	"dcsbot/internal/slackbot"
)

// Options are what tests may change; production sets LogOutput only.
type Options struct {
	// LogOutput receives the logs, in the format and at the level of the
	// configuration's log: section, with every secret's value redacted.
	// Default: discard.
	LogOutput io.Writer
	// Logger, if set, replaces the logger built on LogOutput (tests).
	Logger *slog.Logger
	// Now is the lifecycle's clock; time.Now when nil.
	Now func() time.Time
	// StaleAfter overrides how long a request without a lease may sit
	// approved or executing before another replica recovers it.
	StaleAfter time.Duration
	// Tune, if set, changes the configuration's tuning (tests).
	Tune func(*config.Tuning)
}

// App is a configured bot, ready to Run.
type App struct {
	cfg       *config.Config
	tuning    config.Tuning
	log       *slog.Logger
	metrics   *metrics.Metrics
	store     store
	exclusive bool // the store is a SQLite file no other process shares
	svc       *approvals.Service
	slack     *slackbot.Client
	listener  *slackbot.Listener
	httpLn    net.Listener
}

// New builds the bot: opens and migrates the store, builds the DCS and
// Slack clients, and binds the HTTP listener. It connects to nothing else.
func New(ctx context.Context, cfg *config.Config, opt Options) (_ *App, err error) {
	log := opt.Logger
	if log == nil {
		log = NewLogger(cfg, opt.LogOutput)
	}
	a := &App{cfg: cfg, tuning: cfg.Tuning(), log: log, metrics: metrics.New()}
	if opt.Tune != nil {
		opt.Tune(&a.tuning)
	}
	for _, w := range cfg.Warnings() {
		log.Warn("configuration", "key", w.Key, "warning", w.Message)
	}
	if a.store, a.exclusive, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.store.Close()
		}
	}()
	killer, err := newDCS(cfg, log, a.metrics)
	if err != nil {
		return nil, err
	}
	debug := log.Enabled(ctx, slog.LevelDebug)
	slackLog := log.With("component", "slack")
	lim := a.tuning.Slack
	if a.slack, err = slackbot.NewClient(slackbot.ClientParams{
		APIURL:   cfg.Slack.APIURL,
		BotToken: cfg.Secrets.SlackBotToken.Reveal(),
		AppToken: cfg.Secrets.SlackAppToken.Reveal(),
		Attempt:  lim.Attempt,
		Budget:   lim.Budget,
		Retries:  lim.Retries,
		Debug:    debug,
		Logger:   slackLog,
	}); err != nil {
		return nil, err
	}
	notifier := slackbot.NewNotifier(a.slack, slackLog, a.metrics)
	if a.svc, err = a.newService(killer, notifier, opt); err != nil {
		return nil, err
	}
	a.listener, err = slackbot.NewListener(slackbot.ListenerParams{
		Client: a.slack, Providers: []any{a.svc, killer}, Decider: a.svc, Ephemeral: notifier, Views: notifier,
		Workers: a.tuning.Workers, ClickWorkers: a.tuning.ClickWorkers, CommandQueue: a.tuning.CommandQueue, ClickQueue: a.tuning.ClickQueue,
		MaxAddrs: maxAddrs(cfg), Debug: debug, Logger: slackLog, Observer: a.metrics,
	})
	if err != nil {
		return nil, err
	}
	a.metrics.RegisterPending(a.pendingCount)
	if cfg.HTTP.Listen != "" {
		if a.httpLn, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			return nil, fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
		}
	}
	return a, nil
}

// HTTPAddr is the address the health and metrics server listens on.
func (a *App) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// Store returns the app's store (for tests and tools).
func (a *App) Store() approvals.Store { return a.store }

func (a *App) pendingCount() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := a.store.Count(ctx, approvals.Pending)
	if err != nil {
		return -1
	}
	return float64(n)
}
