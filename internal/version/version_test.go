package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "dcsbot", Version: "v0.9.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	modified := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "dcsbot", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "fedcba9876543210fedcba9876543210fedcba98"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "dcsbot", Version: "(devel)"}}

	tests := []struct {
		name              string
		version, revision string
		bi                *debug.BuildInfo
		want              Info
	}{
		{"linker wins over build info", "v1.2.3-4-gabcdef0-dirty", "abcdef0123", stamped,
			Info{"v1.2.3-4-gabcdef0-dirty", "abcdef0123", "go1.26.8"}},
		{"build info: module version and vcs revision", "", "", stamped,
			Info{"v0.9.0", "0123456789abcdef0123456789abcdef01234567", "go1.26.8"}},
		{"build info: modified tree is dirty, (devel) is not a version", "", "", modified,
			Info{UnknownVersion, "fedcba9876543210fedcba9876543210fedcba98-dirty", "go1.26.8"}},
		{"linker version, revision from build info", "v2.0.0", "", stamped,
			Info{"v2.0.0", "0123456789abcdef0123456789abcdef01234567", "go1.26.8"}},
		{"nothing known", "", "", bare, Info{UnknownVersion, UnknownRevision, "go1.26.8"}},
		{"no build info at all", "", "", nil, Info{UnknownVersion, UnknownRevision, runtime.Version()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.version, tt.revision, tt.bi); got != tt.want {
				t.Errorf("resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	got := Info{Version: "v1.2.3", Revision: "abc123", GoVersion: "go1.26.8"}.String()
	if want := "dcsbot v1.2.3 (revision abc123, go1.26.8)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Get in a test binary: no linker values, so the fallbacks or the test
// binary's build info; the Go version is the running toolchain's.
func TestGetNeverEmpty(t *testing.T) {
	i := Get()
	if i.Version == "" || i.Revision == "" {
		t.Errorf("Get() = %+v: empty field", i)
	}
	if !strings.HasPrefix(i.GoVersion, "go") || i.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", i.GoVersion, runtime.Version())
	}
}
