// Package app wires the bot together from its configuration. main and the
// end-to-end tests start it the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/dcs"
	"dcsbot/internal/logging"
	"dcsbot/internal/metrics"
	"dcsbot/internal/slackbot"
	"dcsbot/internal/store/postgres"
	"dcsbot/internal/store/sqlite"
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
	// StaleAfter overrides how long a request may sit approved or executing
	// before another replica recovers it.
	StaleAfter time.Duration
}

// App is a configured bot, ready to Run.
type App struct {
	cfg       *config.Config
	log       *slog.Logger
	metrics   *metrics.Metrics
	store     store
	exclusive bool // the store is a SQLite file no other process shares
	svc       *approvals.Service
	api       *slack.Client
	listener  *slackbot.Listener
	httpLn    net.Listener
}

type store interface {
	approvals.Store
	Close() error
}

// New builds the bot: opens and migrates the store, builds the DCS and
// Slack clients, and binds the HTTP listener. It connects to nothing else.
func New(ctx context.Context, cfg *config.Config, opt Options) (*App, error) {
	log := opt.Logger
	if log == nil {
		log = NewLogger(cfg, opt.LogOutput)
	}
	debug := log.Enabled(ctx, slog.LevelDebug)
	a := &App{cfg: cfg, log: log, metrics: metrics.New()}

	var err error
	switch cfg.Store.Driver {
	case config.StorePostgres:
		a.store, err = postgres.Open(ctx, cfg.Store.DSN.Reveal(), log.With("component", "store"))
	default:
		a.exclusive = true
		a.store, err = sqlite.Open(ctx, cfg.Store.DSN.Reveal(), log.With("component", "store"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", cfg.Store.Driver, err)
	}
	ok := false
	defer func() {
		if !ok {
			a.store.Close()
		}
	}()

	endpoints := map[string]dcs.Endpoint{}
	instances := map[string]approvals.Instance{}
	policies := map[string]approvals.Policy{}
	for alias, t := range cfg.InstanceTargets() {
		endpoints[alias] = dcs.Endpoint{InstanceID: t.ID, ProjectID: t.ProjectID, Region: t.Region, URL: t.Endpoint}
		instances[alias] = approvals.Instance{Alias: alias, ID: t.ID}
		policies[alias] = policy(t.Policy)
	}
	killer, err := dcs.New(dcs.Params{
		Instances: endpoints,
		AK:        cfg.Secrets.AccessKey.Reveal(),
		SK:        cfg.Secrets.SecretKey.Reveal(),
		Timeout:   cfg.HuaweiCloud.Timeout.Duration,
		Logger:    log.With("component", "dcs"),
		Observe:   a.metrics.DCSCall,
	})
	if err != nil {
		return nil, fmt.Errorf("dcs client: %w", err)
	}

	slackLog := log.With("component", "slack")
	a.api = slackbot.NewClient(slackbot.ClientParams{
		APIURL:   cfg.Slack.APIURL,
		BotToken: cfg.Secrets.SlackBotToken.Reveal(),
		AppToken: cfg.Secrets.SlackAppToken.Reveal(),
		Debug:    debug,
		Logger:   slackLog,
	})
	notifier := slackbot.NewNotifier(a.api, log.With("component", "slack"), a.metrics)
	staleAfter := opt.StaleAfter
	if staleAfter == 0 {
		// Longer than a request can be executing while its worker lives:
		// the bounded session re-read (30 s, plus one call that may
		// overrun it by a timeout), the kill (a timeout), the store writes.
		staleAfter = 2*cfg.HuaweiCloud.Timeout.Duration + 90*time.Second
	}
	a.svc, err = approvals.NewService(approvals.Params{
		Store:      a.store,
		Killer:     killer,
		Notifier:   notifier,
		Directory:  slackbot.NewDirectory(a.api, time.Minute),
		Sessions:   killer,
		Policy:     policy(cfg.Policy),
		Policies:   policies,
		DryRun:     cfg.HuaweiCloud.DryRun,
		Instances:  instances,
		Now:        opt.Now,
		StaleAfter: staleAfter,
		Logger:     log,
		Observer:   a.metrics,
	})
	if err != nil {
		return nil, err
	}
	a.listener = slackbot.NewListener(slackbot.ListenerParams{
		Client:    a.api,
		Service:   a.svc,
		Ephemeral: notifier,
		Views:     notifier,
		MaxAddrs:  maxAddrs(cfg),
		Debug:     debug,
		Logger:    slackLog,
		Observer:  a.metrics,
	})
	a.metrics.RegisterPending(a.pendingCount)

	if cfg.HTTP.Listen != "" {
		a.httpLn, err = net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return nil, fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
		}
	}
	ok = true
	return a, nil
}

// NewLogger builds the bot's logger from the configuration's log: section,
// writing to out (nothing when nil) through a redactor that blanks the
// value of every secret, whatever logs it: the bot, slack-go's debug
// output, a driver's error.
func NewLogger(cfg *config.Config, out io.Writer) *slog.Logger {
	if out == nil {
		return slog.New(slog.DiscardHandler)
	}
	secrets := []string{cfg.Secrets.SlackAppToken.Reveal(), cfg.Secrets.SlackBotToken.Reveal(),
		cfg.Secrets.AccessKey.Reveal(), cfg.Secrets.SecretKey.Reveal(), cfg.Store.DSN.Reveal()}
	if u, err := url.Parse(cfg.Store.DSN.Reveal()); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
	}
	return slog.New(logging.ContextHandler{Handler: cfg.Log.Handler(logging.NewRedactor(out, secrets...))})
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

// Run serves until ctx ends, then shuts down gracefully: the socket closes
// (no new commands), a kill in flight finishes and is recorded and reported
// (bounded by shutdown_timeout), the sweep stops, the store closes. It
// returns an error if Slack refuses the tokens or the socket cannot run.
func (a *App) Run(ctx context.Context) error {
	defer a.store.Close()
	// Fail fast on a bad bot token, before anything is connected.
	// A refused token is fatal; any other failure of this check (a proxy
	// that does not pass auth.test, a blip) is left to the calls that
	// follow.
	auth, err := a.api.AuthTestContext(ctx)
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
		a.log.Info("slack bot token accepted", "team", auth.Team, "bot_user", auth.UserID)
	case errors.As(err, &se) && slackbot.IsAuthError(se.Err):
		return fmt.Errorf("slack auth.test with SLACK_BOT_TOKEN: %w", err)
	default:
		a.log.Warn("could not check SLACK_BOT_TOKEN with auth.test; going on", "err", err)
	}

	if err := a.svc.Recover(ctx, a.exclusive); err != nil {
		a.log.Error("recover requests at start", "err", err)
	}

	sched, err := config.ParseSchedule(a.cfg.Schedule.Sweep)
	if err != nil {
		return fmt.Errorf("schedule.sweep: %w", err)
	}
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	c.Schedule(sched, cron.FuncJob(func() {
		if err := a.svc.Sweep(context.Background()); err != nil {
			a.log.Error("sweep", "err", err)
		}
	}))
	if spec := a.cfg.Schedule.Remind; spec != "" {
		remind, err := config.ParseSchedule(spec)
		if err != nil {
			return fmt.Errorf("schedule.remind: %w", err)
		}
		c.Schedule(remind, cron.FuncJob(func() {
			if err := a.svc.Remind(context.Background()); err != nil {
				a.log.Error("reminders", "err", err)
			}
		}))
	}
	c.Start()

	var srv *http.Server
	var wg sync.WaitGroup
	if a.httpLn != nil {
		srv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("http server", "err", err)
			}
		}()
	}

	go func() {
		<-ctx.Done()
		a.listener.Drain()
	}()
	runErr := a.listener.Run(ctx)
	if runErr != nil {
		a.log.Error("slack socket mode stopped", "err", runErr)
	} else {
		a.log.Info("shutting down", "shutdown_timeout", a.cfg.ShutdownTimeout.Duration)
	}

	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := a.listener.Wait(sctx); err != nil {
		a.log.Error("commands still running at shutdown timeout", "err", err)
	}
	if err := a.svc.Wait(sctx); err != nil {
		a.log.Error("kills still in flight at shutdown timeout; they will be recovered as unknown", "err", err)
	}
	select {
	case <-c.Stop().Done():
	case <-sctx.Done():
	}
	if srv != nil {
		_ = srv.Shutdown(sctx)
		wg.Wait()
	}
	return runErr
}

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var problems []string
		if !a.listener.Connected() {
			problems = append(problems, "slack: socket not connected")
		}
		if err := a.store.Ping(ctx); err != nil {
			problems = append(problems, "store: unreachable")
			a.log.Warn("readiness: store ping failed", "err", err)
		}
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, p := range problems {
				fmt.Fprintln(w, p)
			}
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

// policy turns a configured policy into the lifecycle's.
func policy(p config.Policy) approvals.Policy {
	return approvals.Policy{
		Channels:          p.Channels,
		Requesters:        p.Requesters,
		Approvers:         p.Approvers,
		ApprovalsRequired: p.ApprovalsRequired,
		TTL:               p.TTL.Duration,
		MaxAddrs:          p.MaxAddrs,
		RequireReason:     p.RequireReason,
		KillAll:           approvals.KillAllPolicy{Enabled: p.KillAll.Enabled, ApprovalsRequired: p.KillAll.ApprovalsRequired},
	}
}

// maxAddrs is the parser's limit: the largest of every instance's, each
// instance's own being enforced by the lifecycle.
func maxAddrs(cfg *config.Config) int {
	n := cfg.Policy.MaxAddrs
	for _, t := range cfg.InstanceTargets() {
		n = max(n, t.Policy.MaxAddrs)
	}
	return n
}
