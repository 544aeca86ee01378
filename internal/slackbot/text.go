package slackbot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// text is Slack mrkdwn the bot wrote: safe to send as it is. Everything the
// Slack edge sends is built from text; text from outside enters only
// through outside's methods, so a renderer cannot forget to escape it.
type text string

// outside is text from outside the bot: what a user typed (a reason, a deny
// note), what a Redis client set (its name), what DCS answered (a code, a
// message). Its methods are the only way it becomes text: escaped, on one
// line, and capped.
type outside string

// Caps, in characters of the rendered text, on outside text by where it goes.
const (
	capWord  = 64   // an ID, a code, a client name in a list
	capLine  = 300  // a message from DCS, a detail
	capField = 1900 // a field of a section (Slack allows 2000)
	capText  = 2900 // a section's whole text (Slack allows 3000)
)

// line renders o as one line of plain text: &, < and > escaped, white space
// (newlines included) folded to single spaces, backticks turned into ',
// and at most max characters, ending in … when cut. "" stays "".
func (o outside) line(max int) text {
	s := strings.Join(strings.FieldsFunc(string(o), unicode.IsSpace), " ")
	var full strings.Builder
	for _, r := range s {
		full.WriteString(escapeRune(r))
	}
	if utf8.RuneCountInString(full.String()) <= max {
		return text(full.String())
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		piece := escapeRune(r)
		w := utf8.RuneCountInString(piece)
		if n+w > max-1 {
			break
		}
		b.WriteString(piece)
		n += w
	}
	return text(b.String() + "…")
}

func escapeRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '`':
		return "'"
	}
	if !unicode.IsPrint(r) {
		return "\uFFFD"
	}
	return string(r)
}

// code renders o in a code span; "-" when it is empty.
func (o outside) code(max int) text {
	if strings.TrimSpace(string(o)) == "" {
		return "`-`"
	}
	return "`" + o.line(max) + "`"
}

// or renders o as a line, or the bot's own fallback when it is empty.
func (o outside) or(max int, fallback text) text {
	if strings.TrimSpace(string(o)) == "" {
		return fallback
	}
	return o.line(max)
}

// clause renders o as or does, for the end of a sentence of the bot's,
// which adds its own period: without a final period.
func (o outside) clause(max int, fallback text) text {
	return text(strings.TrimSuffix(string(o.or(max, fallback)), "."))
}

// textf formats text the bot wrote; its arguments are text too, so outside
// text must go through outside's methods first.
func textf(format string, args ...text) text {
	as := make([]any, len(args))
	for i, a := range args {
		as[i] = string(a)
	}
	return text(fmt.Sprintf(format, as...))
}

// join joins texts.
func join(ts []text, sep text) text {
	ss := make([]string, len(ts))
	for i, t := range ts {
		ss[i] = string(t)
	}
	return text(strings.Join(ss, string(sep)))
}

// num renders a number.
func num(n int) text { return text(strconv.Itoa(n)) }

// Slack IDs: users (U…, W…), channels (C…, G…, D…), user groups (S…).
var (
	userIDRE    = regexp.MustCompile(`^[UW][A-Z0-9]{2,30}$`)
	channelIDRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)
	groupIDRE   = regexp.MustCompile(`^S[A-Z0-9]{2,30}$`)
)

// mention mentions a user; an ID that is not a user's shows as code.
func mention(user string) text {
	if !userIDRE.MatchString(user) {
		return outside(user).code(capWord)
	}
	return text("<@" + user + ">")
}

// groupMention mentions a user group.
func groupMention(group string) text {
	if !groupIDRE.MatchString(group) {
		return outside(group).code(capWord)
	}
	return text("<!subteam^" + group + ">")
}

// channelLink links a channel.
func channelLink(id string) text {
	if !channelIDRE.MatchString(id) {
		return outside(id).code(capWord)
	}
	return text("<#" + id + ">")
}

// slackDate renders t in each reader's own time zone, with a UTC fallback.
func slackDate(t time.Time) text {
	return text(fmt.Sprintf("<!date^%d^{date_short_pretty} {time_secs}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04:05 UTC")))
}

// dur renders a session age or idle time compactly: 45s, 12m03s, 3h05m, 2d04h.
func dur(d time.Duration) text {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return text(fmt.Sprintf("%ds", int(d.Seconds())))
	case d < time.Hour:
		return text(fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60))
	case d < 48*time.Hour:
		return text(fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60))
	}
	return text(fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24))
}

func plural(n int) text {
	if n == 1 {
		return ""
	}
	return "s"
}

// escapeBot escapes &, < and > in text the bot's own packages wrote as
// plain text (usage lines hold "<instance>").
func escapeBot(s string) text { return text(slackEscaper.Replace(s)) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
