package commands

import (
	"errors"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParse checks Parse's contract on any input. The seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		for _, opt := range []Options{{}, {MaxAddrs: 3}, {MaxAddrs: 50}} {
			checkParse(t, text, opt)
		}
	})
}

func checkParse(t *testing.T, text string, opt Options) {
	max := opt.MaxAddrs
	if max <= 0 {
		max = math.MaxInt
	}
	cmd, err := Parse(text, opt)
	if (cmd == nil) == (err == nil) {
		t.Fatalf("Parse(%q) = %#v, %v: want exactly one of command and error", text, cmd, err)
	}
	checkTable(t, text, opt, cmd, err)
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
		if c.Topic != "" && (c.Topic == "help" || usageLine(c.Topic) == "") {
			t.Fatalf("Parse(%q) = help on unknown topic %q", text, c.Topic)
		}
	case Kill:
		checkKill(t, text, c, max)
	case KillAll:
		checkInstance(t, text, c.Instance, false)
		checkNode(t, text, c.Node, c.AllNodes)
		if c.AllNodes != c.Node.IsZero() {
			t.Fatalf("Parse(%q) = %#v: want exactly one of node and all nodes", text, c)
		}
		checkReason(t, text, c.Reason)
	case Clients:
		checkInstance(t, text, c.Instance, false)
		checkNode(t, text, c.Node, true)
		checkSelectors(t, text, c.Select)
		if c.Sort != "idle" && c.Sort != "age" {
			t.Fatalf("Parse(%q): sort %q", text, c.Sort)
		}
		if c.Filter != "" {
			switch filterKind(c.Filter) {
			case filterAddr:
				if c.Filter != strings.ToLower(c.Filter) || !c.FilterIsAddrPrefix() {
					t.Fatalf("Parse(%q): address filter %q", text, c.Filter)
				}
			case filterName:
				if c.FilterIsAddrPrefix() {
					t.Fatalf("Parse(%q): name filter %q", text, c.Filter)
				}
			default:
				t.Fatalf("Parse(%q): bad filter %q", text, c.Filter)
			}
			if len(c.Filter) > MaxFilterLen {
				t.Fatalf("Parse(%q): filter %q too long", text, c.Filter)
			}
			// Alone, the filter would not have been read as a node.
			if c.Node.IsZero() && nodeLike(c.Filter) {
				t.Fatalf("Parse(%q): filter %q reads as a node", text, c.Filter)
			}
		}
	case Nodes:
		checkInstance(t, text, c.Instance, false)
	case Status:
		checkID(t, text, c.ID)
	case Cancel:
		checkID(t, text, c.ID)
	case History:
		checkInstance(t, text, c.Instance, true)
		if c.Limit < 1 || c.Limit > MaxHistoryLimit {
			t.Fatalf("Parse(%q): limit %d", text, c.Limit)
		}
	default:
		// A subcommand with no invariants of its own: checkTable's,
		// derived from the table, hold for it.
	}
	// What was parsed, written back plainly, parses to the same thing.
	if plain, ok := plainForm(cmd); ok {
		again, err := Parse(plain, opt)
		if err != nil || !reflect.DeepEqual(again, cmd) {
			t.Fatalf("Parse(%q) = %#v, but its plain form %q parses to %#v, %v", text, cmd, plain, again, err)
		}
	}
}

// checkKill checks a parsed kill: the picker (the instance alone), or
// exactly one of a node and --all-nodes with at least one address or
// selector, never addresses with --all-nodes.
func checkKill(t *testing.T, text string, c Kill, max int) {
	t.Helper()
	checkInstance(t, text, c.Instance, false)
	checkReason(t, text, c.Reason)
	checkSelectors(t, text, c.Select)
	if c.Picker() != (c.Node.IsZero() && !c.AllNodes) {
		t.Fatalf("Parse(%q) = %#v: no node and not all nodes, yet more than the instance", text, c)
	}
	if c.Picker() {
		if flagInText(text, nameFlag.name) || flagInText(text, ipFlag.name) || flagInText(text, cmdFlag.name) || flagInText(text, idleOverFlag.name) {
			t.Fatalf("Parse(%q) = the picker, but a selector was typed", text)
		}
		return
	}
	checkNode(t, text, c.Node, c.AllNodes)
	switch {
	case c.AllNodes != c.Node.IsZero():
		t.Fatalf("Parse(%q) = %#v: want exactly one of node and all nodes", text, c)
	case len(c.Addrs) == 0 && c.Select.IsZero():
		t.Fatalf("Parse(%q) = %#v: neither addresses nor selectors", text, c)
	case c.AllNodes && (len(c.Addrs) > 0 || c.Select.IsZero()):
		t.Fatalf("Parse(%q) = %#v: all nodes takes selectors and no addresses", text, c)
	case len(c.Addrs) > max:
		t.Fatalf("Parse(%q): %d addrs, want at most %d", text, len(c.Addrs), max)
	}
	seen := map[string]bool{}
	for _, a := range c.Addrs {
		checkAddr(t, text, a)
		if seen[a] {
			t.Fatalf("Parse(%q): addr %q repeated", text, a)
		}
		if a == c.Node.Addr {
			t.Fatalf("Parse(%q): addr %q is the node's", text, a)
		}
		seen[a] = true
	}
}

// checkSelectors checks that every selector value is one the parser
// writes: a name that cannot pass for a flag or break out of a command
// line, a canonical IP or prefix, a lower-case command, a duration in
// bounds.
func checkSelectors(t *testing.T, text string, s Selectors) {
	t.Helper()
	if s.Name != "" && (utf8.RuneCountInString(s.Name) > MaxNameLen || flagLike(s.Name) || strings.IndexFunc(s.Name, func(r rune) bool {
		_, bad := forbidden[r]
		return bad || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0) {
		t.Fatalf("Parse(%q): name selector %q", text, s.Name)
	}
	if s.Cmd != "" && (len(s.Cmd) > MaxCmdLen || strings.Trim(s.Cmd, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "") {
		t.Fatalf("Parse(%q): command selector %q", text, s.Cmd)
	}
	if s.IdleOver != 0 && (s.IdleOver < MinIdleOver || s.IdleOver > MaxIdleOver) {
		t.Fatalf("Parse(%q): idle-over %v", text, s.IdleOver)
	}
	if s.IP == "" {
		return
	}
	switch {
	case strings.HasSuffix(s.IP, "."):
		if !v4Prefix(s.IP) || !s.IPIsPrefix() {
			t.Fatalf("Parse(%q): IPv4 prefix %q", text, s.IP)
		}
	case strings.HasSuffix(s.IP, ":"):
		if p, ok := v6Prefix(s.IP); !ok || p != s.IP || !s.IPIsPrefix() {
			t.Fatalf("Parse(%q): IPv6 prefix %q", text, s.IP)
		}
	default:
		a, err := netip.ParseAddr(s.IP)
		if err != nil || a.String() != s.IP || a.Zone() != "" || a.Is4In6() || s.IPIsPrefix() {
			t.Fatalf("Parse(%q): IP %q is not a canonical address", text, s.IP)
		}
	}
}

// checkTable checks what the table says of any parse: the command is one
// the table names, built by the spec of the subcommand typed (or help on
// it), from values of that spec's own flags and arguments only.
func checkTable(t *testing.T, text string, opt Options, cmd Command, err error) {
	t.Helper()
	p := defaultTable.newParser(opt)
	cmd2, err2 := p.run(text)
	if !reflect.DeepEqual(cmd, cmd2) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
		t.Fatalf("Parse(%q) = %#v, %v, but a parser over the table gives %#v, %v", text, cmd, err, cmd2, err2)
	}
	if err != nil {
		return
	}
	if defaultTable.lookup(cmd.Name()) == nil {
		t.Fatalf("Parse(%q) = %#v, whose name %q is not in the table", text, cmd, cmd.Name())
	}
	if p.spec == nil {
		if cmd != (Help{}) || strings.TrimFunc(text, unicode.IsSpace) != "" {
			t.Fatalf("Parse(%q) = %#v with no subcommand", text, cmd)
		}
		return
	}
	if cmd.Name() != p.spec.name && !(p.help && cmd == (Help{Topic: p.spec.name})) {
		t.Fatalf("Parse(%q): the %s spec built %#v", text, p.spec.name, cmd)
	}
	for name, v := range p.vals {
		f := p.spec.flag(name)
		switch {
		case f != nil && f.read == nil && v != true:
			t.Fatalf("Parse(%q): switch %s has value %#v", text, name, v)
		case f != nil:
		case !slices.ContainsFunc(p.spec.args, func(a argSpec) bool { return a.name == name }):
			t.Fatalf("Parse(%q): %s read %q, which is neither its flag nor its argument", text, p.spec.name, name)
		}
		if f != nil && !flagInText(text, name) {
			t.Fatalf("Parse(%q): flag %s read but not typed", text, name)
		}
	}
}

// flagInText reports whether text has a word that is flag name, in any
// spelling the parser reads as it.
func flagInText(text, name string) bool {
	for _, w := range strings.FieldsFunc(text, unicode.IsSpace) {
		arg, _ := unwrap(w)
		n, _, _ := strings.Cut(arg, "=")
		if canonFlag(n) == name {
			return true
		}
	}
	return false
}

func checkInstance(t *testing.T, text, inst string, optional bool) {
	t.Helper()
	if !validInstance(inst) && !(optional && inst == "") {
		t.Fatalf("Parse(%q): bad instance %q", text, inst)
	}
}

func checkAddr(t *testing.T, text, a string) {
	t.Helper()
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		t.Fatalf("Parse(%q): addr %q does not re-parse: %v", text, a, err)
	}
	if ap.String() != a || ap.Port() == 0 || ap.Addr().Zone() != "" || ap.Addr().Is4In6() ||
		ap.Addr().IsUnspecified() || ap.Addr().IsMulticast() {
		t.Fatalf("Parse(%q): addr %q is not a canonical client address", text, a)
	}
}

// checkNode checks that n names a node exactly one way, validly, or is zero
// where that is allowed.
func checkNode(t *testing.T, text string, n NodeRef, zeroOK bool) {
	t.Helper()
	kinds := 0
	if n.ID != "" {
		kinds++
		if !validNode(n.ID) || n.ID != strings.ToLower(n.ID) {
			t.Fatalf("Parse(%q): bad node ID %q", text, n.ID)
		}
	}
	if n.Addr != "" {
		kinds++
		checkAddr(t, text, n.Addr)
	}
	if n.IsIndex {
		kinds++
		if n.Index < 0 || n.Index > MaxNodeIndex {
			t.Fatalf("Parse(%q): node index %d", text, n.Index)
		}
	} else if n.Index != 0 {
		t.Fatalf("Parse(%q): index %d set without IsIndex", text, n.Index)
	}
	if kinds > 1 || kinds == 0 && !zeroOK || kinds == 0 != n.IsZero() {
		t.Fatalf("Parse(%q): node %#v", text, n)
	}
}

func checkReason(t *testing.T, text, r string) {
	t.Helper()
	if r == "" {
		return
	}
	if n := utf8.RuneCountInString(r); n > MaxReasonLen {
		t.Fatalf("Parse(%q): reason of %d characters", text, n)
	}
	if strings.TrimSpace(r) != r || strings.Contains(r, "  ") {
		t.Fatalf("Parse(%q): reason %q not trimmed and folded", text, r)
	}
	for _, c := range r {
		if c != ' ' && (unicode.IsSpace(c) || !unicode.IsPrint(c)) {
			t.Fatalf("Parse(%q): reason %q has %U", text, r, c)
		}
	}
}

func checkID(t *testing.T, text, id string) {
	t.Helper()
	if len(id) != 6 || strings.Trim(id, RequestIDAlphabet) != "" {
		t.Fatalf("Parse(%q): bad request ID %q", text, id)
	}
}

// plainForm writes cmd back as a command; ok is false when no quoting can
// carry its reason.
func plainForm(cmd Command) (string, bool) {
	var w []string
	reason := ""
	switch c := cmd.(type) {
	case Help:
		w = []string{"help", c.Topic}
	case Kill:
		w = append([]string{"kill", c.Instance, c.Node.String()}, c.Addrs...)
		if c.AllNodes {
			w = append(w, "--all-nodes")
		}
		w = append(w, selectorWords(c.Select)...)
		reason = c.Reason
	case KillAll:
		w = []string{"kill-all", c.Instance, c.Node.String()}
		if c.AllNodes {
			w = append(w, "--all-nodes")
		}
		reason = c.Reason
	case Clients:
		w = append([]string{"clients", c.Instance, c.Node.String(), c.Filter, "--sort", c.Sort}, selectorWords(c.Select)...)
	case Nodes:
		w = []string{"nodes", c.Instance}
	case Status:
		w = []string{"status", c.ID}
	case Cancel:
		w = []string{"cancel", c.ID}
	case History:
		w = []string{"history", c.Instance, "--limit=" + strconv.Itoa(c.Limit)}
	case Pending:
		w = []string{"pending"}
	default:
		return "", false
	}
	if reason != "" {
		q, ok := quoteReason(reason)
		if !ok {
			return "", false
		}
		w = append(w, "--reason", q)
	}
	return strings.Join(strings.Fields(strings.Join(w, " ")), " "), true
}

// selectorWords writes the selectors back as flags.
func selectorWords(s Selectors) []string {
	var w []string
	for _, f := range [][2]string{{"--name", s.Name}, {"--ip", s.IP}, {"--cmd", s.Cmd}} {
		if f[1] != "" {
			w = append(w, f[0], f[1])
		}
	}
	if s.IdleOver != 0 {
		w = append(w, "--idle-over", s.IdleOver.String())
	}
	return w
}

// quoteReason quotes r as Slack would send it, with quotes that do not
// close early.
func quoteReason(r string) (string, bool) {
	r = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(r)
	for _, q := range [][2]string{{`"`, `"`}, {`'`, `'`}, {"“", "”"}, {"‘", "’"}} {
		family := doubleQuotes
		if strings.Contains(singleQuotes, q[0]) {
			family = singleQuotes
		}
		early := false
		for _, c := range family {
			if strings.Contains(r, string(c)+" ") {
				early = true
			}
		}
		if !early {
			return q[0] + r + q[1], true
		}
	}
	return "", false
}

// usageLine returns the usage line of the subcommand named exactly sub in
// the table, "" if there is none.
func usageLine(sub string) string {
	for _, s := range subcommands {
		if s.name == sub {
			return s.usageLine()
		}
	}
	return ""
}
