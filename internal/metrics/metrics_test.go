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
