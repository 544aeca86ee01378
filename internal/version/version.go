// Package version says which build of the bot is running: the version and
// revision stamped in by the build, or read from the module's build
// information when the build did not stamp them, and the Go version.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Revision are set at link time:
//
//	go build -ldflags "-X dcsbot/internal/version.Version=v1.2.3 -X dcsbot/internal/version.Revision=<commit>"
//
// `make build` and the Dockerfile do this. Left empty, Get falls back to the
// build information Go records in the binary.
var (
	Version  string
	Revision string
)

// What Get reports when neither the linker nor the build information
// knows.
const (
	UnknownVersion  = "devel"
	UnknownRevision = "unknown"
)

// Info is what a build says about itself.
type Info struct {
	Version   string // e.g. v1.2.3, v1.2.3-4-gabcdef0-dirty, or devel
	Revision  string // the commit, with -dirty when built from a modified tree; or unknown
	GoVersion string // the Go toolchain that built the binary, e.g. go1.26.8
}

// String is the one line `bot -version` prints.
func (i Info) String() string {
	return fmt.Sprintf("dcsbot %s (revision %s, %s)", i.Version, i.Revision, i.GoVersion)
}

// Get returns the running binary's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Revision, bi)
}

// resolve prefers what the linker set, then the build information; bi may
// be nil.
func resolve(version, revision string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Revision: revision, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Revision == "" {
			info.Revision = vcsRevision(bi.Settings)
		}
	}
	if info.Version == "" {
		info.Version = UnknownVersion
	}
	if info.Revision == "" {
		info.Revision = UnknownRevision
	}
	return info
}

// vcsRevision is the commit Go stamped (go build -buildvcs), with -dirty
// when the work tree was modified; "" when there is none.
func vcsRevision(settings []debug.BuildSetting) string {
	var rev, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	return rev
}
