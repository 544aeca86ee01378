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
//
// # Layout
//
// Every subcommand is declared once, as a spec in the table in spec.go: its
// name, help text, examples, positional arguments (kinds in args.go), flags
// (kinds in flags.go) and the function that builds its typed Command (the
// types are in this file) from what was read. The usage text, each usage
// line and help topic, the list of subcommands, which flags a subcommand
// takes, and every message about a missing, extra or misplaced argument or
// flag follow from the table (table.go); parse.go and flags.go drive the
// parsing. The lexer is in lex.go, checks of single values (instances,
// node IDs, addresses, numbers, durations) in values.go, and what turns
// user text into safe message text or plain reason text in text.go.
//
// # Adding a subcommand
//
// A read-only subcommand such as /dcs ping <instance> needs its typed
// command in this file, with a Name method returning the subcommand's name,
//
//	// Ping asks whether an instance answers.
//	type Ping struct{ Instance string }
//
//	// Name returns "ping".
//	func (Ping) Name() string { return "ping" }
//
// and one spec in the table in spec.go, where help should list it:
//
//	{
//		name:         "ping",
//		help:         "Checks that the bot can reach an instance.\n" + instanceHelp,
//		examples:     []string{"ping orders-prod"},
//		usageExample: "ping orders-prod",
//		takes:        "takes only the instance",
//		args:         []argSpec{instanceArg(false)},
//		build: func(v parsed) (Command, error) {
//			return Ping{Instance: v.str("instance")}, nil
//		},
//	},
//
// Usage, UsageFor, the subcommand list, "help ping", "ping -h", and the
// errors on its arguments and flags follow. Outside this package, the Slack
// edge needs a case for the new type; inside, FuzzParse's type switch needs
// its invariants (it refuses a type it does not know). TestPingRecipe
// checks this recipe on a table extended with ping.
//
// # Adding a flag
//
// Make it with the constructor of its kind in flags.go (switchFlag,
// enumFlag, intFlag, durationFlag; or a flagSpec with a read function of
// its own), list it in the flags of each spec that takes it, and read it in
// that spec's build with the accessor of its type (v.on, v.str, v.strOr,
// v.num, v.duration). The usage line, "does not take", "needs a value",
// "given twice" and its value's errors follow. A flag that two specs take
// is one *flagSpec shared by both: newTable refuses two different flags of
// one name.
package commands

import (
	"strconv"

	"dcsbot/internal/requestid"
)

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
	ID string // request ID: 6 characters of Crockford base32, upper case (see package requestid)
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

// RequestIDAlphabet is Crockford's base32, the alphabet of request IDs
// (package requestid defines them).
const RequestIDAlphabet = requestid.Alphabet

// KillUsage is the one-line usage of /dcs kill, appended to every kill error.
// (Errors of the other subcommands end with their own usage line, as the
// first line of UsageFor shows it.) It is derived from the kill spec.
var KillUsage = defaultTable.lookup("kill").usageLine()

// UsageError is a refusal: the command text cannot be run as typed. Msg is a
// sentence for the user, safe to show them (ephemerally) as it is.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }
