// Package bench holds dcsbot's load benchmarks: they drive the real bot
// wiring (app.New and Run on a SQLite file) through the Slack and DCS fakes
// over loopback, and the built binary as a separate process for memory and
// start-up. Run them with `make bench`; RESULTS.md has the figures and what
// limits them. The benchmarks report; they never fail on a missed target.
package bench

import (
	"slices"
	"sync"
	"time"
)

// Sample collects durations from many goroutines.
type Sample struct {
	mu sync.Mutex
	ds []time.Duration
}

// Add records d.
func (s *Sample) Add(d time.Duration) {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
}

// Len is how many durations were recorded.
func (s *Sample) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ds)
}

// Quantile returns the q-quantile (0 <= q <= 1) by the nearest-rank method:
// the smallest recorded value with at least q of the values at or below it.
// It is 0 for an empty sample.
func (s *Sample) Quantile(q float64) time.Duration {
	s.mu.Lock()
	ds := slices.Clone(s.ds)
	s.mu.Unlock()
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(q*float64(len(ds)) + 0.999999999)
	rank = min(max(rank, 1), len(ds))
	return ds[rank-1]
}

// Max is the largest recorded duration.
func (s *Sample) Max() time.Duration { return s.Quantile(1) }

// Ms is d in milliseconds, for ReportMetric.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
