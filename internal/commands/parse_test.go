package commands

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
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

func id(s string) NodeRef { return NodeRef{ID: s} }
func at(s string) NodeRef { return NodeRef{Addr: s} }
func index(i int) NodeRef { return NodeRef{Index: i, IsIndex: true} }
func kill1(n NodeRef, reason string) Kill {
	return Kill{Instance: "orders-prod", Node: n, Addrs: []string{"10.0.0.5:1"}, Reason: reason}
}

// reasonKill is the kill the reason tests expect.
func reasonKill(reason string) Kill { return kill1(id(node), reason) }

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
		{"help kill-all", "help kill-all", Options{}, Help{Topic: "kill-all"}},
		{"help CLIENTS", "help CLIENTS", Options{}, Help{Topic: "clients"}},
		{"help nodes", "help nodes", Options{}, Help{Topic: "nodes"}},
		{"help status", "help status", Options{}, Help{Topic: "status"}},
		{"help cancel", "help cancel", Options{}, Help{Topic: "cancel"}},
		{"help history", "help history", Options{}, Help{Topic: "history"}},
		{"-h history", "-h history", Options{}, Help{Topic: "history"}},
		{"help -h", "help -h", Options{}, Help{}},
		{"help -h kill", "help -h kill", Options{}, Help{Topic: "kill"}},
		{"em-dash help", "—help", Options{}, Help{}},
		{"kill-all --help", "kill-all --help", Options{}, Help{Topic: "kill-all"}},
		{"clients -h with too many args", "clients a b c d e -h", Options{}, Help{Topic: "clients"}},
		{"nodes --HELP", "nodes --HELP", Options{}, Help{Topic: "nodes"}},
		{"status -h", "status -h", Options{}, Help{Topic: "status"}},
		{"cancel -h", "cancel nope -h", Options{}, Help{Topic: "cancel"}},
		{"history -h after flag", "history --limit 5 -h", Options{}, Help{Topic: "history"}},
		{"-h inside a quoted reason is text", "kill orders-prod " + node + ` 10.0.0.5:1 --reason "see -h"`, Options{},
			reasonKill("see -h")},

		// Kill.
		{"ipv4", killText("10.0.0.5:52114"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:52114"}}},
		{"several ipv4 keep order", killText("10.0.0.9:1", "10.0.0.5:65535", "192.168.1.1:6379"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.9:1", "10.0.0.5:65535", "192.168.1.1:6379"}}},
		{"ipv6 canonicalised", killText("[FE80::0001]:6379", "[2001:DB8:0:0:0:0:0:1]:1"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"[fe80::1]:6379", "[2001:db8::1]:1"}}},
		{"ipv6 with embedded ipv4 tail", killText("[64:ff9b::10.0.0.5]:7000"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"[64:ff9b::a00:5]:7000"}}},
		{"duplicates folded", killText("10.0.0.5:1", "10.0.0.6:2", "10.0.0.5:1", "10.0.0.6:2", "10.0.0.7:3"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1", "10.0.0.6:2", "10.0.0.7:3"}}},
		{"duplicates folded after canonicalisation", killText("[FE80::0001]:6379", "[fe80::1]:6379", "[fe80:0::1]:6379"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"[fe80::1]:6379"}}},
		{"mixed case node", "kill orders-prod 6F1b2C3d4E5f40718293A4B5C6D7E8F9 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"dashed node kept", "kill orders-prod " + dashedNode + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: id(dashedNode), Addrs: []string{"10.0.0.5:1"}}},
		{"dashed uppercase node", "kill orders-prod " + strings.ToUpper(dashedNode) + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: id(dashedNode), Addrs: []string{"10.0.0.5:1"}}},
		{"uppercase alias and subcommand", "KILL Orders-PROD " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"alias with dots and underscores", "kill a.b_c-9 " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "a.b_c-9", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"one-character alias", "kill 7 " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "7", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"63-character alias", "kill " + strings.Repeat("a", 63) + " " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: strings.Repeat("a", 63), Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"instance ID uppercase", "kill " + strings.ToUpper(instUUID) + " " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: instUUID, Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"nbsp separators", "kill\u00a0orders-prod\u00a0" + node + "\u00a010.0.0.5:1\u00a0\u00a010.0.0.6:2", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1", "10.0.0.6:2"}}},
		{"other unicode spaces, tabs and newlines", "\u3000kill\u2003orders-prod\t" + node + "\n10.0.0.5:1\u202f10.0.0.6:2\r\n", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1", "10.0.0.6:2"}}},
		{"slack link with label", killText("<http://10.0.0.5:52114|10.0.0.5:52114>"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:52114"}}},
		{"slack link without label", killText("<10.0.0.5:52114>"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:52114"}}},
		{"slack link with empty label uses url", killText("<10.0.0.5:52114|>"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:52114"}}},
		{"slack mailto link", "kill <mailto:orders-prod|orders-prod> " + node + " 10.0.0.5:1", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"slack-wrapped instance and ipv6", "kill <http://orders.prod|orders.prod> " + node + " <http://[FE80::1]:6379|[FE80::1]:6379>", Options{},
			Kill{Instance: "orders.prod", Node: id(node), Addrs: []string{"[fe80::1]:6379"}}},
		{"html-escaped link url", killText("<http://x/?a=1&amp;b=2|10.0.0.5:1>"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"exactly MaxAddrs", killText(addrs(50)...), Options{MaxAddrs: 50},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: addrs(50)}},
		{"exactly custom MaxAddrs", killText(addrs(3)...), Options{MaxAddrs: 3},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: addrs(3)}},
		{"duplicates do not count against MaxAddrs", killText(append(addrs(2), addrs(2)...)...), Options{MaxAddrs: 2},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: addrs(2)}},
		{"negative MaxAddrs means no limit here", killText(addrs(50)...), Options{MaxAddrs: -1},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: addrs(50)}},
		{"text of exactly MaxTextLen", killText("10.0.0.5:1") + strings.Repeat(" ", MaxTextLen-len(killText("10.0.0.5:1"))), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}}},
		{"highest and lowest ports", killText("10.0.0.5:1", "10.0.0.5:65535"), Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1", "10.0.0.5:65535"}}},

		// Kill: node references.
		{"node index", "kill orders-prod 0 10.0.0.5:1", Options{}, kill1(index(0), "")},
		{"node index with hash", "kill orders-prod #3 10.0.0.5:1", Options{}, kill1(index(3), "")},
		{"node index 999", "kill orders-prod 999 10.0.0.5:1", Options{}, kill1(index(999), "")},
		{"node index leading zeros", "kill orders-prod #007 10.0.0.5:1", Options{}, kill1(index(7), "")},
		{"node ipv4 address", "kill orders-prod 10.0.1.12:6379 10.0.0.5:1", Options{}, kill1(at("10.0.1.12:6379"), "")},
		{"node ipv6 address canonicalised", "kill orders-prod [FD00::0012]:6379 10.0.0.5:1", Options{}, kill1(at("[fd00::12]:6379"), "")},
		{"node address and client on the same host", "kill orders-prod 10.0.0.5:6379 10.0.0.5:1", Options{}, kill1(at("10.0.0.5:6379"), "")},
		{"32-digit node ID is an ID, not a number", "kill orders-prod 12345678901234567890123456789012 10.0.0.5:1", Options{},
			kill1(id("12345678901234567890123456789012"), "")},

		// Kill: reasons, every quoting style and place.
		{"reason double quotes", killText("10.0.0.5:1", `--reason "stuck batch job"`), Options{}, reasonKill("stuck batch job")},
		{"reason single quotes", killText("10.0.0.5:1", `--reason 'stuck batch job'`), Options{}, reasonKill("stuck batch job")},
		{"reason smart double quotes", killText("10.0.0.5:1", "--reason \u201cstuck batch job\u201d"), Options{}, reasonKill("stuck batch job")},
		{"reason smart single quotes", killText("10.0.0.5:1", "--reason \u2018stuck batch job\u2019"), Options{}, reasonKill("stuck batch job")},
		{"reason closing smart quotes both ends", killText("10.0.0.5:1", "--reason=\u201dstuck batch job\u201d"), Options{}, reasonKill("stuck batch job")},
		{"reason mixed straight and smart", killText("10.0.0.5:1", "--reason \u201cstuck batch job\""), Options{}, reasonKill("stuck batch job")},
		{"reason unquoted word", killText("10.0.0.5:1", "--reason oom"), Options{}, reasonKill("oom")},
		{"reason equals", killText("10.0.0.5:1", "--reason=oom"), Options{}, reasonKill("oom")},
		{"reason equals with equals inside", killText("10.0.0.5:1", "--reason=a=b"), Options{}, reasonKill("a=b")},
		{"reason equals double quotes", killText("10.0.0.5:1", `--reason="stuck batch job"`), Options{}, reasonKill("stuck batch job")},
		{"reason equals single quotes", killText("10.0.0.5:1", `--reason='stuck batch job'`), Options{}, reasonKill("stuck batch job")},
		{"reason equals smart quotes", killText("10.0.0.5:1", "--reason=\u201cstuck batch job\u201d"), Options{}, reasonKill("stuck batch job")},
		{"reason first", "kill --reason \"stuck batch job\" orders-prod " + node + " 10.0.0.5:1", Options{}, reasonKill("stuck batch job")},
		{"reason in the middle", "kill orders-prod --reason 'stuck batch job' " + node + " 10.0.0.5:1", Options{}, reasonKill("stuck batch job")},
		{"reason between addresses", "kill orders-prod " + node + " 10.0.0.5:1 --reason=\"x y\" 10.0.0.6:2", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1", "10.0.0.6:2"}, Reason: "x y"}},
		{"reason flag name in capitals", killText("10.0.0.5:1", `--REASON "x"`), Options{}, reasonKill("x")},
		{"reason after an em dash", killText("10.0.0.5:1", "\u2014reason \u201cx y\u201d"), Options{}, reasonKill("x y")},
		{"reason after an en dash", killText("10.0.0.5:1", "\u2013reason=x"), Options{}, reasonKill("x")},
		{"apostrophe inside single quotes", killText("10.0.0.5:1", `--reason 'don't panic'`), Options{}, reasonKill("don't panic")},
		{"smart apostrophe inside smart quotes", killText("10.0.0.5:1", "--reason \u2018don\u2019t panic\u2019"), Options{}, reasonKill("don\u2019t panic")},
		{"double quotes inside, not before a space", killText("10.0.0.5:1", `--reason "the "cache"-warmer job"`), Options{}, reasonKill(`the "cache"-warmer job`)},
		{"single quotes inside double quotes", killText("10.0.0.5:1", `--reason "it's 'stuck'"`), Options{}, reasonKill("it's 'stuck'")},
		{"reason white space folded and trimmed", killText("10.0.0.5:1", "--reason \"  stuck\n\tbatch\u00a0\u00a0job \r\n\""), Options{}, reasonKill("stuck batch job")},
		{"reason free punctuation", killText("10.0.0.5:1", `--reason "a &amp;&amp; b; $(c) | d \\ e! ? {f} *g* #h @i ~j% ^k+l"`), Options{},
			reasonKill(`a && b; $(c) | d \\ e! ? {f} *g* #h @i ~j% ^k+l`)},
		{"reason html entities unescaped once", killText("10.0.0.5:1", `--reason "&amp;lt;b&amp;gt; &lt;3"`), Options{}, reasonKill("&lt;b&gt; <3")},
		{"reason slack links and mentions made plain", killText("10.0.0.5:1",
			`--reason "see <https://jira.example/OPS-1|OPS-1> and <https://x.example/a?b=1&amp;c=2> per <@U123|bob> <@U456> in <#C1|ops> <!here> <!subteam^S1|@oncall>"`), Options{},
			reasonKill("see OPS-1 and https://x.example/a?b=1&c=2 per @bob @U456 in #ops @here @oncall")},
		{"reason unquoted slack link", killText("10.0.0.5:1", "--reason <https://jira.example/OPS-1|OPS-1>"), Options{}, reasonKill("OPS-1")},
		{"reason non-ascii and emoji", killText("10.0.0.5:1", `--reason "Überlast 🔥 — 过载"`), Options{}, reasonKill("Überlast 🔥 — 过载")},
		{"reason of exactly 500 characters", killText("10.0.0.5:1", `--reason "`+strings.Repeat("é", 500)+`"`), Options{}, reasonKill(strings.Repeat("é", 500))},
		{"reason of 500 characters after trimming", killText("10.0.0.5:1", `--reason "   `+strings.Repeat("x", 500)+`   "`), Options{}, reasonKill(strings.Repeat("x", 500))},
		{"reason looks like flags", killText("10.0.0.5:1", `--reason "--all-nodes --reason x"`), Options{}, reasonKill("--all-nodes --reason x")},
		{"reason at the end after a newline", killText("10.0.0.5:1", "--reason\n\"x\""), Options{}, reasonKill("x")},

		// Kill: the picker, selectors and all nodes.
		{"picker", "kill orders-prod", Options{}, Kill{Instance: "orders-prod"}},
		{"picker with a reason", `kill Orders-Prod --reason "KEYS storm"`, Options{}, Kill{Instance: "orders-prod", Reason: "KEYS storm"}},
		{"name selector", "kill orders-prod #0 --name Billing-API", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{Name: "Billing-API"}}},
		{"ip selector canonicalised", "kill orders-prod #0 --ip FE80:0::0001", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "fe80::1"}}},
		{"ip selector in brackets", "kill orders-prod #0 --ip=[2001:db8::51]", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "2001:db8::51"}}},
		{"ipv4-mapped ip selector", "kill orders-prod #0 --ip ::ffff:10.0.0.5", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "10.0.0.5"}}},
		{"ipv4 prefix", "kill orders-prod #0 --ip 10.0.3.", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "10.0.3."}}},
		{"ipv6 prefix normalised", "kill orders-prod #0 --ip 2001:0DB8::", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "2001:db8::"}}},
		{"ipv6 prefix of groups", "kill orders-prod #0 --ip fe80:", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IP: "fe80:"}}},
		{"cmd selector lowercased", "kill orders-prod #0 --cmd KEYS", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{Cmd: "keys"}}},
		{"idle-over selector", "kill orders-prod #0 --idle-over 1H30M", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{IdleOver: 90 * time.Minute}}},
		{"every selector, flags first, and addresses", "kill --idle-over=10m --cmd get orders-prod " + node + " 10.0.0.5:1 --name billing --ip 10. --reason x", Options{},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: []string{"10.0.0.5:1"}, Reason: "x",
				Select: Selectors{Name: "billing", IP: "10.", Cmd: "get", IdleOver: 10 * time.Minute}}},
		{"all nodes with a selector", "kill orders-prod --all-nodes --cmd keys", Options{},
			Kill{Instance: "orders-prod", AllNodes: true, Select: Selectors{Cmd: "keys"}}},
		{"all nodes first, em dash", "kill \u2014all-nodes orders-prod --name x --reason 'a b'", Options{},
			Kill{Instance: "orders-prod", AllNodes: true, Select: Selectors{Name: "x"}, Reason: "a b"}},
		{"name with punctuation", "kill orders-prod #0 --name=a=b:c@d%e", Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{Name: "a=b:c@d%e"}}},
		{"name of 64", "kill orders-prod #0 --name " + strings.Repeat("n", 64), Options{},
			Kill{Instance: "orders-prod", Node: index(0), Select: Selectors{Name: strings.Repeat("n", 64)}}},
		{"selectors with MaxAddrs addresses", killText(addrs(3)...) + " --cmd get", Options{MaxAddrs: 3},
			Kill{Instance: "orders-prod", Node: id(node), Addrs: addrs(3), Select: Selectors{Cmd: "get"}}},

		// Kill-all.
		{"kill-all node ID", "kill-all orders-prod " + node, Options{}, KillAll{Instance: "orders-prod", Node: id(node)}},
		{"kill-all node index", "kill-all orders-prod #2", Options{}, KillAll{Instance: "orders-prod", Node: index(2)}},
		{"kill-all node address", "kill-all orders-prod [fd00::1]:6379", Options{}, KillAll{Instance: "orders-prod", Node: at("[fd00::1]:6379")}},
		{"kill-all all nodes", "kill-all orders-prod --all-nodes", Options{}, KillAll{Instance: "orders-prod", AllNodes: true}},
		{"kill-all all nodes first", "KILL-ALL --ALL-NODES Orders-Prod", Options{}, KillAll{Instance: "orders-prod", AllNodes: true}},
		{"kill-all all nodes em dash", "kill-all orders-prod \u2014all-nodes", Options{}, KillAll{Instance: "orders-prod", AllNodes: true}},
		{"kill-all with reason", `kill-all orders-prod 0 --reason "connection leak"`, Options{},
			KillAll{Instance: "orders-prod", Node: index(0), Reason: "connection leak"}},
		{"kill-all reason before all nodes", `kill-all --reason='failover drill' orders-prod --all-nodes`, Options{},
			KillAll{Instance: "orders-prod", AllNodes: true, Reason: "failover drill"}},

		// Clients.
		{"clients instance only", "clients orders-prod", Options{}, Clients{Instance: "orders-prod", Sort: "idle"}},
		{"clients node ID", "clients orders-prod " + strings.ToUpper(dashedNode), Options{}, Clients{Instance: "orders-prod", Node: id(dashedNode), Sort: "idle"}},
		{"clients node address", "clients orders-prod 10.0.1.12:6379", Options{}, Clients{Instance: "orders-prod", Node: at("10.0.1.12:6379"), Sort: "idle"}},
		{"clients node index", "clients orders-prod 3", Options{}, Clients{Instance: "orders-prod", Node: index(3), Sort: "idle"}},
		{"clients node hash index", "clients orders-prod #3", Options{}, Clients{Instance: "orders-prod", Node: index(3), Sort: "idle"}},
		{"clients address-prefix filter", "clients orders-prod 10.0.3.", Options{}, Clients{Instance: "orders-prod", Filter: "10.0.3.", Sort: "idle"}},
		{"clients ipv6 prefix filter lowercased", "clients orders-prod [FD00:", Options{}, Clients{Instance: "orders-prod", Filter: "[fd00:", Sort: "idle"}},
		{"clients address without port is a filter", "clients orders-prod 10.0.0.5", Options{}, Clients{Instance: "orders-prod", Filter: "10.0.0.5", Sort: "idle"}},
		{"clients name filter kept as typed", "clients orders-prod Celery.Beat_1:x-y", Options{}, Clients{Instance: "orders-prod", Filter: "Celery.Beat_1:x-y", Sort: "idle"}},
		{"clients hex word is a name", "clients orders-prod deadbeef", Options{}, Clients{Instance: "orders-prod", Filter: "deadbeef", Sort: "idle"}},
		{"clients digit then letters is a name", "clients orders-prod 1worker", Options{}, Clients{Instance: "orders-prod", Filter: "1worker", Sort: "idle"}},
		{"clients filter of 64", "clients orders-prod " + strings.Repeat("w", 64), Options{}, Clients{Instance: "orders-prod", Filter: strings.Repeat("w", 64), Sort: "idle"}},
		{"clients node and filter", "clients orders-prod 0 worker", Options{}, Clients{Instance: "orders-prod", Node: index(0), Filter: "worker", Sort: "idle"}},
		{"clients node and full address filter", "clients orders-prod 10.0.1.12:6379 10.0.0.5:52114", Options{},
			Clients{Instance: "orders-prod", Node: at("10.0.1.12:6379"), Filter: "10.0.0.5:52114", Sort: "idle"}},
		{"clients node and number-like filter", "clients orders-prod #0 10", Options{}, Clients{Instance: "orders-prod", Node: index(0), Filter: "10", Sort: "idle"}},
		{"clients sort age", "clients orders-prod --sort age", Options{}, Clients{Instance: "orders-prod", Sort: "age"}},
		{"clients sort idle explicit", "clients orders-prod --sort=idle", Options{}, Clients{Instance: "orders-prod", Sort: "idle"}},
		{"clients sort first, upper case", "clients --SORT=AGE orders-prod 0 worker", Options{}, Clients{Instance: "orders-prod", Node: index(0), Filter: "worker", Sort: "age"}},
		{"clients sort between", "clients orders-prod --sort age worker", Options{}, Clients{Instance: "orders-prod", Filter: "worker", Sort: "age"}},
		{"clients selectors", "clients orders-prod #0 worker --cmd GET --ip 10.20. --idle-over 90s --name w", Options{},
			Clients{Instance: "orders-prod", Node: index(0), Filter: "worker", Sort: "idle", Select: Selectors{Name: "w", IP: "10.20.", Cmd: "get", IdleOver: 90 * time.Second}}},

		// Nodes.
		{"nodes", "nodes orders-prod", Options{}, Nodes{Instance: "orders-prod"}},
		{"nodes uppercase", "NODES Orders-Prod", Options{}, Nodes{Instance: "orders-prod"}},
		{"nodes instance ID", "nodes " + instUUID, Options{}, Nodes{Instance: instUUID}},

		// Status and cancel: request IDs.
		{"status", "status 7K2QFM", Options{}, Status{ID: "7K2QFM"}},
		{"status lower case", "status 7k2qfm", Options{}, Status{ID: "7K2QFM"}},
		{"status confusables", "status iLoO12", Options{}, Status{ID: "110012"}},
		{"cancel", "cancel 7K2QFM", Options{}, Cancel{ID: "7K2QFM"}},
		{"cancel mixed case", "CANCEL 0aBzZ9", Options{}, Cancel{ID: "0ABZZ9"}},
		{"cancel slack link", "cancel <http://x|7k2qfm>", Options{}, Cancel{ID: "7K2QFM"}},

		// History.
		{"history defaults", "history", Options{}, History{Limit: 10}},
		{"history instance", "history Orders-Prod", Options{}, History{Instance: "orders-prod", Limit: 10}},
		{"history limit 1", "history --limit 1", Options{}, History{Limit: 1}},
		{"history limit 50 with equals", "history --limit=50", Options{}, History{Limit: 50}},
		{"history limit first", "history --limit 20 orders-prod", Options{}, History{Instance: "orders-prod", Limit: 20}},
		{"history limit last with leading zeros", "history orders-prod --LIMIT 007", Options{}, History{Instance: "orders-prod", Limit: 7}},
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
		{"selectors without a node", "kill orders-prod --name billing", Options{},
			"`/dcs kill` needs the node for the selectors, or `--all-nodes` for every node that holds sessions."},
		{"all nodes without selectors", "kill orders-prod --all-nodes", Options{},
			"`/dcs kill` needs at least one selector with `--all-nodes`: `--name`, `--ip`, `--cmd` or `--idle-over`."},
		{"all nodes with a reason but no selector", `kill orders-prod --all-nodes --reason "x y"`, Options{}, "needs at least one selector with `--all-nodes`"},
		{"all nodes with addresses", "kill orders-prod --all-nodes 10.0.0.5:1 --name x", Options{},
			"Argument 4 (`10.0.0.5:1`): with `--all-nodes`, give selectors (`--name`, `--ip`, `--cmd` or `--idle-over`), not a node or client addresses."},
		{"all nodes and a node", "kill orders-prod #0 --all-nodes --cmd keys", Options{}, "Argument 3 (`#0`): with `--all-nodes`, give selectors"},
		{"no addr nor selector", "kill orders-prod #0 --reason x", Options{}, "`/dcs kill` is missing the client addresses: give at least one ip:port after the node, or a selector"},
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
		{"node not hex", "kill orders-prod xyz 10.0.0.5:1", Options{}, "Argument 3: `xyz` is not a node: give its DCS node ID (32 hex digits, with or without dashes, e.g. `" + node + "`), its ip:port, or its number in `/dcs nodes`."},
		{"node 31 digits", "kill orders-prod " + node[:31] + " 10.0.0.5:1", Options{}, "is not a node: give its DCS node ID (32 hex digits"},
		{"node 33 digits", "kill orders-prod " + node + "0 10.0.0.5:1", Options{}, "is not a node: give its DCS node ID (32 hex digits"},
		{"node with g", "kill orders-prod " + strings.Replace(node, "f", "g", 1) + " 10.0.0.5:1", Options{}, "is not a node"},
		{"node dashes misplaced", "kill orders-prod 6f1b2c3d4e5f-4071-8293-a4b5-c6d7e8f9 10.0.0.5:1", Options{}, "is not a node"},
		{"node with some dashes", "kill orders-prod 6f1b2c3d-4e5f40718293a4b5c6d7e8f9 10.0.0.5:1", Options{}, "is not a node"},
		{"node number too big", "kill orders-prod 1000 10.0.0.5:1", Options{}, "Argument 3: `1000` is not a node number: the numbers in `/dcs nodes` go from 0 to 999."},
		{"node number huge", "kill orders-prod #99999999999999999999 10.0.0.5:1", Options{}, "is not a node number: the numbers in `/dcs nodes` go from 0 to 999"},
		{"node number not a number", "kill orders-prod #x 10.0.0.5:1", Options{}, "Argument 3: `#x` is not a node number (write e.g. `3` or `#3`)"},
		{"node bare hash", "kill orders-prod # 10.0.0.5:1", Options{}, "`#` is not a node number"},
		{"node negative number", "kill orders-prod -1 10.0.0.5:1", Options{}, "Argument 3: unknown flag `-1`"},
		{"node address without port", "kill orders-prod 10.0.1.12 10.0.0.5:1", Options{}, "Argument 3: `10.0.1.12` is missing a port"},
		{"node hostname", "kill orders-prod redis-1.internal:6379 10.0.0.5:1", Options{}, "give the node's IP address, not a hostname"},
		{"node port 0", "kill orders-prod 10.0.1.12:0 10.0.0.5:1", Options{}, "Argument 3: `10.0.1.12:0` has port 0"},
		{"address in node place, no client", "kill orders-prod 10.0.0.5:52114", Options{},
			"`/dcs kill` is missing the client addresses (argument 4 onwards): give at least one ip:port after the node, or a selector (`--name`, `--ip`, `--cmd` or `--idle-over`). (`10.0.0.5:52114` was read as the node: the node comes first, then the client addresses.)"},
		{"client is the node itself", "kill orders-prod 10.0.0.5:6379 10.0.0.6:1 10.0.0.5:6379", Options{},
			"Argument 5: `10.0.0.5:6379` is the node's own address, not a client's"},

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
		{"too many at 50", killText(addrs(51)...), Options{MaxAddrs: 50}, "too many addresses: 51 given, at most 50 per request"},
		{"too many at custom", killText(addrs(3)...), Options{MaxAddrs: 2}, "too many addresses: 3 given, at most 2 per request"},
		{"too many counting duplicates once", killText(append(addrs(3), addrs(3)...)...), Options{MaxAddrs: 2}, "too many addresses: 3 given, at most 2 per request (counting each address once)"},

		// Selector values.
		{"name too long", "kill orders-prod #0 --name " + strings.Repeat("n", 65), Options{}, "Argument 5: `--name` takes at most 64 characters, not 65."},
		{"name like a flag", "kill orders-prod #0 --name=-x", Options{}, "Argument 4: `--name` must not start with a dash: `-x`."},
		{"name missing", "kill orders-prod #0 --name", Options{}, "Argument 4: `--name` needs a value after it, part of a client name, e.g. `--name billing`."},
		{"name followed by a flag", "kill orders-prod #0 --name --cmd get", Options{}, "`--name` needs a value after it"},
		{"name with a glob", "kill orders-prod #0 --name bill*", Options{}, "Argument 5 (`bill*`) contains characters that are not allowed: an asterisk at position 5."},
		{"name with a pipe", "kill orders-prod #0 --name=a|b", Options{}, "a pipe"},
		{"name twice", "kill orders-prod #0 --name a --name b", Options{}, "Argument 6: `--name` is given twice; give it once."},
		{"cmd with a space", "kill orders-prod #0 --cmd 'client list'", Options{}, "a quote at position 1"},
		{"cmd not a command", "kill orders-prod #0 --cmd -x", Options{}, "`--cmd` needs a value after it"},
		{"cmd with a colon", "kill orders-prod #0 --cmd a:b", Options{}, "Argument 5: `--cmd` must be a Redis command name like `keys` (letters, digits, `-`, `_` and `.`, at most 32), not `a:b`."},
		{"cmd too long", "kill orders-prod #0 --cmd " + strings.Repeat("k", 33), Options{}, "`--cmd` must be a Redis command name"},
		{"ip with a port", "kill orders-prod #0 --ip 10.0.3.7:5000", Options{}, "Argument 5: `--ip` takes an address without a port (give the whole ip:port as an address instead), not `10.0.3.7:5000`."},
		{"ipv6 with a port", "kill orders-prod #0 --ip [fe80::1]:6379", Options{}, "`--ip` takes an address without a port"},
		{"ip prefix with a port colon", "kill orders-prod #0 --ip 10.0.3.7:", Options{}, "`--ip` takes an address without a port, not `10.0.3.7:`."},
		{"ip prefix without its dot", "kill orders-prod #0 --ip 10.0.3", Options{}, "`--ip` must be a client IP address (`10.0.3.7`, `fe80::1`) or its start ending in `.` or `:` (`10.0.3.`, `fe80::`), not `10.0.3`."},
		{"ip prefix of four octets", "kill orders-prod #0 --ip 10.0.3.7.", Options{}, "`--ip` must be a client IP address"},
		{"ip prefix with leading zeros", "kill orders-prod #0 --ip 10.00.", Options{}, "`--ip` must be a client IP address"},
		{"ip prefix octet too big", "kill orders-prod #0 --ip 10.256.", Options{}, "`--ip` must be a client IP address"},
		{"ipv6 prefix with two gaps", "kill orders-prod #0 --ip 1::2::", Options{}, "`--ip` must be a client IP address"},
		{"ipv6 prefix of eight groups", "kill orders-prod #0 --ip 1:2:3:4:5:6:7:8:", Options{}, "`--ip` must be a client IP address"},
		{"ipv6 prefix group too long", "kill orders-prod #0 --ip 12345:", Options{}, "`--ip` must be a client IP address"},
		{"ipv6 zone", "kill orders-prod #0 --ip fe80::1%eth0", Options{}, "`--ip` takes an address without an IPv6 zone"},
		{"ip hostname", "kill orders-prod #0 --ip redis.local", Options{}, "`--ip` must be a client IP address"},
		{"idle-over zero", "kill orders-prod #0 --idle-over 0s", Options{}, "Argument 5: `--idle-over` must be longer than zero, not `0s`."},
		{"idle-over without a unit", "kill orders-prod #0 --idle-over 10", Options{}, "`--idle-over` must be a duration: a number and a unit"},
		{"idle-over too long", "kill orders-prod #0 --idle-over 721h", Options{}, "`--idle-over` must be at most `720h`, not `721h`."},
		{"idle-over too short", "kill orders-prod #0 --idle-over 500ms", Options{}, "`--idle-over` must be at least `1s`"},
		{"clients bad ip", "clients orders-prod --ip 10.0", Options{}, "`--ip` must be a client IP address"},

		// Flags.
		{"flag first", "--force kill", Options{}, "Argument 1: unknown flag `--force`"},
		{"known flag first", `--reason "x" kill`, Options{}, "Argument 1: `--reason` goes after the subcommand"},
		{"short flag", "kill -f orders-prod " + node + " 10.0.0.5:1", Options{}, "Argument 2: unknown flag `-f`; `/dcs kill` takes `--all-nodes`, `--name`, `--ip`, `--cmd`, `--idle-over` and `--reason`."},
		{"bare double dash", killText("--", "10.0.0.5:1"), Options{}, "unknown flag `--`"},
		{"unknown em-dash flag", killText("10.0.0.5:1", "\u2014force"), Options{}, "Argument 5: unknown flag `\u2014force`"},
		{"unknown flag on clients", "clients orders-prod --force", Options{}, "Argument 3: unknown flag `--force`; `/dcs clients` takes `--sort`, `--name`, `--ip`, `--cmd` and `--idle-over`."},
		{"unknown flag on kill-all", "kill-all orders-prod --all", Options{}, "unknown flag `--all`; `/dcs kill-all` takes `--all-nodes` and `--reason`."},
		{"all-nodes on kill with a node", killText("10.0.0.5:1", "--all-nodes"), Options{}, "Argument 3 (`" + node + "`): with `--all-nodes`, give selectors"},
		{"selector on kill-all", "kill-all orders-prod #0 --name x", Options{}, "Argument 4: `/dcs kill-all` does not take `--name`; it takes `--all-nodes` and `--reason`."},
		{"all-nodes on clients", "clients orders-prod --all-nodes", Options{}, "`/dcs clients` does not take `--all-nodes`"},
		{"reason on nodes", `nodes orders-prod --reason "x"`, Options{}, "Argument 3: `/dcs nodes` does not take `--reason`; it takes no flags."},
		{"reason on clients", `clients orders-prod --reason=x`, Options{}, "`/dcs clients` does not take `--reason`"},
		{"reason on status", `status 7K2QFM --reason "x y"`, Options{}, "`/dcs status` does not take `--reason`"},
		{"reason on cancel", `cancel 7K2QFM --reason "x y"`, Options{}, "`/dcs cancel` does not take `--reason`"},
		{"reason on history", `history --reason x`, Options{}, "`/dcs history` does not take `--reason`"},
		{"reason on help", `help --reason x`, Options{}, "`/dcs help` does not take `--reason`; it takes no flags."},
		{"limit on clients", "clients orders-prod --limit 5", Options{}, "`/dcs clients` does not take `--limit`; it takes `--sort`, `--name`, `--ip`, `--cmd` and `--idle-over`."},
		{"sort on history", "history --sort age", Options{}, "`/dcs history` does not take `--sort`; it takes only `--limit`."},
		{"help with a value", killText("10.0.0.5:1", "--help=yes"), Options{}, "Argument 5: `--help` takes no value."},
		{"all-nodes with a value", "kill-all orders-prod --all-nodes=yes", Options{}, "Argument 3: `--all-nodes` takes no value."},

		// Duplicate flags.
		{"reason twice", killText("10.0.0.5:1", `--reason "a b"`, "--reason=c"), Options{}, "Argument 7: `--reason` is given twice; give it once."},
		{"reason twice, other spelling", killText("10.0.0.5:1", "--reason a", "\u2014REASON b"), Options{}, "`--reason` is given twice"},
		{"all-nodes twice", "kill-all orders-prod --all-nodes --all-nodes", Options{}, "Argument 4: `--all-nodes` is given twice"},
		{"sort twice", "clients orders-prod --sort age --sort=age", Options{}, "Argument 5: `--sort` is given twice"},
		{"limit twice", "history --limit 5 --limit 5", Options{}, "Argument 4: `--limit` is given twice"},

		// Reasons.
		{"reason without value", killText("10.0.0.5:1", "--reason"), Options{}, "Argument 5: `--reason` needs a value after it, e.g. `--reason \"stuck batch job\"`."},
		{"reason followed by a flag", "kill-all orders-prod --reason --all-nodes", Options{}, "Argument 3: `--reason` needs a value after it"},
		{"reason followed by an em-dash flag", "kill-all orders-prod --reason \u2014all-nodes", Options{}, "`--reason` needs a value after it"},
		{"unterminated double quote", killText("10.0.0.5:1", `--reason "stuck batch job`), Options{},
			"Argument 6: the quote `\"` that opens the reason is never closed; end the reason with a matching quote followed by a space or the end of the command."},
		{"unterminated single quote", killText("10.0.0.5:1", `--reason 'stuck`), Options{}, "the quote `'` that opens the reason is never closed"},
		{"unterminated smart quote", killText("10.0.0.5:1", "--reason \u201cstuck batch job"), Options{}, "the quote `\u201c` that opens the reason is never closed"},
		{"unterminated after equals", killText("10.0.0.5:1", `--reason="stuck batch job`), Options{}, "Argument 5: the quote `\"` that opens the reason is never closed"},
		{"single quote closed by double quote", killText("10.0.0.5:1", `--reason 'stuck"`), Options{}, "the quote `'` that opens the reason is never closed"},
		{"closing quote not before a space", killText("10.0.0.5:1", `--reason "stuck"job`), Options{}, "is never closed"},
		{"lone quote", killText("10.0.0.5:1", `--reason "`), Options{}, "is never closed"},
		{"empty reason", killText("10.0.0.5:1", `--reason ""`), Options{}, "Argument 6: the reason is empty; say why, e.g. `--reason \"stuck batch job\"`."},
		{"empty smart-quoted reason", killText("10.0.0.5:1", "--reason \u2018\u2019"), Options{}, "the reason is empty"},
		{"blank reason", killText("10.0.0.5:1", "--reason \" \t\u00a0\n \""), Options{}, "the reason is empty"},
		{"empty reason after equals", killText("10.0.0.5:1", "--reason="), Options{}, "Argument 5: the reason is empty"},
		{"empty quoted reason after equals", killText("10.0.0.5:1", `--reason=''`), Options{}, "Argument 5: the reason is empty"},
		{"reason of 501 characters", killText("10.0.0.5:1", `--reason "`+strings.Repeat("é", 501)+`"`), Options{}, "Argument 6: the reason is too long: 501 characters, at most 500."},
		{"long unquoted reason", killText("10.0.0.5:1", "--reason="+strings.Repeat("x", 600)), Options{}, "the reason is too long: 600 characters"},
		{"NUL in reason", killText("10.0.0.5:1", "--reason \"stuck\x00job\""), Options{}, "Argument 6: the reason contains an invisible or control character (U+0000) at position 6; type it as plain text."},
		{"escape in reason", killText("10.0.0.5:1", "--reason \"\x1b[31mred\""), Options{}, "control character (U+001B) at position 1"},
		{"DEL in reason", killText("10.0.0.5:1", "--reason=a\x7f"), Options{}, "control character (U+007F) at position 2"},
		{"bell in unquoted reason", killText("10.0.0.5:1", "--reason \x07"), Options{}, "(U+0007)"},
		{"right-to-left override in reason", killText("10.0.0.5:1", "--reason \"abc\u202edef\""), Options{}, "(U+202E) at position 4"},
		{"zero-width space in reason", killText("10.0.0.5:1", "--reason \"a\u200bb\""), Options{}, "(U+200B)"},
		{"words after an unquoted reason", killText("10.0.0.5:1", "--reason stuck batch"), Options{},
			"Argument 7: `batch` is not an IP address and port: give the client's IP address, not a hostname (e.g. `10.0.0.5:52114`). If it is part of the reason, put the whole reason in quotes: `--reason \"…\"`."},
		{"word after an unquoted equals reason", "kill-all orders-prod --reason=stuck batch", Options{},
			"Argument 4: `batch` is not a node"},
		{"word after an unquoted equals reason hints", "kill-all orders-prod --reason=stuck batch", Options{},
			"If it is part of the reason, put the whole reason in quotes"},

		// Quotes anywhere but the text of --reason.
		{"quoted instance", `kill "orders-prod" ` + node + " 10.0.0.5:1", Options{},
			"Argument 2 (`\"orders-prod\"`) contains characters that are not allowed: a double quote at position 1. Quotes are only for the text of `--reason`."},
		{"smart-quoted instance", "nodes \u201corders-prod\u201d", Options{}, "Argument 2 (`\u201corders-prod\u201d`) contains characters that are not allowed: a double quote at position 1."},
		{"smart single-quoted filter", "clients orders-prod 0 \u2018worker\u2019", Options{}, "a quote at position 1. Quotes are only for the text of `--reason`."},
		{"quoted sort value", `clients orders-prod --sort "age"`, Options{}, "Argument 4 (`\"age\"`) contains characters that are not allowed: a double quote"},
		{"quoted words after a quoted reason", killText("10.0.0.5:1", `--reason "a b" "c d"`), Options{}, "Argument 7 (`\"c`) contains characters that are not allowed: a double quote at position 1."},
		{"quoted request id", `status '7K2QFM'`, Options{}, "a quote at position 1"},
		{"reason's quotes end early", killText("10.0.0.5:1", `--reason "he said "hi" twice"`), Options{}, "Argument 7 (`twice\"`) contains characters that are not allowed: a double quote at position 6."},

		// Kill-all.
		{"kill-all alone", "kill-all", Options{}, "`/dcs kill-all` is missing the instance (argument 2)"},
		{"kill-all neither node nor all", "kill-all orders-prod", Options{}, "`/dcs kill-all` needs the node (argument 3), or `--all-nodes` for every node of the instance."},
		{"kill-all neither, with reason", `kill-all orders-prod --reason "x y"`, Options{}, "`/dcs kill-all` needs the node, or `--all-nodes`"},
		{"kill-all both", "kill-all orders-prod 0 --all-nodes", Options{}, "Argument 3 (`0`): give either a node or `--all-nodes`, not both."},
		{"kill-all both, all first", "kill-all --all-nodes orders-prod " + node, Options{}, "give either a node or `--all-nodes`, not both"},
		{"kill-all two nodes", "kill-all orders-prod 0 1", Options{}, "`/dcs kill-all` takes the instance and one node, but argument 4 (`1`) is extra."},
		{"kill-all bad node", "kill-all orders-prod nope", Options{}, "Argument 3: `nope` is not a node"},
		{"kill-all instance like a flag", "kill-all -orders --all-nodes", Options{}, "Argument 2: unknown flag `-orders`"},
		{"kill-all bad instance", "kill-all orders/prod --all-nodes", Options{}, "Argument 2: `orders/prod` is not an instance alias or ID"},

		// Clients.
		{"clients alone", "clients", Options{}, "`/dcs clients` is missing the instance (argument 2): give an instance alias or ID."},
		{"clients alone with sort", "clients --sort age", Options{}, "`/dcs clients` is missing the instance: give"},
		{"clients too many", "clients orders-prod 0 worker extra", Options{}, "`/dcs clients` takes the instance, a node and a filter, but argument 5 (`extra`) is extra."},
		{"clients bad node of two", "clients orders-prod worker 10.0.", Options{}, "Argument 3: `worker` is not a node: give its DCS node ID (32 hex digits, with or without dashes, e.g. `" + node + "`), its ip:port, or its number in `/dcs nodes`. With two arguments after the instance, the first is the node and the second the filter."},
		{"clients number too big", "clients orders-prod 1000", Options{}, "Argument 3: `1000` is not a node number"},
		{"clients bad filter", "clients orders-prod 0 a/b", Options{}, "Argument 4: `a/b` is not a filter: give the start of a client address (like `10.0.3.`) or part of a client name (letters, digits, `.`, `_`, `:` and `-`, at most 64)."},
		{"clients bad single filter", "clients orders-prod [fe80::%1", Options{}, "Argument 3: `[fe80::%1` is not a filter"},
		{"clients filter too long", "clients orders-prod " + strings.Repeat("w", 65), Options{}, "is not a filter"},
		{"clients non-ascii filter", "clients orders-prod wörker", Options{}, "`wörker` is not a filter"},
		{"clients bad sort", "clients orders-prod --sort size", Options{}, "Argument 4: `--sort` must be `idle` or `age`, not `size`."},
		{"clients bad sort equals", "clients orders-prod --sort=busy", Options{}, "Argument 3: `--sort` must be `idle` or `age`, not `busy`."},
		{"clients sort empty", "clients orders-prod --sort=", Options{}, "Argument 3: `--sort` needs a value after it, `idle` or `age`."},
		{"clients sort missing", "clients orders-prod --sort", Options{}, "Argument 3: `--sort` needs a value after it, `idle` or `age`."},
		{"clients sort then flag", "clients orders-prod --sort -h", Options{}, "`--sort` needs a value after it"},
		{"clients hostile sort", "clients orders-prod --sort=$(id)", Options{}, "a dollar sign at position 1"},

		// Nodes.
		{"nodes alone", "nodes", Options{}, "`/dcs nodes` is missing the instance (argument 2)"},
		{"nodes extra", "nodes orders-prod 0", Options{}, "`/dcs nodes` takes only the instance, but argument 3 (`0`) is extra."},
		{"nodes bad instance", "nodes orders_prod!", Options{}, "an exclamation mark"},

		// Status and cancel.
		{"status alone", "status", Options{}, "`/dcs status` is missing the request ID (argument 2): give the 6-character ID the bot gave the request, like `7K2QFM`."},
		{"cancel alone", "cancel", Options{}, "`/dcs cancel` is missing the request ID (argument 2)"},
		{"request id too short", "status 7K2QF", Options{}, "Argument 2: `7K2QF` is not a request ID (6 characters like `7K2QFM`)."},
		{"request id too long", "cancel 7K2QFMX", Options{}, "`7K2QFMX` is not a request ID (6 characters like `7K2QFM`)"},
		{"request id with U", "status 7K2QFU", Options{}, "`7K2QFU` is not a request ID"},
		{"request id with dash", "status 7K2-QF", Options{}, "`7K2-QF` is not a request ID"},
		{"request id non-ascii", "status 7K2QFé", Options{}, "is not a request ID"},
		{"request id a node number", "cancel #3", Options{}, "`#3` is not a request ID"},
		{"status extra", "status 7K2QFM 7K2QFN", Options{}, "`/dcs status` takes only the request ID, but argument 3 (`7K2QFN`) is extra."},
		{"cancel extra", "cancel 7K2QFM now", Options{}, "`/dcs cancel` takes only the request ID, but argument 3 (`now`) is extra."},

		// History.
		{"history limit 0", "history --limit 0", Options{}, "Argument 3: `--limit` must be a number from 1 to 50, not `0`."},
		{"history limit 51", "history --limit 51", Options{}, "`--limit` must be a number from 1 to 50, not `51`."},
		{"history limit x", "history orders-prod --limit=x", Options{}, "Argument 3: `--limit` must be a number from 1 to 50, not `x`."},
		{"history limit huge", "history --limit 99999999999999999999", Options{}, "must be a number from 1 to 50"},
		{"history limit plus", "history --limit +5", Options{}, "not `+5`"},
		{"history limit negative", "history --limit -5", Options{}, "Argument 2: `--limit` needs a value after it, a number from 1 to 50."},
		{"history limit missing", "history orders-prod --limit", Options{}, "`--limit` needs a value after it"},
		{"history extra", "history orders-prod payments-prod", Options{}, "`/dcs history` takes at most an instance, but argument 3 (`payments-prod`) is extra."},
		{"history bad instance", "history .prod", Options{}, "Argument 2: `.prod` is not an instance alias or ID"},

		// Unknown subcommands.
		{"killall suggests kill-all", "killall orders-prod", Options{}, "unknown subcommand `killall`; the subcommands are `kill`, `kill-all`, `clients`, `nodes`, `status`, `cancel`, `pending`, `history` and `help`. Did you mean `kill-all`?"},
		{"kill_all suggests kill-all", "KILL_ALL orders-prod", Options{}, "Did you mean `kill-all`?"},
		{"help on unknown topic lists topics", "help killall", Options{}, "There is no help topic `killall`; the topics are `kill`, `kill-all`"},

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
		{"kill wrapped in a slack link", "<http://kill|kill> orders-prod --ip 10.", Options{}, "`/dcs kill` needs the node for the selectors"},
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
		first = strings.ToLower(f[0])
	}
	// An error of a subcommand ends with its usage line, any other (help
	// and unknown subcommands) with Usage(). A first word that only becomes
	// a subcommand once unwrapped from a Slack link, or after its em dash is
	// read as "--", may end with any of them.
	suffixes := []string{"\n\n" + Usage()}
	for _, sc := range subcommands {
		if sc.name == first && first != "help" {
			suffixes = []string{"\n" + sc.usageLine()}
		}
	}
	if strings.HasPrefix(first, "<") || strings.HasPrefix(first, "\u2014") || strings.HasPrefix(first, "\u2013") {
		for _, sc := range subcommands {
			suffixes = append(suffixes, "\n"+sc.usageLine())
		}
	}
	body := ""
	for _, suf := range suffixes {
		if strings.HasSuffix(msg, suf) {
			body = strings.TrimSuffix(msg, suf)
			break
		}
	}
	if body == "" {
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

// trimUsage returns msg without the usage it ends with.
func trimUsage(msg string) string {
	msg = strings.TrimSuffix(msg, "\n\n"+Usage())
	for _, sc := range subcommands {
		msg = strings.TrimSuffix(msg, "\n"+sc.usageLine())
	}
	return msg
}

func TestLongArgumentMessageIsShort(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, text := range []string{
		"kill orders-prod " + node + " " + long,
		"kill " + strings.Repeat("`", 5000) + " x y",
		strings.Repeat("$", 5000),
		"clients orders-prod " + long,
		"kill-all orders-prod --reason " + long,
		`kill-all orders-prod --reason "` + long + `"`,
		"kill-all orders-prod --reason \"" + long,
		"history --limit " + long,
		"status " + long,
	} {
		_, err := Parse(text, Options{})
		if err == nil {
			t.Fatalf("Parse(%.40q...) accepted", text)
		}
		if n := len(err.Error()); n >= 500 && !strings.HasSuffix(err.Error(), Usage()) {
			t.Errorf("message is %d bytes: %q", n, err.Error())
		}
		body := trimUsage(err.Error())
		if len(body) >= 500 {
			t.Errorf("sentence is %d bytes: %q", len(body), body)
		}
		if strings.Contains(err.Error(), strings.Repeat("a", 41)) {
			t.Errorf("message echoes more than 40 characters: %q", err.Error())
		}
	}
	// The kill case, usage line and all, is under 500 characters.
	_, err := Parse("kill orders-prod "+node+" "+long, Options{})
	if n := len(err.Error()); n >= 500 {
		t.Errorf("kill message is %d bytes: %q", n, err.Error())
	}
}

// A reason is never echoed, whatever is wrong with it.
func TestReasonNotEchoed(t *testing.T) {
	for _, text := range []string{
		killText("10.0.0.5:1", "--reason \"secretword\x00\""),
		killText("10.0.0.5:1", `--reason "secretword`),
		killText("10.0.0.5:1", `--reason "secretword `+strings.Repeat("x", 500)+`"`),
		`nodes orders-prod --reason "secretword"`,
		killText("10.0.0.5:1", `--reason "secretword"`, `--reason "secretword"`),
	} {
		_, err := Parse(text, Options{})
		if err == nil {
			t.Fatalf("Parse(%.60q) accepted", text)
		}
		if strings.Contains(err.Error(), "secretword") {
			t.Errorf("Parse(%.60q) echoes the reason: %q", text, err.Error())
		}
	}
}

func TestUnknownSubcommandShowsUsage(t *testing.T) {
	_, err := Parse("frob", Options{})
	if err == nil || !strings.Contains(err.Error(), "unknown subcommand `frob`") || !strings.Contains(err.Error(), Usage()) {
		t.Fatalf("got %v", err)
	}
}

func TestKillErrorsShowKillUsage(t *testing.T) {
	for _, text := range []string{"kill", "kill x --cmd get", "kill x y", "KILL x " + node + " nope", "kill x " + node + " --reason", "kill x #0 --ip 10"} {
		_, err := Parse(text, Options{})
		if err == nil || !strings.HasSuffix(err.Error(), "\nUsage: /dcs kill <instance> [<node> | --all-nodes] [<addr>...] "+
			"[--name <text>] [--ip <address-or-prefix>] [--cmd <command>] [--idle-over <duration>] [--reason \"text\"]") {
			t.Errorf("Parse(%q) = %v, want the kill usage line", text, err)
		}
	}
}

// Every subcommand's errors end with its own usage line, which is also
// the first line of its help.
func TestErrorsShowTheirUsage(t *testing.T) {
	bad := map[string]string{
		"kill":     "kill x y",
		"kill-all": "kill-all x",
		"clients":  "clients",
		"nodes":    "nodes",
		"status":   "status x",
		"cancel":   "cancel",
		"pending":  "pending now",
		"history":  "history --limit 0",
	}
	for _, sc := range subcommands {
		if sc.name == "help" {
			continue
		}
		text, ok := bad[sc.name]
		if !ok {
			t.Fatalf("no bad example for %s", sc.name)
		}
		_, err := Parse(text, Options{})
		if err == nil || !strings.HasSuffix(err.Error(), "\n"+sc.usageLine()) || strings.Contains(err.Error(), "\n\n") {
			t.Errorf("Parse(%q) = %v, want it to end with %q", text, err, sc.usageLine())
		}
		if !strings.HasPrefix(UsageFor(sc.name), "```\n"+sc.usageLine()+"\n```\n") {
			t.Errorf("UsageFor(%q) does not start with its usage line:\n%s", sc.name, UsageFor(sc.name))
		}
	}
}

// examples returns the commands help text shows as examples: the code
// span `/dcs ...` that starts a bullet or follows "Example: ".
func examples(help string) []string {
	var out []string
	for _, line := range strings.Split(help, "\n") {
		for _, lead := range []string{"• `/dcs ", "Example: `/dcs "} {
			if rest, ok := strings.CutPrefix(line, lead); ok {
				ex, _, _ := strings.Cut(rest, "`")
				out = append(out, ex)
			}
		}
	}
	return out
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
	if n := utf8.RuneCountInString(u); n > 2500 {
		t.Errorf("Usage() is %d characters", n)
	}
	// Every subcommand has its usage line and one example, and every
	// example parses to that subcommand.
	ex := examples(u)
	for _, sc := range subcommands {
		if !strings.Contains(u, strings.TrimPrefix(sc.usageLine(), "Usage: ")) {
			t.Errorf("Usage() lacks the usage of %s", sc.name)
		}
		n := 0
		for _, e := range ex {
			if e == sc.name || strings.HasPrefix(e, sc.name+" ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Usage() has %d examples of %s, want 1", n, sc.name)
		}
	}
	for _, e := range ex {
		cmd, err := Parse(e, Options{})
		if err != nil {
			t.Errorf("the usage example %q does not parse: %v", e, err)
			continue
		}
		if name := strings.Fields(e)[0]; cmd.Name() != name {
			t.Errorf("the usage example %q parses to %s", e, cmd.Name())
		}
	}
}

func TestUsageFor(t *testing.T) {
	for _, topic := range []string{"", "help", "HELP", "-h", "nope", "kill-all-nodes"} {
		if UsageFor(topic) != Usage() {
			t.Errorf("UsageFor(%q) is not Usage()", topic)
		}
	}
	for _, sc := range subcommands {
		if sc.name == "help" {
			continue
		}
		// help <topic> names the topic UsageFor takes.
		cmd, err := Parse("help "+strings.ToUpper(sc.name), Options{})
		if err != nil || cmd != (Help{Topic: sc.name}) {
			t.Fatalf("Parse(help %s) = %#v, %v", sc.name, cmd, err)
		}
		h := UsageFor(cmd.(Help).Topic)
		if h == Usage() || UsageFor(strings.ToUpper(sc.name)) != h {
			t.Errorf("UsageFor(%q) is not its own", sc.name)
		}
		if strings.Count(h, "`")%2 != 0 {
			t.Errorf("UsageFor(%q) has unbalanced backticks", sc.name)
		}
		ex := examples(h)
		if len(ex) == 0 {
			t.Errorf("UsageFor(%q) has no example", sc.name)
		}
		for _, e := range ex {
			cmd, err := Parse(e, Options{})
			if err != nil {
				t.Errorf("the %s example %q does not parse: %v", sc.name, e, err)
			} else if cmd.Name() != sc.name {
				t.Errorf("the %s example %q parses to %s", sc.name, e, cmd.Name())
			}
		}
	}
	// The clients help states the rule for its optional arguments.
	for _, want := range []string{"With two arguments", "With one, it is the node when", "give the node first"} {
		if !strings.Contains(UsageFor("clients"), want) {
			t.Errorf("clients help lacks %q", want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		cmd  Command
		name string
	}{
		{Help{}, "help"}, {Kill{}, "kill"}, {KillAll{}, "kill-all"}, {Clients{}, "clients"},
		{Nodes{}, "nodes"}, {Status{}, "status"}, {Cancel{}, "cancel"}, {History{}, "history"},
	} {
		if c.cmd.Name() != c.name {
			t.Errorf("%T.Name() = %q, want %q", c.cmd, c.cmd.Name(), c.name)
		}
		if usageLine(c.name) == "" {
			t.Errorf("%s has no usage line", c.name)
		}
	}
	var _ error = (*UsageError)(nil)
}

func TestNodeRef(t *testing.T) {
	tests := []struct {
		ref  NodeRef
		zero bool
		str  string
	}{
		{NodeRef{}, true, ""},
		{id(dashedNode), false, dashedNode},
		{at("[fd00::1]:6379"), false, "[fd00::1]:6379"},
		{index(0), false, "#0"},
		{index(42), false, "#42"},
	}
	for _, tt := range tests {
		if tt.ref.IsZero() != tt.zero || tt.ref.String() != tt.str {
			t.Errorf("%#v: IsZero %v, String %q; want %v, %q", tt.ref, tt.ref.IsZero(), tt.ref.String(), tt.zero, tt.str)
		}
		if tt.zero {
			continue
		}
		// What String returns parses back to the same node.
		got, problem := parseNodeRef(tt.ref.String())
		if problem != "" || got != tt.ref {
			t.Errorf("%q parses to %#v, %q", tt.ref.String(), got, problem)
		}
	}
}

func TestFilterIsAddrPrefix(t *testing.T) {
	for f, want := range map[string]bool{"": false, "10.0.3.": true, "[fd00:": true, "10": true, "worker": false, "1worker": false, "deadbeef": false, "a.b": false} {
		if got := (Clients{Filter: f}).FilterIsAddrPrefix(); got != want {
			t.Errorf("FilterIsAddrPrefix(%q) = %v, want %v", f, got, want)
		}
	}
}

func TestLex(t *testing.T) {
	tests := []struct {
		text string
		want []string // the words; a quoted word is shown in «»
	}{
		{"", nil},
		{" a  b\tc\n", []string{"a", "b", "c"}},
		{`a "b c"`, []string{"a", `"b`, `c"`}},
		{`--reason "b c" d`, []string{"--reason", "«b c»", "d"}},
		{`--reason="b c" d`, []string{"«--reason=b c»", "d"}},
		{`--reason b c`, []string{"--reason", "b", "c"}},
		{`--reason=b "c d"`, []string{"--reason=b", `"c`, `d"`}},
		{`--REASON 'it's' x`, []string{"--REASON", "«it's»", "x"}},
		{"\u2014reason \u201ca b\u201d", []string{"\u2014reason", "«a b»"}},
		{`--reason "a b`, []string{"--reason", "«a b…"}},
		{`--reason ""`, []string{"--reason", "«»"}},
		{`--reason`, []string{"--reason"}},
		{`--sort "a b"`, []string{"--sort", `"a`, `b"`}},
		{`x--reason "a b"`, []string{"x--reason", `"a`, `b"`}},
	}
	for _, tt := range tests {
		var got []string
		for i, w := range lex(tt.text, defaultTable.isText) {
			if w.n != i+1 {
				t.Errorf("lex(%q) word %d numbered %d", tt.text, i+1, w.n)
			}
			s := w.text
			switch {
			case w.unterminated:
				s = "«" + s + "…"
			case w.quoted:
				s = "«" + s + "»"
			}
			got = append(got, s)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("lex(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestSlackText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a &amp; b &lt;c&gt;", "a & b <c>"},
		{"<https://x.example|label &amp; more>", "label & more"},
		{"<https://x.example>", "https://x.example"},
		{"<mailto:a@b.example|a@b.example>", "a@b.example"},
		{"<@U123>", "@U123"},
		{"<@U123|bob>", "@bob"},
		{"<#C123|general>", "#general"},
		{"<#C123>", "#C123"},
		{"<!here>", "@here"},
		{"<!channel|@channel>", "@channel"},
		{"<!subteam^S123|@oncall>", "@oncall"},
		{"<!subteam^S123>", "@subteam"},
		{"<>", "<>"},
		{"a < b", "a < b"},
		{"<|x>", "x"},
	}
	for _, tt := range tests {
		if got := slackText(tt.in); got != tt.want {
			t.Errorf("slackText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
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

// Reason is the rule --reason follows, for a reason typed in a dialog: the
// same folding, the same refusals, no Slack markup to undo, and "" allowed.
func TestReason(t *testing.T) {
	for _, s := range []string{"", "  KEYS\n storm\t", "a < b & c", strings.Repeat("é", MaxReasonLen)} {
		got, err := Reason(s)
		want := strings.Join(strings.Fields(s), " ")
		if err != nil || got != want {
			t.Errorf("Reason(%q) = %q, %v; want %q", s, got, err, want)
		}
		if s == "" || strings.ContainsAny(s, "<&") {
			continue
		}
		c, err := Parse(`kill orders-prod --reason "`+s+`"`, Options{})
		if err != nil || c.(Kill).Reason != got {
			t.Errorf("--reason %q gives %+v, %v; Reason gives %q", s, c, err, got)
		}
	}
	for s, needle := range map[string]string{
		"a\x00b":                                "control character (U+0000) at position 2",
		"a\u200bb":                              "invisible",
		strings.Repeat("x", MaxReasonLen+1):     "too long: 501 characters, at most 500",
		" " + strings.Repeat("x", MaxReasonLen): "", // trimmed to the limit
	} {
		_, err := Reason(s)
		var ue *UsageError
		switch {
		case needle == "" && err != nil:
			t.Errorf("Reason(%.20q): %v", s, err)
		case needle != "" && (!errors.As(err, &ue) || !strings.Contains(ue.Msg, needle)):
			t.Errorf("Reason(%.20q) = %v, want a UsageError saying %q", s, err, needle)
		}
	}
}
