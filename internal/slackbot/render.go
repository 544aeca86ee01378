package slackbot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// escape makes plain text safe as Slack message text, where &, < and >
// are control characters ("<instance>" would otherwise vanish).
func escape(s string) string { return slackEscaper.Replace(s) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// oneLine makes text from outside (a DCS message, an HTML error page) safe
// as a line of a Slack message: escaped, without newlines or backticks,
// and short.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "'")), " ")
	return escape(truncate(s, 300))
}

// code1 is a code or ID from outside, safe inside backticks.
func code1(s string) string { return oneLine(orDash(s)) }

// codeText is s safe inside a code span that the caller writes.
func codeText(s string) string { return oneLine(s) }

// code is s in a code span, made safe.
func code(s string) string { return "`" + codeText(s) + "`" }

// codeList is each of ss in a code span, comma-separated.
func codeList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func md(format string, args ...any) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf(format, args...), false, false)
}

func plain(format string, args ...any) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf(format, args...), false, false)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell is a session field from outside, for a table cell.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > 24 {
		s = s[:23] + "…"
	}
	return s
}

// dur renders a session age or idle time compactly: 45s, 12m, 3h5m, 2d4h.
func dur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// slackDate renders t in each reader's own time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time_secs}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04:05 UTC"))
}

func mentions(as []approvals.Approval) string {
	if len(as) == 0 {
		return "nobody"
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = "<@" + a.User + ">"
	}
	return strings.Join(out, ", ")
}

// approverMentions mentions users as <@U…> and user groups as <!subteam^S…>.
func approverMentions(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if approvals.IsUserGroup(id) {
			out[i] = "<!subteam^" + id + ">"
		} else {
			out[i] = "<@" + id + ">"
		}
	}
	if len(out) == 0 {
		return "Approvers"
	}
	return strings.Join(out, " ")
}

func inlineAddrs(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "`" + a + "`"
	}
	return strings.Join(out, ", ")
}

// what says in a few words what a request kills.
func what(r *approvals.Request) string {
	switch {
	case r.IsKillAll() && r.AllNodes:
		return fmt.Sprintf("kill *all* sessions on every node of `%s`", r.Instance.Alias)
	case r.IsKillAll():
		return fmt.Sprintf("kill *all* sessions on `%s` node `%s`", r.Instance.Alias, r.NodeID)
	}
	return fmt.Sprintf("kill %d session%s on `%s` node `%s`", len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias, r.NodeID)
}

func stateWord(s approvals.State) string {
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
	return string(s)
}

const proxyWarning = ":warning: Every session here comes from 198.19.x.x: client IP pass-through is off, so these are the *proxy's* addresses, not the real clients'."
