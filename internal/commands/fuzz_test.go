package commands

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks Parse's contract on any input. The seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		for _, opt := range []Options{{}, {MaxAddrs: 3}} {
			checkParse(t, text, opt)
		}
	})
}

func checkParse(t *testing.T, text string, opt Options) {
	max := opt.MaxAddrs
	if max <= 0 {
		max = DefaultMaxAddrs
	}
	cmd, err := Parse(text, opt)
	if (cmd == nil) == (err == nil) {
		t.Fatalf("Parse(%q) = %#v, %v: want exactly one of command and error", text, cmd, err)
	}
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("Parse(%q) error %T, want *UsageError", text, err)
		}
		if ue.Msg == "" || utf8.RuneCountInString(ue.Msg) >= MaxTextLen {
			t.Fatalf("Parse(%q) message has %d characters", text, utf8.RuneCountInString(ue.Msg))
		}
		checkMessage(t, text, ue.Msg)
		return
	}
	switch c := cmd.(type) {
	case Help:
		if c.Topic != "" && c.Topic != "kill" {
			t.Fatalf("Parse(%q) = help on unknown topic %q", text, c.Topic)
		}
	case Kill:
		if !validInstance(c.Instance) {
			t.Fatalf("Parse(%q): bad instance %q", text, c.Instance)
		}
		if !validNode(c.Node) || c.Node != strings.ToLower(c.Node) {
			t.Fatalf("Parse(%q): bad node %q", text, c.Node)
		}
		if len(c.Addrs) < 1 || len(c.Addrs) > max {
			t.Fatalf("Parse(%q): %d addrs, want 1..%d", text, len(c.Addrs), max)
		}
		seen := map[string]bool{}
		for _, a := range c.Addrs {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				t.Fatalf("Parse(%q): addr %q does not re-parse: %v", text, a, err)
			}
			if ap.String() != a || ap.Port() == 0 || ap.Addr().Zone() != "" || ap.Addr().Is4In6() {
				t.Fatalf("Parse(%q): addr %q is not a canonical client address", text, a)
			}
			if seen[a] {
				t.Fatalf("Parse(%q): addr %q repeated", text, a)
			}
			seen[a] = true
		}
		// What was parsed, written back plainly, parses to the same thing.
		again, err := Parse("kill "+c.Instance+" "+c.Node+" "+strings.Join(c.Addrs, " "), opt)
		if err != nil || !reflect.DeepEqual(again, cmd) {
			t.Fatalf("Parse(%q) = %#v, but its plain form parses to %#v, %v", text, cmd, again, err)
		}
	default:
		t.Fatalf("Parse(%q) returned %T", text, cmd)
	}
}
