package metrics

import "github.com/prometheus/client_golang/prometheus"

// AuditMetrics count how the audit stream ships.
type AuditMetrics struct {
	shipped  prometheus.Counter
	failures prometheus.Counter
	lastSeq  prometheus.Gauge
}

// RegisterAudit registers the audit stream's metrics.
func (m *Metrics) RegisterAudit() *AuditMetrics {
	a := &AuditMetrics{
		shipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcsbot_audit_records_shipped_total", Help: "Audit records the audit sink accepted.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcsbot_audit_ship_failures_total", Help: "Failed attempts to read, lease or send audit records (each is retried).",
		}),
		lastSeq: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcsbot_audit_last_shipped_seq", Help: "Seq of the last audit record the sink accepted from this process.",
		}),
	}
	m.Registry.MustRegister(a.shipped, a.failures, a.lastSeq)
	return a
}

// Shipped counts n records accepted, the last of them seq.
func (a *AuditMetrics) Shipped(n int, seq int64) {
	a.shipped.Add(float64(n))
	a.lastSeq.Set(float64(seq))
}

// Failed counts a failed attempt.
func (a *AuditMetrics) Failed() { a.failures.Inc() }
