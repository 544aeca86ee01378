package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"dcsbot/internal/config"
	"dcsbot/internal/slackbot"
)

// Run serves until ctx ends, then shuts down gracefully: the socket closes
// (no new commands), a kill in flight finishes and is recorded (bounded by
// shutdown_timeout) and reported (bounded by Slack's grace), the sweep
// stops, the audit shipper ships what it can and stops, the store closes.
// Health and metrics are served from the start, before anything waits on
// Slack; /readyz says what the bot is waiting for.
// It returns an error if Slack refuses the tokens or the socket cannot run.
func (a *App) Run(ctx context.Context) error {
	defer a.store.Close()
	defer a.sink.Close()
	stopHTTP := a.serveHTTP()
	defer stopHTTP()
	c, stopLoops, err := a.start(ctx)
	if err != nil {
		return err
	}

	go func() {
		<-ctx.Done()
		a.listener.Drain()
	}()
	a.log.Info("connecting to Slack (Socket Mode)")
	runErr := a.listener.Run(ctx)
	if runErr != nil {
		a.log.Error("slack socket mode stopped", "err", runErr)
	} else {
		a.log.Info("shutting down", "shutdown_timeout", a.cfg.ShutdownTimeout.Duration)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout.Duration)
	defer cancel()
	a.drain(sctx, c.Stop())
	stopLoops()
	return runErr
}

// start does what comes before the socket, each step named on /readyz
// and in the log while it runs: it checks the bot token, starts the
// loops, recovers the requests the last run left, and starts the
// schedule.
func (a *App) start(ctx context.Context) (_ *cron.Cron, stopLoops func(), err error) {
	a.step("checking the Slack bot token (auth.test)")
	if err := a.checkBotToken(ctx); err != nil {
		return nil, nil, err
	}
	stopLoops = a.startLoops()
	a.step("recovering the requests left by the last run")
	if err := a.svc.Recover(ctx, a.exclusive); err != nil {
		a.log.Error("recover requests at start", "err", err)
	}
	c, err := a.schedule()
	if err != nil {
		stopLoops()
		return nil, nil, err
	}
	c.Start()
	a.starting.Store(nil)
	return c, stopLoops, nil
}

// step records and logs what the start is waiting for.
func (a *App) step(what string) {
	a.starting.Store(&what)
	a.log.Info("starting: " + what)
}

// drain finishes the work in flight at shutdown, within ctx
// (shutdown_timeout). First every kill in flight is recorded: nothing in
// that waits on Slack. Then replies and reports may still go out for
// Slack's grace; then every Slack call still in flight is cut, and what
// remains (DCS calls, store writes) is waited for. sweep ends when the
// scheduled job running, if any, has returned.
func (a *App) drain(ctx context.Context, sweep context.Context) {
	if err := a.svc.Wait(ctx); err != nil {
		a.log.Error("kills still in flight at shutdown timeout; they will be recovered as unknown", "err", err)
	}
	gctx, gcancel := context.WithTimeout(ctx, a.tuning.Slack.Grace)
	_ = a.listener.Wait(gctx)
	select {
	case <-sweep.Done():
	case <-gctx.Done():
	}
	gcancel()
	a.slack.Abort()
	if err := a.listener.Wait(ctx); err != nil {
		a.log.Error("commands still running at shutdown timeout", "err", err)
	}
	// A click queued before the socket closed may have started a kill.
	if err := a.svc.Wait(ctx); err != nil {
		a.log.Error("kills still in flight at shutdown timeout; they will be recovered as unknown", "err", err)
	}
	select {
	case <-sweep.Done():
	case <-ctx.Done():
	}
}

// checkBotToken fails fast on a bad bot token, before anything is
// connected. A refused token is fatal; any other failure of this check (a
// proxy that does not pass auth.test, a blip) is left to the calls that
// follow.
func (a *App) checkBotToken(ctx context.Context) error {
	ctx, cancel := a.slack.Bound(ctx)
	defer cancel()
	auth, err := a.slack.API().AuthTestContext(ctx)
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
		a.log.Info("slack bot token accepted", "team", auth.Team, "bot_user", auth.UserID)
	case errors.As(err, &se) && slackbot.IsAuthError(se.Err):
		return fmt.Errorf("slack auth.test with SLACK_BOT_TOKEN: %w", err)
	default:
		a.log.Warn("could not check SLACK_BOT_TOKEN with auth.test; going on", "err", err)
	}
	return nil
}

// schedule sets up the sweep and the reminders, each run bounded by its
// timeout from the tuning.
func (a *App) schedule() (*cron.Cron, error) {
	sched, err := config.ParseSchedule(a.cfg.Schedule.Sweep)
	if err != nil {
		return nil, fmt.Errorf("schedule.sweep: %w", err)
	}
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	c.Schedule(sched, a.job("sweep", a.tuning.SweepTimeout, a.svc.Sweep))
	if spec := a.cfg.Schedule.Remind; spec != "" {
		remind, err := config.ParseSchedule(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule.remind: %w", err)
		}
		c.Schedule(remind, a.job("reminders", a.tuning.RemindTimeout, a.svc.Remind))
	}
	return c, nil
}

// job is a scheduled run of f under a context that ends after timeout; its
// error is logged as what's.
func (a *App) job(what string, timeout time.Duration, f func(context.Context) error) cron.FuncJob {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := f(ctx); err != nil {
			a.log.Error(what, "err", err)
		}
	}
}

// serveHTTP serves health and metrics on the bound listener, if any, and
// returns how to stop it.
func (a *App) serveHTTP() (stop func()) {
	if a.httpLn == nil {
		return func() {}
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
	return func() {
		// Requests are short: /readyz bounds its store ping.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		wg.Wait()
	}
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
		if step := a.starting.Load(); step != nil {
			problems = append(problems, "starting: "+*step)
		} else if why := a.listener.SocketDown(); why != "" {
			problems = append(problems, "slack: socket not connected: "+why)
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
