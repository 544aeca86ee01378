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
// Every subcommand is declared once, in spec.go: its typed Command and,
// beside it, its spec: name, help text, examples, positional arguments
// (kinds in args.go), flags (kinds in flags.go) and the function that
// builds the typed Command from what was read. The usage text, each usage
// line and help topic, the list of subcommands, which flags a subcommand
// takes, and every message about a missing, extra or misplaced argument or
// flag follow from the table (table.go); parse.go and flags.go drive the
// parsing. The lexer is in lex.go, checks of single values (instances,
// node IDs, addresses, numbers, durations) in values.go, and what turns
// user text into safe message text or plain reason text in text.go.
//
// # Adding a subcommand
//
// A read-only subcommand such as /dcs ping <instance> is one addition to
// spec.go: its typed command, with a Name method returning the
// subcommand's name, its spec beside it, and the spec in the subcommands
// list, in the place help should list it:
//
//	// Ping asks whether an instance answers.
//	type Ping struct{ Instance string }
//
//	// Name returns "ping".
//	func (Ping) Name() string { return "ping" }
//
//	var pingSpec = &spec{
//		name:         "ping",
//		help:         "Checks that the bot can reach an instance.\n" + instanceHelp,
//		examples:     []string{"ping orders-prod"},
//		usageExample: "ping orders-prod",
//		takes:        "takes only the instance",
//		args:         []argSpec{instanceArg(false)},
//		build: func(v parsed) (Command, error) {
//			return Ping{Instance: v.str("instance")}, nil
//		},
//	}
//
// Usage, UsageFor, the subcommand list, "help ping", "ping -h", the errors
// on its arguments and flags, and FuzzParse's table invariants follow. The
// Slack edge needs its handler (internal/slackbot, one file per command).
// TestPingRecipe checks this recipe on a table extended with ping.
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

// Options tunes Parse.
type Options struct {
	// MaxAddrs is the most distinct addresses one kill may name: the
	// largest policy.max_addrs of the configuration (the lifecycle applies
	// each instance's own). 0 (or a negative value) sets no limit here.
	MaxAddrs int
}

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
