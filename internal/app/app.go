// Package app wires the bot together from its configuration. main and the
// end-to-end tests start it the same way.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
	"dcsbot/internal/config"
	"dcsbot/internal/dcs"
	"dcsbot/internal/metrics"
	"dcsbot/internal/slackbot"
	"dcsbot/internal/version"
)

// Options are what tests may change; production sets the logger and
// ConfigPath.
type Options struct {
	// ConfigPath is the file the configuration was loaded from, named in
	// the start-up line.
	ConfigPath string
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
	starting  atomic.Pointer[string] // what Run waits for before the socket; nil after
	home      *slackbot.Home
	shipper   *audit.Shipper
	sink      audit.SinkCloser
}

// New builds the bot: binds the HTTP listener, logs the start-up line and
// the configuration's warnings, opens and migrates the store, and builds
// the DCS and Slack clients. It connects to nothing else.
func New(ctx context.Context, cfg *config.Config, opt Options) (_ *App, err error) {
	log := opt.Logger
	if log == nil {
		log = NewLogger(cfg, opt.LogOutput)
	}
	a := &App{cfg: cfg, tuning: cfg.Tuning(), log: log, metrics: metrics.New()}
	if opt.Tune != nil {
		opt.Tune(&a.tuning)
	}
	if a.httpLn, err = listen(cfg.HTTP.Listen); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && a.httpLn != nil {
			a.httpLn.Close()
		}
	}()
	a.logStart(opt.ConfigPath)
	for _, w := range cfg.Warnings() {
		log.Warn("configuration", "key", w.Key, "warning", w.Message)
	}
	if a.store, a.exclusive, err = openStore(ctx, cfg, a.tuning.StoreTimeout, log); err != nil {
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
	notifier, err := a.newSlack(ctx)
	if err != nil {
		return nil, err
	}
	feed := &changeFeed{}
	if a.svc, err = a.newService(watchedStore{a.store, feed}, killer, notifier, opt); err != nil {
		return nil, err
	}
	if a.shipper, a.sink, err = newShipper(cfg, a.tuning.Audit, a.store, log, a.metrics); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.sink.Close()
		}
	}()
	slackLog := log.With("component", "slack")
	a.home = slackbot.NewHome(slackbot.HomeParams{Source: a.svc, Slack: notifier, Logger: slackLog})
	feed.subscribe(func(string) { a.shipper.Notify() })
	feed.subscribe(a.home.Changed)
	if err := a.newListener(ctx, killer, notifier); err != nil {
		return nil, err
	}
	a.metrics.RegisterPending(a.pendingCount)
	return a, nil
}

// listen binds the health and metrics server's address; nil when addr
// is "" (the server is off).
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	return ln, nil
}

// logStart logs the start-up line: which build, from which file, for
// which instances, on which store, listening where, and a dry run.
func (a *App) logStart(configPath string) {
	v := version.Get()
	listen := a.HTTPAddr()
	if listen == "" {
		listen = "off"
	}
	attrs := []any{"version", v.Version, "revision", v.Revision, "go", v.GoVersion}
	if configPath != "" {
		attrs = append(attrs, "config", configPath)
	}
	attrs = append(attrs, "instances", strings.Join(a.cfg.Aliases(), ","), "store", a.cfg.Store.Driver, "listen", listen)
	if a.cfg.HuaweiCloud.DryRun {
		attrs = append(attrs, "dry_run", true)
	}
	a.log.Info("dcsbot starting", attrs...)
}

// newSlack builds the Slack Web API client, bounded by the tuning's
// limits, and the notifier over it.
func (a *App) newSlack(ctx context.Context) (*slackbot.Notifier, error) {
	lim, slackLog := a.tuning.Slack, a.log.With("component", "slack")
	var err error
	a.slack, err = slackbot.NewClient(slackbot.ClientParams{
		APIURL:   a.cfg.Slack.APIURL,
		BotToken: a.cfg.Secrets.SlackBotToken.Reveal(),
		AppToken: a.cfg.Secrets.SlackAppToken.Reveal(),
		Attempt:  lim.Attempt,
		Budget:   lim.Budget,
		Retries:  lim.Retries,
		Debug:    a.log.Enabled(ctx, slog.LevelDebug),
		Logger:   slackLog,
	})
	if err != nil {
		return nil, err
	}
	return slackbot.NewNotifier(a.slack, slackLog, a.metrics), nil
}

// newListener builds the Socket Mode listener: its command handlers take
// what they need from the lifecycle, the DCS client and the notifier.
func (a *App) newListener(ctx context.Context, killer *dcs.Client, notifier *slackbot.Notifier) error {
	t := a.tuning
	var err error
	a.listener, err = slackbot.NewListener(slackbot.ListenerParams{
		Client: a.slack, Providers: []any{a.svc, killer, notifier}, Decider: a.svc, Ephemeral: notifier, Views: notifier, Home: a.home,
		Workers: t.Workers, ClickWorkers: t.ClickWorkers, CommandQueue: t.CommandQueue, ClickQueue: t.ClickQueue,
		MaxAddrs: maxAddrs(a.cfg), Debug: a.log.Enabled(ctx, slog.LevelDebug), Logger: a.log.With("component", "slack"), Observer: a.metrics,
	})
	return err
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
