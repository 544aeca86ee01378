// Package commands parses and validates what users type after /dcs.
//
// Parse is a pure function: it returns a typed Command, or a *UsageError whose
// message is meant for the user who typed the command. It never touches Slack,
// DCS or the network, and it does not know which instances exist.
//
// Messages (UsageError.Msg and Usage) are Slack mrkdwn with one exception:
// the usage line contains literal `<` and `>` placeholders
// ("<instance>"), so the Slack edge must escape `&`, `<` and `>` as Slack
// requires before posting. Text echoed from the user never contains a
// backtick, `<`, `>` or `&`, so it cannot break out of its code span or
// become a mention even if the edge forgets.
package commands

// Command is a parsed subcommand.
type Command interface{ Name() string }

// Help asks for the usage text. Topic is "" for the general help or the name
// of a subcommand ("kill").
type Help struct{ Topic string }

// Name returns "help".
func (Help) Name() string { return "help" }

// Kill asks to kill the Redis client sessions at Addrs on one DCS node.
type Kill struct {
	Instance string   // alias or instance ID, as typed (lowercased); existence is checked elsewhere
	Node     string   // node ID: 32 hex digits, with or without 8-4-4-4-12 dashes; lowercased, dashes kept as typed
	Addrs    []string // canonical ip:port, duplicates folded, order of first appearance kept
}

// Name returns "kill".
func (Kill) Name() string { return "kill" }

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
	MaxTextLen = 4000 // characters (runes) in the whole command text
	MaxArgLen  = 100  // characters (runes) in one argument, after Slack unwrapping
)

// UsageError is a refusal: the command text cannot be run as typed. Msg is a
// sentence for the user, safe to show them (ephemerally) as it is.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// KillUsage is the one-line usage of /dcs kill, appended to every kill error.
const KillUsage = "Usage: /dcs kill <instance> <node> <addr> [<addr>...]"

const usage = "```\n" +
	KillUsage + "\n" +
	"       /dcs help [kill]\n" +
	"```\n" +
	"*/dcs kill* asks to close the Redis client connections at each <addr> on one node of a DCS instance. " +
	"Nothing is killed until the request is approved.\n" +
	"• <instance>: the instance alias (e.g. `orders-prod`) or its instance ID (a UUID)\n" +
	"• <node>: the DCS node ID, 32 hex digits with or without dashes\n" +
	"• <addr>: a client address as ip:port, IPv4 like `10.0.0.5:52114` or IPv6 in brackets like `[fd00::5]:52114`; " +
	"give several separated by spaces\n" +
	"\n" +
	"Example: `/dcs kill orders-prod " + exampleNode + " 10.0.0.5:52114 10.0.0.6:40022`"

// Usage returns the full usage text shown by help (Slack mrkdwn; see the
// package comment about `<` and `>`).
func Usage() string { return usage }
