package app

import (
	"fmt"
	"log/slog"

	"dcsbot/internal/audit"
	"dcsbot/internal/config"
	"dcsbot/internal/metrics"
)

// newShipper opens the configured audit sink and the shipper that feeds it
// from the store, both tuned by tu (the app's tuning). The log sink writes
// to log, the bot's own logger.
func newShipper(cfg *config.Config, tu config.AuditTuning, s store, log *slog.Logger, m *metrics.Metrics) (*audit.Shipper, audit.SinkCloser, error) {
	if err := tu.Check(); err != nil {
		return nil, nil, err
	}
	spec := cfg.Audit.SinkSpec()
	sink, err := audit.OpenSink(spec, audit.OpenParams{
		Logger:         log,
		WebhookKey:     []byte(cfg.Secrets.AuditWebhookKey.Reveal()),
		WebhookTimeout: tu.WebhookTimeout,
		File:           audit.FileOptions{MaxBytes: tu.FileMaxBytes, Keep: tu.FileKeep},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("audit.sink %s: %w", spec, err)
	}
	sh, err := audit.NewShipper(audit.ShipperParams{
		Source:       s,
		Cursor:       s,
		Sink:         sink,
		SinkKey:      spec.Key(),
		Logger:       log.With("component", "audit"),
		Observer:     auditObserver{m.RegisterAudit()},
		Batch:        tu.Batch,
		Poll:         tu.Poll,
		Linger:       tu.Linger,
		LeaseTTL:     tu.LeaseTTL,
		MinBackoff:   tu.MinBackoff,
		MaxBackoff:   tu.MaxBackoff,
		FlushTimeout: tu.FlushTimeout,
		StoreTimeout: tu.StoreTimeout,
	})
	if err != nil {
		sink.Close()
		return nil, nil, err
	}
	return sh, sink, nil
}

// auditObserver turns the shipper's news into metrics.
type auditObserver struct{ m *metrics.AuditMetrics }

func (o auditObserver) Shipped(n int, last audit.Record) { o.m.Shipped(n, last.Seq) }
func (o auditObserver) Failed(error)                     { o.m.Failed() }
