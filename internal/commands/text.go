package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// htmlUnescape undoes Slack's escaping of the three characters it escapes.
var htmlUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// unwrap turns one whitespace-separated token into the argument the user
// meant: a Slack link `<url|label>` becomes label, `<url>` becomes url, and
// then &amp; &lt; &gt; are unescaped (once). mention reports a Slack user,
// channel or special mention (`<@U123>`, `<#C123|name>`, `<!here>`), which
// is never unwrapped.
func unwrap(tok string) (arg string, mention bool) {
	if len(tok) >= 2 && tok[0] == '<' && tok[len(tok)-1] == '>' {
		inner := tok[1 : len(tok)-1]
		if inner != "" && strings.IndexByte("@#!", inner[0]) >= 0 {
			return tok, true
		}
		url, label, _ := strings.Cut(inner, "|")
		if label == "" {
			label = url
		}
		tok = label
	}
	return htmlUnescape.Replace(tok), false
}

// forbidden names the shell metacharacters refused anywhere in an argument
// but the text of --reason.
var forbidden = map[rune]string{
	';': "a semicolon", '|': "a pipe", '&': "an ampersand", '$': "a dollar sign",
	'`': "a backtick", '(': "a parenthesis", ')': "a parenthesis",
	'{': "a brace", '}': "a brace", '<': "an angle bracket", '>': "an angle bracket",
	'*': "an asterisk", '?': "a question mark", '!': "an exclamation mark",
	'\'': "a quote", '"': "a double quote", '\\': "a backslash",
	'‘': "a quote", '’': "a quote", '“': "a double quote", '”': "a double quote",
}

// unwrapArg unwraps token n (1-based) and refuses what is not a value.
func (p *parser) unwrapArg(n int, tok string) (string, error) {
	arg, mention := unwrap(tok)
	if mention {
		return "", p.fail("Argument %d is a Slack mention or channel link; type the value as plain text.", n)
	}
	if arg == "" {
		return "", p.fail("Argument %d is an empty Slack link.", n)
	}
	return arg, nil
}

// check applies the checks every argument but a reason gets, whatever its
// place: not too long, no forbidden or invisible characters.
func (p *parser) check(n int, arg string) error {
	if l := utf8.RuneCountInString(arg); l > MaxArgLen {
		return p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(n, arg), l, MaxArgLen)
	}
	pos := 0
	for _, r := range arg {
		pos++
		if what, bad := forbidden[r]; bad {
			hint := ""
			if isQuote(r) {
				hint = " Quotes are only for the text of `--reason`."
			}
			return p.failAt(n, "%s contains characters that are not allowed: %s at position %d.%s", argRef(n, arg), what, pos, hint)
		}
		if !unicode.IsPrint(r) {
			return p.fail("%s contains characters that are not allowed: an invisible or control character (%U) at position %d.", argRef(n, arg), r, pos)
		}
	}
	return nil
}

const echoLen = 40

// sanitize makes user input safe to show inside a Slack code span: it drops
// backticks and the characters Slack uses for markup (< > &), replaces
// invisible and control characters with U+FFFD, and keeps at most echoLen
// characters, adding an ellipsis when it cut.
func sanitize(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case r == '`' || r == '<' || r == '>' || r == '&':
			continue
		case !unicode.IsPrint(r):
			r = '\uFFFD'
		}
		if n == echoLen {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// code shows user input in a code span, sanitized.
func code(s string) string {
	if t := sanitize(s); t != "" {
		return "`" + t + "`"
	}
	return "(an argument that cannot be shown)"
}

// argRef names argument n and shows it when it can.
func argRef(n int, s string) string {
	if t := sanitize(s); t != "" {
		return fmt.Sprintf("Argument %d (`%s`)", n, t)
	}
	return fmt.Sprintf("Argument %d", n)
}

// reasonText turns the value of --reason (argument n, without its quotes)
// into the reason: Slack markup becomes plain text, then the reason rule
// (reasonProblem) applies. An empty reason is refused.
func (p *parser) reasonText(n int, raw string) (string, error) {
	s, problem := reasonProblem(slackText(raw))
	switch {
	case problem != "":
		return "", p.fail("Argument %d: the %s", n, problem)
	case s == "":
		return "", p.fail("Argument %d: the reason is empty; say why, e.g. `--reason \"stuck batch job\"`.", n)
	}
	return s, nil
}

// Reason applies the reason rule to a reason typed as it is, such as in a
// dialog's input (a command's --reason has its Slack markup turned into
// plain text first): runs of white space (newlines included) become one
// space and the ends are trimmed; invisible and control characters are
// refused, and so is a reason longer than MaxReasonLen characters. Any
// punctuation is fine. "" (no reason) is not an error here: whether a
// reason is required is the policy's call. The error is a *UsageError,
// plain text.
func Reason(s string) (string, error) {
	s, problem := reasonProblem(s)
	if problem != "" {
		return "", &UsageError{Msg: "The " + problem}
	}
	return s, nil
}

// reasonProblem folds s by the reason rule (foldReason) and says what is
// wrong with it, as the end of a sentence starting "the ": "reason
// contains …" or "reason is too long: …"; problem is "" when nothing is.
func reasonProblem(s string) (folded, problem string) {
	s, bad, pos := foldReason(s)
	switch l := utf8.RuneCountInString(s); {
	case pos > 0:
		return "", fmt.Sprintf("reason contains an invisible or control character (%U) at position %d; type it as plain text.", bad, pos)
	case l > MaxReasonLen:
		return "", fmt.Sprintf("reason is too long: %d characters, at most %d.", l, MaxReasonLen)
	}
	return s, ""
}

// foldReason is the reason rule: s with its runs of white space folded to
// one space and its ends trimmed; or, when s holds an invisible or control
// character, the first one (bad) and its position in s (pos, counted in
// characters from 1; 0 when there is none).
func foldReason(s string) (folded string, bad rune, pos int) {
	for _, r := range s {
		pos++
		if !unicode.IsSpace(r) && !unicode.IsPrint(r) {
			return "", r, pos
		}
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "), 0, 0
}

// slackText turns Slack's markup in free text into what the user saw: a
// link `<url|label>` becomes label and `<url>` url; a mention `<@U1|bob>`
// becomes @bob, `<@U1>` @U1, `<#C1|general>` #general, `<!here>` @here;
// then &amp; &lt; &gt; are unescaped. So a reason can never ping anyone,
// even if shown unescaped.
func slackText(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(slackMarkup(s[i+1 : i+1+j]))
		s = s[i+1+j+1:]
	}
	b.WriteString(s)
	return htmlUnescape.Replace(b.String())
}

// slackMarkup returns the visible text of the markup <inner>.
func slackMarkup(inner string) string {
	target, label, _ := strings.Cut(inner, "|")
	if target == "" {
		if label == "" {
			return "<" + inner + ">"
		}
		return label
	}
	switch target[0] {
	case '@', '#':
		if label != "" {
			return target[:1] + strings.TrimPrefix(label, target[:1])
		}
		return target
	case '!':
		if label != "" {
			return label
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return "@" + name
	}
	if label != "" {
		return label
	}
	return target
}
