package metrics

import (
	"testing"

	"dcsbot/internal/version"
)

// dcsbot_build_info is registered by New, is 1, and carries the running
// build's version, revision and Go version.
func TestBuildInfo(t *testing.T) {
	m := New()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := version.Get()
	for _, f := range families {
		if f.GetName() != "dcsbot_build_info" {
			continue
		}
		if len(f.GetMetric()) != 1 {
			t.Fatalf("dcsbot_build_info has %d series, want 1", len(f.GetMetric()))
		}
		s := f.GetMetric()[0]
		if v := s.GetGauge().GetValue(); v != 1 {
			t.Errorf("dcsbot_build_info = %v, want 1", v)
		}
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for name, value := range map[string]string{"version": want.Version, "revision": want.Revision, "goversion": want.GoVersion} {
			if got[name] != value {
				t.Errorf("label %s = %q, want %q", name, got[name], value)
			}
		}
		if len(got) != 3 {
			t.Errorf("labels %v, want exactly version, revision, goversion", got)
		}
		return
	}
	t.Fatal("dcsbot_build_info is not registered")
}

// dcsbot_slack_socket_reconnects_total counts every attempt to connect
// after the first: each failed one (another follows) and each
// reconnection after a drop. The first connection is no reconnect.
func TestReconnects(t *testing.T) {
	m := New()
	m.ConnectFailed() // two failed attempts before the first connection
	m.ConnectFailed()
	m.Connected(true)
	m.Connected(false) // a drop, one failed attempt, then the reconnection
	m.ConnectFailed()
	m.Connected(true)
	if got := value(t, m, "dcsbot_slack_socket_reconnects_total"); got != 4 {
		t.Errorf("reconnects = %v, want 4", got)
	}
	if got := value(t, m, "dcsbot_slack_socket_connected"); got != 1 {
		t.Errorf("connected = %v, want 1", got)
	}
}

// value is the value of the metric name, which has no labels.
func value(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			s := f.GetMetric()[0]
			if s.GetCounter() != nil {
				return s.GetCounter().GetValue()
			}
			return s.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s is not registered", name)
	return 0
}
