// Package metrics holds the bot's Prometheus metrics and implements the
// observer ports of the lifecycle and the Slack edge.
package metrics

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"dcsbot/internal/approvals"
	"dcsbot/internal/version"
)

// Metrics is one registry with every dcsbot metric on it.
type Metrics struct {
	Registry *prometheus.Registry

	commands   *prometheus.CounterVec
	finished   *prometheus.CounterVec
	decisions  *prometheus.CounterVec
	kills      *prometheus.HistogramVec
	dcsCalls   *prometheus.CounterVec
	dcsLatency *prometheus.HistogramVec
	apiErrors  *prometheus.CounterVec
	reconnects prometheus.Counter
	connected  prometheus.Gauge
	ack        prometheus.Histogram
	everUp     atomic.Bool
}

// New registers every metric on a fresh registry (with the Go and process
// collectors, and dcsbot_build_info for the running build).
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcsbot_commands_total", Help: "Slash commands by subcommand and outcome (ok, refused, error, busy).",
		}, []string{"subcommand", "outcome"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcsbot_requests_finished_total", Help: "Requests that reached a final state, by state.",
		}, []string{"state"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcsbot_decisions_total", Help: "Approvals and denials recorded.",
		}, []string{"kind"}),
		kills: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dcsbot_dcs_kill_seconds", Help: "Duration of DCS kill calls by outcome (succeeded, failed, unknown).",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30},
		}, []string{"outcome"}),
		dcsCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcsbot_dcs_calls_total", Help: "DCS API calls by API and HTTP status (\"error\" when no answer came).",
		}, []string{"api", "status"}),
		dcsLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dcsbot_dcs_call_seconds", Help: "DCS API call latency by API.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30},
		}, []string{"api"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcsbot_slack_api_errors_total", Help: "Slack Web API calls that failed after retries, by method.",
		}, []string{"method"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcsbot_slack_socket_reconnects_total", Help: "Socket Mode connection attempts after the first: one for each attempt that failed, and one for each reconnection after a drop.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcsbot_slack_socket_connected", Help: "1 while the Socket Mode connection is up.",
		}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dcsbot_ack_seconds", Help: "Time from envelope received to ack sent.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
	}
	m.Registry.MustRegister(m.commands, m.finished, m.decisions, m.kills, m.dcsCalls, m.dcsLatency, m.apiErrors, m.reconnects, m.connected, m.ack,
		buildInfo(version.Get()),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is dcsbot_build_info{version,revision,goversion} 1.
func buildInfo(v version.Info) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dcsbot_build_info", Help: "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": v.Version, "revision": v.Revision, "goversion": v.GoVersion},
	})
	g.Set(1)
	return g
}

// RegisterPending exposes the number of pending requests, read at scrape time.
func (m *Metrics) RegisterPending(count func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dcsbot_requests_pending", Help: "Requests waiting for approval now.",
	}, count))
}

// Finished implements approvals.Observer.
func (m *Metrics) Finished(_, to approvals.State) { m.finished.WithLabelValues(string(to)).Inc() }

// Decision implements approvals.Observer.
func (m *Metrics) Decision(kind string) { m.decisions.WithLabelValues(kind).Inc() }

// KillDone implements approvals.Observer.
func (m *Metrics) KillDone(outcome approvals.State, d time.Duration) {
	m.kills.WithLabelValues(string(outcome)).Observe(d.Seconds())
}

// DCSCall counts one DCS API call (dcs.Params.Observe).
func (m *Metrics) DCSCall(api string, status int, d time.Duration) {
	s := "error"
	if status != 0 {
		s = strconv.Itoa(status)
	}
	m.dcsCalls.WithLabelValues(api, s).Inc()
	m.dcsLatency.WithLabelValues(api).Observe(d.Seconds())
}

// APIError implements slackbot.APIObserver.
func (m *Metrics) APIError(method string) { m.apiErrors.WithLabelValues(method).Inc() }

// Command implements slackbot.ListenerObserver.
func (m *Metrics) Command(sub, outcome string) { m.commands.WithLabelValues(sub, outcome).Inc() }

// Acked implements slackbot.ListenerObserver.
func (m *Metrics) Acked(d time.Duration) { m.ack.Observe(d.Seconds()) }

// ConnectFailed implements slackbot.ListenerObserver: another attempt
// follows a failed one, so it counts as a reconnect.
func (m *Metrics) ConnectFailed() { m.reconnects.Inc() }

// Connected implements slackbot.ListenerObserver. A connection after a drop
// counts as a reconnect.
func (m *Metrics) Connected(up bool) {
	if up {
		if m.everUp.Swap(true) {
			m.reconnects.Inc()
		}
		m.connected.Set(1)
		return
	}
	m.connected.Set(0)
}

var _ approvals.Observer = (*Metrics)(nil)
