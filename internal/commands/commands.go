// Package commands parses and validates what users type after /dcs.
//
// Parse is a pure function: it returns a typed Command, or a *UsageError whose
// message is meant for the user who typed the command. It never touches Slack,
// DCS or the network, and it does not know which instances, nodes or
// requests exist.
//
// Messages (UsageError.Msg, Usage and UsageFor) are Slack mrkdwn with one
// exception: usage lines contain literal `<` and `>` placeholders
// ("<instance>"), so the Slack edge must escape `&`, `<` and `>` as Slack
// requires before posting. Text echoed from the user never contains a
// backtick, `<`, `>` or `&`, so it cannot break out of its code span or
// become a mention even if the edge forgets. A reason is never echoed in a
// message.
//
// Reasons (Kill.Reason, KillAll.Reason) are plain text, not mrkdwn: Slack
// links and mentions in them have been turned into their visible text and
// Slack's &amp; &lt; &gt; unescaped, so whoever shows a reason in Slack
// must escape it.
package commands

import "strconv"

// Command is a parsed subcommand.
type Command interface{ Name() string }

// Help asks for the usage text. Topic is "" for the general help or the name
// of a subcommand ("kill", "kill-all", ...); pass it to UsageFor.
type Help struct{ Topic string }

// Name returns "help".
func (Help) Name() string { return "help" }

// NodeRef names one node of an instance the way the user did. Exactly one
// of ID, Addr and IsIndex is set in a NodeRef that Parse returns; which node
// it means is resolved elsewhere, against the instance's node list.
type NodeRef struct {
	ID      string // set when given as a node ID: 32 hex digits, lowercased, dashes (8-4-4-4-12) kept as typed
	Addr    string // set when given as the node's ip:port: canonical, as netip.AddrPort.String writes it
	Index   int    // valid when IsIndex: the node's number in /dcs nodes, 0 to MaxNodeIndex
	IsIndex bool
}

// MaxNodeIndex is the highest node number a NodeRef may carry.
const MaxNodeIndex = 999

// IsZero reports whether n names no node.
func (n NodeRef) IsZero() bool { return n.ID == "" && n.Addr == "" && !n.IsIndex }

// String returns the node as the user typed it, normalised: the ID, the
// address, or "#3" for an index; "" for the zero NodeRef.
func (n NodeRef) String() string {
	switch {
	case n.ID != "":
		return n.ID
	case n.Addr != "":
		return n.Addr
	case n.IsIndex:
		return "#" + strconv.Itoa(n.Index)
	}
	return ""
}

// Kill asks to kill the Redis client sessions at Addrs on one DCS node.
type Kill struct {
	Instance string   // alias or instance ID, as typed (lowercased); existence is checked elsewhere
	Node     NodeRef  // never zero
	Addrs    []string // canonical ip:port, duplicates folded, order of first appearance kept; never the node's own address
	Reason   string   // "" when not given; else 1 to MaxReasonLen characters of plain text (see the package comment)
}

// Name returns "kill".
func (Kill) Name() string { return "kill" }

// KillAll asks to kill every client session on one node (Node set) or on
// every node of the instance (AllNodes true); exactly one of the two.
type KillAll struct {
	Instance string
	Node     NodeRef
	AllNodes bool
	Reason   string // as in Kill
}

// Name returns "kill-all".
func (KillAll) Name() string { return "kill-all" }

// Clients asks to list client sessions: on Node, or on every node when Node
// is zero; only those matching Filter when it is not "".
type Clients struct {
	Instance string
	Node     NodeRef
	// Filter is "" (no filter), the start of a client address (lowercased;
	// see FilterIsAddrPrefix) or part of a client name (as typed).
	Filter string
	Sort   string // "idle" (the default) or "age"
}

// Name returns "clients".
func (Clients) Name() string { return "clients" }

// FilterIsAddrPrefix reports whether Filter is matched against the start of
// each client's address (it starts with a digit or `[` and holds only hex
// digits, `.`, `:`, `[` and `]`) rather than as a substring of the client's
// name. It is false when Filter is "".
func (c Clients) FilterIsAddrPrefix() bool { return filterKind(c.Filter) == filterAddr }

// Nodes asks to list an instance's nodes, numbered as NodeRef.Index counts.
type Nodes struct{ Instance string }

// Name returns "nodes".
func (Nodes) Name() string { return "nodes" }

// Cancel asks to cancel a pending request.
type Cancel struct {
	ID string // request ID: 6 characters of Crockford base32, upper case (RequestIDAlphabet)
}

// Name returns "cancel".
func (Cancel) Name() string { return "cancel" }

// Status asks about one request.
type Status struct {
	ID string // as in Cancel
}

// Name returns "status".
func (Status) Name() string { return "status" }

// History asks for the latest requests, of one instance or ("") of all.
type History struct {
	Instance string
	Limit    int // 1 to MaxHistoryLimit; DefaultHistoryLimit when not given
}

// Name returns "history".
func (History) Name() string { return "history" }

// Options tunes Parse.
type Options struct {
	// MaxAddrs is the most distinct addresses one kill may name.
	// 0 (or a negative value) means DefaultMaxAddrs.
	MaxAddrs int
}

// DefaultMaxAddrs is the address limit when Options.MaxAddrs is 0.
const DefaultMaxAddrs = 50

// Limits on what Parse accepts.
const (
	MaxTextLen   = 4000 // characters (runes) in the whole command text
	MaxArgLen    = 100  // characters (runes) in one argument, after Slack unwrapping; a reason has its own limit
	MaxReasonLen = 500  // characters (runes) in a reason, after trimming
	MaxFilterLen = 64   // characters in a clients filter

	DefaultHistoryLimit = 10
	MaxHistoryLimit     = 50
)

// RequestIDAlphabet is Crockford's base32, the alphabet of request IDs.
const RequestIDAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// UsageError is a refusal: the command text cannot be run as typed. Msg is a
// sentence for the user, safe to show them (ephemerally) as it is.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// KillUsage is the one-line usage of /dcs kill, appended to every kill error.
// (Errors of the other subcommands end with their own usage line, as the
// first line of UsageFor shows it.)
const KillUsage = `Usage: /dcs kill <instance> <node> <addr> [<addr>...] [--reason "text"]`

// subcommands in the order help lists them, with their usage lines.
var subcommands = []struct{ name, usage string }{
	{"kill", KillUsage},
	{"kill-all", `Usage: /dcs kill-all <instance> (<node> | --all-nodes) [--reason "text"]`},
	{"clients", "Usage: /dcs clients <instance> [<node>] [<filter>] [--sort idle|age]"},
	{"nodes", "Usage: /dcs nodes <instance>"},
	{"status", "Usage: /dcs status <request-id>"},
	{"cancel", "Usage: /dcs cancel <request-id>"},
	{"history", "Usage: /dcs history [<instance>] [--limit N]"},
	{"help", "Usage: /dcs help [<subcommand>]"},
}

// usageLine returns the usage line of subcommand sub, "" if there is none.
func usageLine(sub string) string {
	for _, s := range subcommands {
		if s.name == sub {
			return s.usage
		}
	}
	return ""
}

const (
	exampleID = "7K2QFM"

	instanceHelp = "• <instance>: the instance alias (e.g. `orders-prod`) or its instance ID (a UUID)\n"
	nodeHelp     = "• <node>: the DCS node ID (32 hex digits, with or without dashes), the node's ip:port, " +
		"or its number in the list `/dcs nodes` shows (`3` or `#3`)\n"
	addrHelp = "• <addr>: a client address as ip:port, IPv4 like `10.0.0.5:52114` or IPv6 in brackets like `[fd00::5]:52114`; " +
		"give several separated by spaces\n"
	reasonHelp = "• --reason \"text\": why, shown with the request; 1 to 500 characters. " +
		"Put text with spaces in quotes: \"…\", '…', “…” and ‘…’ all work, and so does --reason=text\n"
	requestIDHelp = "• <request-id>: the 6-character ID the bot gave the request, like `" + exampleID + "` (upper or lower case)\n"
	approvalNote  = "Nothing is killed until the request is approved."
	flagsNote     = "Flags can go anywhere after the subcommand.\n"
)

const usage = "```\n" +
	KillUsage + "\n" +
	`       /dcs kill-all <instance> (<node> | --all-nodes) [--reason "text"]` + "\n" +
	"       /dcs clients <instance> [<node>] [<filter>] [--sort idle|age]\n" +
	"       /dcs nodes <instance>\n" +
	"       /dcs status <request-id>\n" +
	"       /dcs cancel <request-id>\n" +
	"       /dcs history [<instance>] [--limit N]\n" +
	"       /dcs help [<subcommand>]\n" +
	"```\n" +
	"*/dcs kill* asks to close the Redis client connections at each <addr> on one node of a DCS instance; " +
	"*/dcs kill-all* asks to close every client connection on one node, or on all nodes. " + approvalNote + "\n" +
	instanceHelp + nodeHelp + addrHelp +
	"• <request-id>: the 6-character ID the bot gave the request, like `" + exampleID + "`\n" +
	"• --reason: why, shown with the request; put text with spaces in quotes\n" +
	flagsNote +
	"\n" +
	"Examples (`/dcs help <subcommand>` tells more):\n" +
	"• `/dcs kill orders-prod " + exampleNode + " 10.0.0.5:52114 10.0.0.6:40022`\n" +
	"• `/dcs kill-all orders-prod --all-nodes --reason \"failover drill\"`\n" +
	"• `/dcs clients orders-prod #0 worker --sort age`\n" +
	"• `/dcs nodes orders-prod`\n" +
	"• `/dcs status " + exampleID + "`\n" +
	"• `/dcs cancel " + exampleID + "`\n" +
	"• `/dcs history orders-prod --limit 20`\n" +
	"• `/dcs help clients`"

// topics holds the per-subcommand help, after its usage line.
var topics = map[string]string{
	"kill": "Asks to close the Redis client connections at each <addr> on one node of a DCS instance. " + approvalNote + "\n" +
		instanceHelp + nodeHelp + addrHelp + reasonHelp + flagsNote +
		"\n" +
		"Examples:\n" +
		"• `/dcs kill orders-prod " + exampleNode + " 10.0.0.5:52114 10.0.0.6:40022`\n" +
		"• `/dcs kill orders-prod #0 10.0.0.5:52114 --reason \"stuck batch job\"`",
	"kill-all": "Asks to close every client connection on one node (give <node>) or on every node of the instance " +
		"(give --all-nodes instead); exactly one of the two. " + approvalNote + "\n" +
		instanceHelp + nodeHelp + reasonHelp + flagsNote +
		"\n" +
		"Examples:\n" +
		"• `/dcs kill-all orders-prod 10.0.1.12:6379 --reason \"connection leak\"`\n" +
		"• `/dcs kill-all orders-prod --all-nodes --reason 'failover drill'`",
	"clients": "Lists the client connections on one node, or on every node when no node is given, idlest first " +
		"(--sort age: oldest first).\n" +
		instanceHelp + nodeHelp +
		"• <filter>: shows only some clients. One that starts with a digit or `[` and holds only hex digits, `.`, `:`, `[` and `]` " +
		"matches the start of the client address (`10.0.3.`); any other (letters, digits, `.`, `_`, `:` and `-`, at most 64) " +
		"matches part of the client name (`worker`).\n" +
		"With two arguments after <instance>, the first is the node and the second the filter. " +
		"With one, it is the node when it is a node ID, a full ip:port, or a number (`3` or `#3`), and a filter otherwise: " +
		"to filter by a full client address or a bare number, give the node first.\n" +
		flagsNote +
		"\n" +
		"Examples:\n" +
		"• `/dcs clients orders-prod`\n" +
		"• `/dcs clients orders-prod #0 worker --sort age`\n" +
		"• `/dcs clients orders-prod 10.0.3.`",
	"nodes": "Lists the nodes of an instance with their numbers, IDs and addresses; " +
		"other subcommands accept any of the three as <node>.\n" +
		instanceHelp +
		"\n" +
		"Example: `/dcs nodes orders-prod`",
	"status": "Shows a request and where it stands: pending approval, approved, running, done, failed, denied, expired or cancelled.\n" +
		requestIDHelp +
		"\n" +
		"Example: `/dcs status " + exampleID + "`",
	"cancel": "Cancels a request that is still waiting for approval.\n" +
		requestIDHelp +
		"\n" +
		"Example: `/dcs cancel " + exampleID + "`",
	"history": "Lists the latest requests, newest first: those of one instance, or of every instance when none is given.\n" +
		instanceHelp +
		"• --limit N: how many, from 1 to 50; 10 when not given\n" +
		"\n" +
		"Examples:\n" +
		"• `/dcs history`\n" +
		"• `/dcs history orders-prod --limit 20`",
}

// Usage returns the full usage text shown by help (Slack mrkdwn; see the
// package comment about `<` and `>`).
func Usage() string { return usage }

// UsageFor returns the help on one subcommand (topic "kill", "kill-all",
// "clients", "nodes", "status", "cancel" or "history", in any case), as
// Help.Topic names it. For "", "help" or any other topic it returns Usage().
func UsageFor(topic string) string {
	sub := subcommandOf(topic)
	if t, ok := topics[sub]; ok {
		return "```\n" + usageLine(sub) + "\n```\n" + t
	}
	return usage
}
