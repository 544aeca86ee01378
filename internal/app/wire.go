package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/audit"
	"dcsbot/internal/config"
	"dcsbot/internal/dcs"
	"dcsbot/internal/logging"
	"dcsbot/internal/metrics"
	"dcsbot/internal/slackbot"
	"dcsbot/internal/store/postgres"
	"dcsbot/internal/store/sqlite"
)

type store interface {
	approvals.Store
	audit.Source
	audit.Cursor
	Close() error
}

// openStore opens and migrates the configured store. exclusive is true for
// a SQLite file, which no other process shares.
func openStore(ctx context.Context, cfg *config.Config, timeout time.Duration, log *slog.Logger) (s store, exclusive bool, err error) {
	dsn, storeLog := cfg.Store.DSN.Reveal(), log.With("component", "store")
	switch cfg.Store.Driver {
	case config.StorePostgres:
		s, err = postgres.Open(ctx, dsn, storeLog, postgres.Options{StatementTimeout: timeout})
	default:
		exclusive = true
		s, err = sqlite.Open(ctx, dsn, storeLog, sqlite.Options{StatementTimeout: timeout})
	}
	if err != nil {
		return nil, false, fmt.Errorf("open %s store: %w", cfg.Store.Driver, err)
	}
	return s, exclusive, nil
}

// newDCS builds the DCS client for every configured instance.
func newDCS(cfg *config.Config, log *slog.Logger, m *metrics.Metrics) (*dcs.Client, error) {
	endpoints := map[string]dcs.Endpoint{}
	for alias, t := range cfg.InstanceTargets() {
		endpoints[alias] = dcs.Endpoint{InstanceID: t.ID, ProjectID: t.ProjectID, Region: t.Region, URL: t.Endpoint}
	}
	c, err := dcs.New(dcs.Params{
		Instances:   endpoints,
		AK:          cfg.Secrets.AccessKey.Reveal(),
		SK:          cfg.Secrets.SecretKey.Reveal(),
		Timeout:     cfg.HuaweiCloud.Timeout.Duration,
		ScanWait:    cfg.HuaweiCloud.ScanWait(),
		BusyTimeout: cfg.HuaweiCloud.BusyTimeout.Duration,
		ScanBound:   cfg.HuaweiCloud.ScanBound(),
		Logger:      log.With("component", "dcs"),
		Observe:     m.DCSCall,
	})
	if err != nil {
		return nil, fmt.Errorf("dcs client: %w", err)
	}
	return c, nil
}

// newService builds the request lifecycle over st, the app's store.
func (a *App) newService(st approvals.Store, killer *dcs.Client, notifier *slackbot.Notifier, opt Options) (*approvals.Service, error) {
	instances := map[string]approvals.Instance{}
	policies := map[string]approvals.Policy{}
	for alias, t := range a.cfg.InstanceTargets() {
		instances[alias] = approvals.Instance{Alias: alias, ID: t.ID}
		policies[alias] = policy(t.Policy)
	}
	staleAfter := opt.StaleAfter
	if staleAfter == 0 {
		staleAfter = a.cfg.StaleAfter()
	}
	dir, err := slackbot.NewDirectory(a.slack, a.tuning.GroupCacheTTL)
	if err != nil {
		return nil, err
	}
	return approvals.NewService(approvals.Params{
		Store:          st,
		Killer:         killer,
		Notifier:       notifier,
		Directory:      dir,
		Sessions:       killer,
		Policy:         policy(a.cfg.Policy),
		Policies:       policies,
		DryRun:         a.cfg.HuaweiCloud.DryRun,
		Instances:      instances,
		Now:            opt.Now,
		StaleAfter:     staleAfter,
		Lease:          a.tuning.Lease,
		Logger:         a.log,
		Observer:       a.metrics,
		Approvers:      notifier,
		OverviewWindow: a.tuning.OverviewWindow,
		JobTimeout:     a.cfg.HuaweiCloud.JobTimeout.Duration,
		ScanBound:      a.cfg.HuaweiCloud.ScanBound(),
	})
}

// NewLogger builds the bot's logger from the configuration's log: section,
// writing to out (nothing when nil) through a redactor that blanks the
// value of every secret (config.SecretValues), whatever logs it: the bot,
// slack-go's debug output, a driver's error.
func NewLogger(cfg *config.Config, out io.Writer) *slog.Logger {
	if out == nil {
		return slog.New(slog.DiscardHandler)
	}
	redactor := logging.NewRedactor(out, cfg.SecretValues()...)
	return slog.New(logging.ContextHandler{Handler: cfg.Log.Handler(redactor)})
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
		MaxPending:        p.MaxPendingPerUser,
		RequireReason:     p.RequireReason,
		KillAll:           approvals.KillAllPolicy{Enabled: p.KillAll.Enabled, ApprovalsRequired: p.KillAll.ApprovalsRequired},
		Notify:            approvals.NotifyMode(p.NotifyApprovers),
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
