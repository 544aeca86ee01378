package commands

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	node       = "6f1b2c3d4e5f40718293a4b5c6d7e8f9"
	dashedNode = "6f1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"
	instUUID   = "0d5e8f2a-1b3c-4d5e-8f9a-0b1c2d3e4f5a"
)

// addrs returns n distinct IPv4 client addresses.
func addrs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.0.%d.%d:%d", i/250, i%250+1, 40000+i)
	}
	return out
}

func killText(as ...string) string {
	return "kill orders-prod " + node + " " + strings.Join(as, " ")
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		text string
		opt  Options
		want Command
	}{
		// Help.
		{"empty", "", Options{}, Help{}},
		{"only spaces", "  \t\n ", Options{}, Help{}},
		{"only nbsp", "\u00a0\u00a0", Options{}, Help{}},
		{"help", "help", Options{}, Help{}},
		{"-h", "-h", Options{}, Help{}},
		{"--help", "--help", Options{}, Help{}},
		{"HELP uppercase", "HELP", Options{}, Help{}},
		{"help kill", "help kill", Options{}, Help{Topic: "kill"}},
		{"help KILL", "help KILL", Options{}, Help{Topic: "kill"}},
		{"--help kill", "--help kill", Options{}, Help{Topic: "kill"}},
		{"help help", "help help", Options{}, Help{}},
		{"kill --help", "kill --help", Options{}, Help{Topic: "kill"}},
		{"kill with -h among args", "kill orders-prod -h", Options{}, Help{Topic: "kill"}},

		// Kill.
		{"ipv4", killText("10.0.0.5:52114"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:52114"}}},
		{"several ipv4 keep order", killText("10.0.0.9:1", "10.0.0.5:65535", "192.168.1.1:6379"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.9:1", "10.0.0.5:65535", "192.168.1.1:6379"}}},
		{"ipv6 canonicalised", killText("[FE80::0001]:6379", "[2001:DB8:0:0:0:0:0:1]:1"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"[fe80::1]:6379", "[2001:db8::1]:1"}}},
		{"ipv6 with embedded ipv4 tail", killText("[64:ff9b::10.0.0.5]:7000"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"[64:ff9b::a00:5]:7000"}}},
		{"duplicates folded", killText("10.0.0.5:1", "10.0.0.6:2", "10.0.0.5:1", "10.0.0.6:2", "10.0.0.7:3"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1", "10.0.0.6:2", "10.0.0.7:3"}}},
		{"duplicates folded after canonicalisation", killText("[FE80::0001]:6379", "[fe80::1]:6379", "[fe80:0::1]:6379"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"[fe80::1]:6379"}}},
		{"mixed case node", "kill orders-prod 6F1b2C3d4E5f40718293A4B5C6D7E8F9 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"dashed node kept", "kill orders-prod " + dashedNode + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: dashedNode, Addrs: []string{"10.0.0.5:1"}}},
		{"dashed uppercase node", "kill orders-prod " + strings.ToUpper(dashedNode) + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: dashedNode, Addrs: []string{"10.0.0.5:1"}}},
		{"uppercase alias and subcommand", "KILL Orders-PROD " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"alias with dots and underscores", "kill a.b_c-9 " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "a.b_c-9", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"one-character alias", "kill 7 " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "7", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"63-character alias", "kill " + strings.Repeat("a", 63) + " " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: strings.Repeat("a", 63), Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"instance ID uppercase", "kill " + strings.ToUpper(instUUID) + " " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: instUUID, Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"nbsp separators", "kill\u00a0orders-prod\u00a0" + node + "\u00a010.0.0.5:1\u00a0\u00a010.0.0.6:2", Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1", "10.0.0.6:2"}}},
		{"other unicode spaces, tabs and newlines", "\u3000kill\u2003orders-prod\t" + node + "\n10.0.0.5:1\u202f10.0.0.6:2\r\n", Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1", "10.0.0.6:2"}}},
		{"slack link with label", killText("<http://10.0.0.5:52114|10.0.0.5:52114>"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:52114"}}},
		{"slack link without label", killText("<10.0.0.5:52114>"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:52114"}}},
		{"slack link with empty label uses url", killText("<10.0.0.5:52114|>"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:52114"}}},
		{"slack mailto link", "kill <mailto:orders-prod|orders-prod> " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"slack-wrapped instance and ipv6", "kill <http://orders.prod|orders.prod> " + node + " <http://[FE80::1]:6379|[FE80::1]:6379>", Options{},
			Kill{Instance: "orders.prod", Node: node, Addrs: []string{"[fe80::1]:6379"}}},
		{"html-escaped link url", killText("<http://x/?a=1&amp;b=2|10.0.0.5:1>"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"exactly MaxAddrs at default", killText(addrs(50)...), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: addrs(50)}},
		{"exactly custom MaxAddrs", killText(addrs(3)...), Options{MaxAddrs: 3},
			Kill{Instance: "orders-prod", Node: node, Addrs: addrs(3)}},
		{"duplicates do not count against MaxAddrs", killText(append(addrs(2), addrs(2)...)...), Options{MaxAddrs: 2},
			Kill{Instance: "orders-prod", Node: node, Addrs: addrs(2)}},
		{"negative MaxAddrs means default", killText(addrs(50)...), Options{MaxAddrs: -1},
			Kill{Instance: "orders-prod", Node: node, Addrs: addrs(50)}},
		{"text of exactly MaxTextLen", killText("10.0.0.5:1") + strings.Repeat(" ", MaxTextLen-len(killText("10.0.0.5:1"))), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1"}}},
		{"highest and lowest ports", killText("10.0.0.5:1", "10.0.0.5:65535"), Options{},
			Kill{Instance: "orders-prod", Node: node, Addrs: []string{"10.0.0.5:1", "10.0.0.5:65535"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, tt.opt)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRefused(t *testing.T) {
	long5000 := strings.Repeat("a", 5000)
	tests := []struct {
		name string
		text string
		opt  Options
		want string // a fragment the message must contain
	}{
		// Missing arguments, each kind.
		{"kill alone", "kill", Options{}, "`/dcs kill` is missing the instance (argument 2)"},
		{"no node", "kill orders-prod", Options{}, "`/dcs kill` is missing the node ID (argument 3)"},
		{"no addr", "kill orders-prod " + node, Options{}, "`/dcs kill` is missing the client addresses (argument 4 onwards)"},
		{"no addr, trailing spaces", "kill orders-prod " + node + " \u00a0 ", Options{}, "missing the client addresses"},

		// Extra garbage.
		{"garbage after addrs", killText("10.0.0.5:1", "please"), Options{}, "Argument 5: `please` is not an IP address and port"},
		{"help with two topics", "help kill now", Options{}, "`/dcs help` takes at most one topic, but argument 3 (`now`) is extra"},
		{"unknown help topic", "help frob", Options{}, "There is no help topic `frob`"},

		// Bad instances.
		{"instance starts with dot", "kill .prod " + node + " 10.0.0.5:1", Options{}, "Argument 2: `.prod` is not an instance alias or ID"},
		{"instance with slash", "kill orders/prod " + node + " 10.0.0.5:1", Options{}, "`orders/prod` is not an instance alias or ID"},
		{"64-character alias", "kill " + strings.Repeat("a", 64) + " " + node + " 10.0.0.5:1", Options{}, "is not an instance alias or ID"},
		{"non-ascii alias", "kill ördërs " + node + " 10.0.0.5:1", Options{}, "`ördërs` is not an instance alias or ID"},

		// Bad nodes.
		{"node not hex", "kill orders-prod xyz 10.0.0.5:1", Options{}, "Argument 3: `xyz` is not a DCS node ID (32 hex digits, e.g. `" + node + "`"},
		{"node 31 digits", "kill orders-prod " + node[:31] + " 10.0.0.5:1", Options{}, "is not a DCS node ID (32 hex digits"},
		{"node 33 digits", "kill orders-prod " + node + "0 10.0.0.5:1", Options{}, "is not a DCS node ID (32 hex digits"},
		{"node with g", "kill orders-prod " + strings.Replace(node, "f", "g", 1) + " 10.0.0.5:1", Options{}, "is not a DCS node ID"},
		{"node dashes misplaced", "kill orders-prod 6f1b2c3d4e5f-4071-8293-a4b5-c6d7e8f9 10.0.0.5:1", Options{}, "is not a DCS node ID"},
		{"node with some dashes", "kill orders-prod 6f1b2c3d-4e5f40718293a4b5c6d7e8f9 10.0.0.5:1", Options{}, "is not a DCS node ID"},
		{"address in node place", "kill orders-prod 10.0.0.5:1 10.0.0.6:2", Options{}, "It looks like a client address: the node ID comes before the addresses"},

		// Bad addresses.
		{"missing port", killText("10.0.0.5"), Options{}, "Argument 4: `10.0.0.5` is missing a port"},
		{"empty port", killText("10.0.0.5:"), Options{}, "`10.0.0.5:` is missing a port"},
		{"ipv6 missing port", killText("[fe80::1]"), Options{}, "`[fe80::1]` is missing a port"},
		{"ipv6 without brackets", killText("fe80::1:6379"), Options{}, "is missing brackets or a port"},
		{"mapped ipv6 without brackets", killText("::ffff:10.0.0.5:6379"), Options{}, "needs brackets around its IPv6 address"},
		{"ipv4 in brackets", killText("[10.0.0.5]:6379"), Options{}, "brackets are only for IPv6"},
		{"unclosed bracket", killText("[fe80::1:6379"), Options{}, "without a matching"},
		{"junk after bracket", killText("[fe80::1]6379"), Options{}, "has something other than :port after the"},
		{"ipv6 zone", killText("[fe80::1%eth0]:6379"), Options{}, "has an IPv6 zone (`%eth0`)"},
		{"ipv4-mapped ipv6", killText("[::ffff:10.0.0.5]:6379"), Options{}, "is an IPv4-mapped IPv6 address; write it as IPv4: `10.0.0.5:6379`"},
		{"leading zeros in ipv4", killText("010.0.0.5:6379"), Options{}, "has leading zeros in its IPv4 address"},
		{"three octets", killText("10.0.5:6379"), Options{}, "`10.0.5:6379` is not a client address (ip:port"},
		{"octet too big", killText("10.0.0.256:6379"), Options{}, "is not a client address"},
		{"hostname", killText("redis.internal:6379"), Options{}, "`redis.internal:6379` is not an IP address and port: give the client's IP address, not a hostname"},
		{"localhost", killText("localhost:6379"), Options{}, "not a hostname"},
		{"url", killText("<http://10.0.0.5:6379>"), Options{}, "`http://10.0.0.5:6379` is a URL, not a client address"},
		{"commas", killText("10.0.0.5:1,10.0.0.6:2"), Options{}, "separate addresses with spaces, not commas"},
		{"unspecified ipv4", killText("0.0.0.0:6379"), Options{}, "is the unspecified address"},
		{"unspecified ipv6", killText("[::]:6379"), Options{}, "is the unspecified address"},
		{"multicast", killText("224.0.0.1:6379"), Options{}, "is a multicast address"},
		{"bad addr reported at its position", killText("10.0.0.5:1", "10.0.0.6:2", "nope:1"), Options{}, "Argument 6: `nope:1`"},

		// Bad ports.
		{"port 0", killText("10.0.0.5:0"), Options{}, "has port 0"},
		{"port 65536", killText("10.0.0.5:65536"), Options{}, "has port `65536`, which is out of range (1 to 65535)"},
		{"huge port", killText("10.0.0.5:99999999999999999999999"), Options{}, "which is out of range"},
		{"negative port", killText("10.0.0.5:-1"), Options{}, "has an invalid port `-1`"},
		{"plus port", killText("10.0.0.5:+1"), Options{}, "has an invalid port `+1`"},
		{"named port", killText("10.0.0.5:redis"), Options{}, "has an invalid port `redis`"},
		{"port with leading zero", killText("10.0.0.5:06379"), Options{}, "has a port with leading zeros; write it as `10.0.0.5:6379`"},
		{"ipv6 port 0", killText("[fe80::1]:0"), Options{}, "has port 0"},
		{"ipv6 port too big", killText("[fe80::1]:70000"), Options{}, "out of range"},

		// Too many addresses.
		{"too many at default", killText(addrs(51)...), Options{}, "too many addresses: 51 given, at most 50 per request"},
		{"too many at custom", killText(addrs(3)...), Options{MaxAddrs: 2}, "too many addresses: 3 given, at most 2 per request"},
		{"too many counting duplicates once", killText(append(addrs(3), addrs(3)...)...), Options{MaxAddrs: 2}, "too many addresses: 3 given, at most 2 per request (counting each address once)"},

		// Flags.
		{"reason flag", killText("10.0.0.5:1", "--reason", `"free`, `text"`), Options{}, "Argument 5: unknown flag `--reason`"},
		{"reason flag with equals", killText("10.0.0.5:1", "--reason=because"), Options{}, "unknown flag `--reason`"},
		{"flag first", "--force kill", Options{}, "Argument 1: unknown flag `--force`"},
		{"short flag", "kill -f orders-prod " + node + " 10.0.0.5:1", Options{}, "Argument 2: unknown flag `-f`"},
		{"bare double dash", killText("--", "10.0.0.5:1"), Options{}, "unknown flag `--`"},

		// Unknown subcommand.
		{"unknown subcommand", "frob orders-prod", Options{}, "unknown subcommand `frob`"},
		{"unknown subcommand before hostile arguments", "frob ;rm -rf /", Options{}, "unknown subcommand `frob`"},
		{"unknown subcommand before too long text", "frob " + strings.Repeat("x ", 3000), Options{}, "unknown subcommand `frob`"},
		{"subcommand typo", "kil orders-prod " + node + " 10.0.0.5:1", Options{}, "unknown subcommand `kil`"},

		// Hostile input.
		{"semicolon rm", killText(";rm", "-rf", "/"), Options{}, "Argument 4 (`;rm`) contains characters that are not allowed: a semicolon at position 1"},
		{"command substitution", killText("$(reboot)"), Options{}, "Argument 4 (`$(reboot)`) contains characters that are not allowed: a dollar sign at position 1"},
		{"command substitution in instance", "kill prod$(reboot) " + node + " 10.0.0.5:1", Options{}, "Argument 2 (`prod$(reboot)`) contains characters that are not allowed: a dollar sign at position 5"},
		{"backticks", killText("`reboot`"), Options{}, "Argument 4 (`reboot`) contains characters that are not allowed: a backtick at position 1"},
		{"backtick inside", "kill or`ders " + node + " 10.0.0.5:1", Options{}, "Argument 2 (`orders`) contains characters that are not allowed: a backtick at position 3"},
		{"and and", killText("10.0.0.5:1", "&&", "reboot"), Options{}, "Argument 5 contains characters that are not allowed: an ampersand at position 1"},
		{"html-escaped and and", killText("10.0.0.5:1", "&amp;&amp;", "reboot"), Options{}, "an ampersand at position 1"},
		{"html-escaped angle brackets", killText("&lt;script&gt;"), Options{}, "Argument 4 (`script`) contains characters that are not allowed: an angle bracket at position 1"},
		{"pipe", killText("10.0.0.5:1|sh"), Options{}, "a pipe at position 11"},
		{"pipe in slack label", killText("<http://a|b|c>"), Options{}, "a pipe at position 2"},
		{"glob", killText("10.0.0.*:1"), Options{}, "an asterisk at position 8"},
		{"question mark", killText("10.0.0.?:1"), Options{}, "a question mark"},
		{"braces", killText("{10.0.0.5:1}"), Options{}, "a brace at position 1"},
		{"quote", "kill 'orders-prod' " + node + " 10.0.0.5:1", Options{}, "a quote at position 1"},
		{"double quote", `kill "orders-prod" ` + node + " 10.0.0.5:1", Options{}, "a double quote at position 1"},
		{"backslash", `kill orders\prod ` + node + " 10.0.0.5:1", Options{}, "a backslash at position 7"},
		{"bang", "kill orders! " + node + " 10.0.0.5:1", Options{}, "an exclamation mark at position 7"},
		{"hostile first word", ";rm -rf /", Options{}, "Argument 1 (`;rm`) contains characters that are not allowed"},
		{"slack channel mention", "kill <!channel> " + node + " 10.0.0.5:1", Options{}, "Argument 2 is a Slack mention or channel link"},
		{"slack user mention", "kill <@U123|bob> " + node + " 10.0.0.5:1", Options{}, "Argument 2 is a Slack mention or channel link"},
		{"slack channel link", "kill <#C123|orders-prod> " + node + " 10.0.0.5:1", Options{}, "is a Slack mention or channel link"},
		{"empty slack link", "kill <> " + node + " 10.0.0.5:1", Options{}, "Argument 2 is an empty Slack link"},
		{"NUL", "kill orders\x00prod " + node + " 10.0.0.5:1", Options{}, "Argument 2 (`orders\uFFFDprod`) contains characters that are not allowed: an invisible or control character (U+0000) at position 7"},
		{"escape sequence", killText("\x1b[31m10.0.0.5:1"), Options{}, "an invisible or control character (U+001B) at position 1"},
		{"DEL", killText("10.0.0.5:1\x7f"), Options{}, "(U+007F)"},
		{"right-to-left override", "kill orders\u202eprod " + node + " 10.0.0.5:1", Options{}, "(U+202E) at position 7"},
		{"zero-width space", killText("10.0.0.5:1\u200b"), Options{}, "(U+200B) at position 11"},
		{"non-UTF-8", "kill orders\xffprod " + node + " 10.0.0.5:1", Options{}, "The command is not valid UTF-8 text"},
		{"kill wrapped in a slack link", "<http://kill|kill> orders-prod", Options{}, "`/dcs kill` is missing the node ID"},
		{"non-UTF-8 first", "\xc3\x28", Options{}, "not valid UTF-8"},
		{"101-character argument", killText(strings.Repeat("1", 101)), Options{}, "argument too long (101 characters, at most 100)"},
		{"5000-character argument", "kill orders-prod " + node + " " + long5000, Options{}, "Argument 4 (`" + strings.Repeat("a", 40) + "…`) is refused: argument too long (5000 characters, at most 100)"},
		{"5000-character argument first", long5000, Options{}, "argument too long (5000 characters"},
		{"10,000-character text", killText(strings.Repeat("10.0.0.5:1 ", 1000)), Options{}, "The command is too long: 11050 characters, at most 4000"},
		{"10,000 characters of one token", strings.Repeat("k", 10000), Options{}, "argument too long (10000 characters"},
		{"4001 characters", killText("10.0.0.5:1") + strings.Repeat(" ", MaxTextLen+1-len(killText("10.0.0.5:1"))), Options{}, "The command is too long: 4001 characters"},
		{"long multibyte argument counted in characters", killText(strings.Repeat("é", 101)), Options{}, "argument too long (101 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, tt.opt)
			if err == nil {
				t.Fatalf("Parse(%.80q) = %#v, want an error containing %q", tt.text, got, tt.want)
			}
			if got != nil {
				t.Errorf("Parse(%.80q) returned %#v with its error", tt.text, got)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%.80q) error %T %v, want *UsageError", tt.text, err, err)
			}
			if ue.Error() != ue.Msg {
				t.Errorf("Error() = %q, Msg = %q", ue.Error(), ue.Msg)
			}
			if !strings.Contains(ue.Msg, tt.want) {
				t.Errorf("Parse(%.80q) message\n%s\nwant it to contain\n%s", tt.text, ue.Msg, tt.want)
			}
			checkMessage(t, tt.text, ue.Msg)
		})
	}
}

// checkMessage checks what every refusal must be: short, ending with the
// right usage, and unable to break Slack formatting.
func checkMessage(t *testing.T, text, msg string) {
	t.Helper()
	if msg == "" || utf8.RuneCountInString(msg) >= MaxTextLen {
		t.Errorf("message for %.80q has %d characters", text, utf8.RuneCountInString(msg))
	}
	if !utf8.ValidString(msg) {
		t.Errorf("message for %.80q is not UTF-8: %q", text, msg)
	}
	first := ""
	if f := strings.Fields(text); len(f) > 0 {
		first = f[0]
	}
	// A kill error ends with the kill usage line, any other with Usage().
	// (A first word that only becomes "kill" once unwrapped from a Slack
	// link may end with either.)
	var body string
	switch {
	case strings.HasSuffix(msg, "\n"+KillUsage):
		body = strings.TrimSuffix(msg, "\n"+KillUsage)
	case strings.HasSuffix(msg, "\n\n"+Usage()) && !strings.EqualFold(first, "kill"):
		body = strings.TrimSuffix(msg, "\n\n"+Usage())
	default:
		t.Errorf("message for %.80q does not end with the right usage:\n%s", text, msg)
		return
	}
	// The sentence: no markup characters, balanced code spans, no line breaks.
	if strings.ContainsAny(body, "<>&\n") {
		t.Errorf("message for %.80q has markup characters or line breaks outside the usage: %q", text, body)
	}
	if strings.Count(body, "`")%2 != 0 {
		t.Errorf("message for %.80q has unbalanced backticks: %q", text, body)
	}
	if len(body) > 400 {
		t.Errorf("message for %.80q is %d bytes before the usage: %q", text, len(body), body)
	}
}

func TestLongArgumentMessageIsShort(t *testing.T) {
	for _, text := range []string{
		"kill orders-prod " + node + " " + strings.Repeat("a", 5000),
		"kill " + strings.Repeat("`", 5000) + " x y",
		strings.Repeat("$", 5000),
	} {
		_, err := Parse(text, Options{})
		if err == nil {
			t.Fatalf("Parse(%.40q...) accepted", text)
		}
		if n := len(err.Error()); n >= 500 && !strings.HasSuffix(err.Error(), Usage()) {
			t.Errorf("message is %d bytes: %q", n, err.Error())
		}
		body := strings.TrimSuffix(strings.TrimSuffix(err.Error(), "\n"+KillUsage), "\n\n"+Usage())
		if len(body) >= 500 {
			t.Errorf("sentence is %d bytes: %q", len(body), body)
		}
		if strings.Contains(err.Error(), strings.Repeat("a", 41)) {
			t.Errorf("message echoes more than 40 characters: %q", err.Error())
		}
	}
	// The kill case, usage line and all, is under 500 characters.
	_, err := Parse("kill orders-prod "+node+" "+strings.Repeat("a", 5000), Options{})
	if n := len(err.Error()); n >= 500 {
		t.Errorf("kill message is %d bytes: %q", n, err.Error())
	}
}

func TestUnknownSubcommandShowsUsage(t *testing.T) {
	_, err := Parse("frob", Options{})
	if err == nil || !strings.Contains(err.Error(), "unknown subcommand `frob`") || !strings.Contains(err.Error(), Usage()) {
		t.Fatalf("got %v", err)
	}
}

func TestKillErrorsShowKillUsage(t *testing.T) {
	for _, text := range []string{"kill", "kill x", "kill x y", "KILL x " + node + " nope", "kill x " + node + " --reason"} {
		_, err := Parse(text, Options{})
		if err == nil || !strings.Contains(err.Error(), "Usage: /dcs kill <instance> <node> <addr> [<addr>...]") {
			t.Errorf("Parse(%q) = %v, want the kill usage line", text, err)
		}
	}
}

func TestUsage(t *testing.T) {
	u := Usage()
	for _, want := range []string{KillUsage, "/dcs help", "Example", "/dcs kill orders-prod " + node} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage() lacks %q", want)
		}
	}
	if strings.Count(u, "`")%2 != 0 {
		t.Errorf("Usage() has unbalanced backticks")
	}
	// The example in the usage parses.
	i := strings.Index(u, "`/dcs kill orders-prod")
	ex := u[i+len("`/dcs "):]
	ex = ex[:strings.IndexByte(ex, '`')]
	if _, err := Parse(ex, Options{}); err != nil {
		t.Errorf("the usage example %q does not parse: %v", ex, err)
	}
}

func TestNames(t *testing.T) {
	if (Help{}).Name() != "help" || (Kill{}).Name() != "kill" {
		t.Fatal("wrong names")
	}
	var _ Command = Help{}
	var _ Command = Kill{}
	var _ error = (*UsageError)(nil)
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a`b<c>d&e", "abcde"},
		{"a\x00b\u202ec", "a\uFFFDb\uFFFDc"},
		{strings.Repeat("x", 40), strings.Repeat("x", 40)},
		{strings.Repeat("x", 41), strings.Repeat("x", 40) + "…"},
		{strings.Repeat("`", 100), ""},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := code("```"); strings.Contains(got, "`") {
		t.Errorf("code of only backticks = %q", got)
	}
}

// Every accepted address is canonical and re-parses.
func TestParseAddrCanonical(t *testing.T) {
	for _, s := range []string{"10.0.0.5:1", "[fe80::1]:6379", "[FE80:0:0::1]:6379", "[2001:db8::10.0.0.5]:9"} {
		ap, problem := parseAddr(s)
		if problem != "" {
			t.Fatalf("parseAddr(%q): %s", s, problem)
		}
		again, err := netip.ParseAddrPort(ap.String())
		if err != nil || again != ap {
			t.Errorf("%q -> %q does not re-parse: %v", s, ap, err)
		}
	}
}
