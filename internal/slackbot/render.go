package slackbot

import (
	"strings"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// md is a mrkdwn text object.
func md(t text) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, string(t), false, false)
}

// mdf is md of textf.
func mdf(format string, args ...text) *slack.TextBlockObject { return md(textf(format, args...)) }

// plain is a plain_text object: Slack shows it as it is, no markup.
func plain(t text) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, string(t), false, false)
}

// truncate cuts s to n characters, ending in … when cut.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// cell is a session field from outside, for a table cell.
func cell(s string) text { return outside(s).or(24, "-") }

// id is an identifier of the bot's own world (a request ID, an instance
// alias or ID from the configuration, a node ID, an address the parser
// checked) in a code span. It is escaped all the same.
func id(s string) text { return outside(s).code(capWord) }

// ids is each of ss as id, comma-separated.
func ids(ss []string) text {
	out := make([]text, len(ss))
	for i, s := range ss {
		out[i] = id(s)
	}
	return join(out, ", ")
}

func mentions(as []approvals.Approval) text {
	if len(as) == 0 {
		return "nobody"
	}
	out := make([]text, len(as))
	for i, a := range as {
		out[i] = mention(a.User)
	}
	return join(out, ", ")
}

// approverMentions mentions users as <@U…> and user groups as <!subteam^S…>.
func approverMentions(approvers []string) text {
	out := make([]text, len(approvers))
	for i, a := range approvers {
		if approvals.IsUserGroup(a) {
			out[i] = groupMention(a)
		} else {
			out[i] = mention(a)
		}
	}
	if len(out) == 0 {
		return "Approvers"
	}
	return join(out, " ")
}

// inlineAddrs lists addresses in code spans, at most maxListedAddrs.
func inlineAddrs(addrs []string) text {
	shown := addrs[:min(len(addrs), maxListedAddrs)]
	t := ids(shown)
	if rest := len(addrs) - len(shown); rest > 0 {
		t += textf(" and %s more", num(rest))
	}
	return t
}

// what says in a few words what a request does: "kill " and whatKilled.
func what(r *approvals.Request) text { return "kill " + whatKilled(r) }

// whatKilled says in a few words which sessions a request kills.
func whatKilled(r *approvals.Request) text {
	switch {
	case r.IsKillAll() && r.AllNodes:
		return textf("*all* sessions on every node of %s", id(r.Instance.Alias))
	case r.IsKillAll():
		return textf("*all* sessions on %s node %s", id(r.Instance.Alias), id(r.NodeID))
	case r.PerNode():
		return textf("%s session%s on %s, on every node", num(len(r.Addrs)), plural(len(r.Addrs)), id(r.Instance.Alias))
	}
	return textf("%s session%s on %s node %s", num(len(r.Addrs)), plural(len(r.Addrs)), id(r.Instance.Alias), id(r.NodeID))
}

func stateWord(s approvals.State) text {
	switch s {
	case approvals.Pending:
		return "waiting for approval"
	case approvals.Approved, approvals.Executing:
		return "approved, killing"
	case approvals.Succeeded:
		return "executed"
	case approvals.Failed:
		return "failed"
	case approvals.Unknown:
		return "outcome unknown"
	}
	return outside(s).line(capWord)
}

// stripMrkdwn is t without mrkdwn, for plain_text and notification text.
func stripMrkdwn(t text) string {
	return strings.NewReplacer("*", "", "`", "", "_", "").Replace(string(t))
}

const proxyWarning text = ":warning: Every session here comes from 198.19.x.x: client IP pass-through is off, so these are the *proxy's* addresses, not the real clients'."
