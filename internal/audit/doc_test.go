package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// The documented examples are what Marshal writes, and there is one for each
// event. They live in the README's section on the audit stream.
func TestDocumentedExamples(t *testing.T) {
	var lines []string
	for _, path := range []string{"../../README.md"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if strings.HasPrefix(line, `{"seq":`) {
				lines = append(lines, strings.TrimSuffix(line, "\n"))
			}
		}
	}
	if len(lines) == 0 {
		t.Fatal("no example records found in README.md")
	}
	events := map[string]bool{}
	for _, line := range lines {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Errorf("example %s: %v", line, err)
			continue
		}
		back, err := Marshal(r)
		if err != nil || !bytes.Equal(back, []byte(line)) {
			t.Errorf("example\n%s\nis not what Marshal writes:\n%s", line, back)
		}
		events[r.Event] = true
	}
	for _, ev := range []string{"requested", "approval", "approved", "denied", "cancelled", "expired",
		"executing", "succeeded", "failed", "unknown"} {
		if !events[ev] {
			t.Errorf("no documented example of %q", ev)
		}
	}
	if len(events) != 10 {
		keys := make([]string, 0, len(events))
		for k := range events {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Errorf("examples of events %v: want exactly the ten kinds", keys)
	}
}
