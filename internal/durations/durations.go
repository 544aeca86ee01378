// Package durations writes durations as people type them in commands: the
// parser's limits and the flags a request's selectors are shown as.
package durations

import (
	"strings"
	"time"
)

// Short writes d as time.Duration.String does, without the zero minutes
// and seconds it ends with: "720h", "1h30m", "1m", "1m30s" rather than
// "720h0m0s", "1h30m0s", "1m0s".
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
