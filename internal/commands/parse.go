package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse parses the text of a /dcs slash command (without the "/dcs" itself).
// It returns a command, or an error of type *UsageError whose Error() is a clear
// sentence for the user (ephemeral in Slack) naming the problem.
//
// Order of checks, first failure wins: the text must be UTF-8; then each
// argument in turn is unwrapped (Slack links, HTML entities) and checked for
// length, flags and forbidden characters, and the first must be a known
// subcommand; then the length of the whole text; then the subcommand's
// arguments.
func Parse(text string, opt Options) (Command, error) {
	p := parser{max: opt.MaxAddrs}
	if p.max <= 0 {
		p.max = DefaultMaxAddrs
	}
	fields := strings.FieldsFunc(text, unicode.IsSpace)
	if len(fields) > 0 {
		first, _ := unwrap(fields[0])
		p.kill = strings.EqualFold(first, "kill")
	}
	if !utf8.ValidString(text) {
		return nil, p.fail("The command is not valid UTF-8 text; please retype it.")
	}
	args := make([]string, len(fields))
	for i, f := range fields {
		a, err := p.clean(i+1, f)
		if err != nil {
			return nil, err
		}
		args[i] = a
		if i == 0 && !known[strings.ToLower(a)] {
			return nil, p.fail("Sorry, unknown subcommand %s; the subcommands are `kill` and `help`.", code(a))
		}
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLen {
		return nil, p.fail("The command is too long: %d characters, at most %d.", n, MaxTextLen)
	}
	if len(args) == 0 {
		return Help{}, nil
	}
	if strings.ToLower(args[0]) == "kill" {
		return p.parseKill(args)
	}
	return p.help(args)
}

// known holds the first words Parse accepts, lowercased.
var known = map[string]bool{"kill": true, "help": true, "-h": true, "--help": true}

type parser struct {
	max  int
	kill bool // the first argument is "kill": errors end with KillUsage
}

// fail builds a *UsageError: the sentence, then the usage that fits.
func (p *parser) fail(format string, a ...any) *UsageError {
	msg := fmt.Sprintf(format, a...)
	if p.kill {
		return &UsageError{Msg: msg + "\n" + KillUsage}
	}
	return &UsageError{Msg: msg + "\n\n" + usage}
}

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

// forbidden names the shell metacharacters refused anywhere in an argument.
var forbidden = map[rune]string{
	';': "a semicolon", '|': "a pipe", '&': "an ampersand", '$': "a dollar sign",
	'`': "a backtick", '(': "a parenthesis", ')': "a parenthesis",
	'{': "a brace", '}': "a brace", '<': "an angle bracket", '>': "an angle bracket",
	'*': "an asterisk", '?': "a question mark", '!': "an exclamation mark",
	'\'': "a quote", '"': "a double quote", '\\': "a backslash",
}

// clean unwraps token n (1-based) and applies the checks every argument
// gets, whatever its place: not a mention, not empty, not too long, not an
// unknown flag, no forbidden or invisible characters.
func (p *parser) clean(n int, tok string) (string, error) {
	arg, mention := unwrap(tok)
	if mention {
		return "", p.fail("Argument %d is a Slack mention or channel link; type the value as plain text.", n)
	}
	if arg == "" {
		return "", p.fail("Argument %d is an empty Slack link.", n)
	}
	if l := utf8.RuneCountInString(arg); l > MaxArgLen {
		return "", p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(n, arg), l, MaxArgLen)
	}
	if arg[0] == '-' {
		switch strings.ToLower(arg) {
		case "-h", "--help":
		default:
			name, _, _ := strings.Cut(arg, "=")
			return "", p.fail("Argument %d: unknown flag %s; no flags are supported yet (`--reason` is not available).", n, code(name))
		}
	}
	pos := 0
	for _, r := range arg {
		pos++
		if what, bad := forbidden[r]; bad {
			return "", p.fail("%s contains characters that are not allowed: %s at position %d.", argRef(n, arg), what, pos)
		}
		if !unicode.IsPrint(r) {
			return "", p.fail("%s contains characters that are not allowed: an invisible or control character (%U) at position %d.", argRef(n, arg), r, pos)
		}
	}
	return arg, nil
}

// help parses "help [topic]" (args[0] is help, -h or --help).
func (p *parser) help(args []string) (Command, error) {
	switch len(args) {
	case 1:
		return Help{}, nil
	case 2:
		switch t := strings.ToLower(args[1]); t {
		case "kill":
			return Help{Topic: t}, nil
		case "help", "-h", "--help":
			return Help{}, nil
		}
		return nil, p.fail("There is no help topic %s; the topics are `kill` and `help`.", code(args[1]))
	}
	return nil, p.fail("`/dcs help` takes at most one topic, but argument 3 (%s) is extra.", code(args[2]))
}

// parseKill parses "kill <instance> <node> <addr>...".
func (p *parser) parseKill(args []string) (Command, error) {
	for _, a := range args[1:] {
		if l := strings.ToLower(a); l == "-h" || l == "--help" {
			return Help{Topic: "kill"}, nil
		}
	}
	if len(args) < 2 {
		return nil, p.fail("`/dcs kill` is missing the instance (argument 2): give an instance alias or ID.")
	}
	inst := strings.ToLower(args[1])
	if !validInstance(inst) {
		return nil, p.fail("Argument 2: %s is not an instance alias or ID (an alias is 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit; an ID is a UUID).", code(args[1]))
	}
	if len(args) < 3 {
		return nil, p.fail("`/dcs kill` is missing the node ID (argument 3): give the DCS node ID after the instance.")
	}
	node := strings.ToLower(args[2])
	if !validNode(node) {
		hint := ""
		if _, problem := parseAddr(args[2]); problem == "" {
			hint = " It looks like a client address: the node ID comes before the addresses."
		}
		return nil, p.fail("Argument 3: %s is not a DCS node ID (32 hex digits, e.g. `%s`, with or without dashes).%s", code(args[2]), exampleNode, hint)
	}
	if len(args) < 4 {
		return nil, p.fail("`/dcs kill` is missing the client addresses (argument 4 onwards): give at least one ip:port after the node ID.")
	}
	addrs := make([]string, 0, len(args)-3)
	seen := make(map[string]bool, len(args)-3)
	for i, a := range args[3:] {
		ap, problem := parseAddr(a)
		if problem != "" {
			return nil, p.fail("Argument %d: %s %s.", i+4, code(a), problem)
		}
		s := ap.String()
		if !seen[s] {
			seen[s] = true
			addrs = append(addrs, s)
		}
	}
	if len(addrs) > p.max {
		dup := ""
		if len(addrs) < len(args)-3 {
			dup = " (counting each address once)"
		}
		return nil, p.fail("The request has too many addresses: %d given, at most %d per request%s. Split it into several requests.", len(addrs), p.max, dup)
	}
	return Kill{Instance: inst, Node: node, Addrs: addrs}, nil
}
