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
// The text is split into arguments at white space, except that the value of
// --reason may be quoted (see lex). Flags may come anywhere after the
// subcommand; names are case-insensitive, a value follows as the next
// argument or after "=", and an em or en dash stands for "--".
//
// Order of checks, first failure wins: the text must be UTF-8; then each
// argument in turn: a positional one is unwrapped (Slack links, HTML
// entities) and checked for length and forbidden characters, the first must
// be a known subcommand, and a flag must be one the subcommand takes, given
// once, with a valid value; then the length of the whole text; then -h or
// --help anywhere makes the command help on its subcommand; then the
// subcommand's positional arguments.
func Parse(text string, opt Options) (Command, error) {
	p := parser{max: opt.MaxAddrs, afterReason: -1}
	if p.max <= 0 {
		p.max = DefaultMaxAddrs
	}
	if fields := strings.FieldsFunc(text, unicode.IsSpace); len(fields) > 0 {
		first, _ := unwrap(fields[0])
		p.sub = subcommandOf(first)
	}
	if !utf8.ValidString(text) {
		return nil, p.fail("The command is not valid UTF-8 text; please retype it.")
	}
	words := lex(text)
	if len(words) > 0 {
		sub, err := p.first(words[0])
		if err != nil {
			return nil, err
		}
		p.sub = sub
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		arg := w.text
		if !flagLike(arg) {
			var err error
			if arg, err = p.unwrapArg(w.n, w.text); err != nil {
				return nil, err
			}
		}
		if flagLike(arg) {
			used, err := p.flag(arg, words[i:])
			if err != nil {
				return nil, err
			}
			i += used
			continue
		}
		if err := p.check(w.n, arg); err != nil {
			return nil, err
		}
		p.pos = append(p.pos, posArg{n: w.n, text: arg})
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLen {
		return nil, p.fail("The command is too long: %d characters, at most %d.", n, MaxTextLen)
	}
	if len(words) == 0 {
		return Help{}, nil
	}
	if p.help && p.sub != "help" {
		return Help{Topic: p.sub}, nil
	}
	switch p.sub {
	case "kill":
		return p.parseKill()
	case "kill-all":
		return p.parseKillAll()
	case "clients":
		return p.parseClients()
	case "nodes":
		inst, err := p.instance()
		if err != nil {
			return nil, err
		}
		if err := p.extra(1, "takes only the instance"); err != nil {
			return nil, err
		}
		return Nodes{Instance: inst}, nil
	case "status", "cancel":
		id, err := p.requestID()
		if err != nil {
			return nil, err
		}
		if p.sub == "status" {
			return Status{ID: id}, nil
		}
		return Cancel{ID: id}, nil
	case "history":
		return p.parseHistory()
	}
	return p.parseHelp()
}

// subcommandOf returns the subcommand s names ("kill-all", "help" for -h),
// or "" when it names none.
func subcommandOf(s string) string {
	s = strings.ToLower(canonFlag(s))
	switch s {
	case "-h", "--help":
		return "help"
	}
	if usageLine(s) != "" {
		return s
	}
	return ""
}

// flags lists the flags each subcommand takes, besides -h and --help.
var flags = map[string][]string{
	"kill":     {"--reason"},
	"kill-all": {"--all-nodes", "--reason"},
	"clients":  {"--sort"},
	"history":  {"--limit"},
}

// known flags: whether each takes a value.
var knownFlags = map[string]bool{"--reason": true, "--all-nodes": false, "--sort": true, "--limit": true}

type posArg struct {
	n    int // argument number
	text string
}

type parser struct {
	max int
	sub string // the subcommand, once known: errors end with its usage line

	pos         []posArg        // positional arguments after the subcommand
	seen        map[string]bool // flags given
	sawFlag     bool            // any flag given (argument numbers of missing arguments are then unknown)
	help        bool            // -h or --help given
	reason      string
	allNodes    bool
	sort        string
	limit       int
	afterReason int // the argument right after an unquoted reason, -1 if none
}

// fail builds a *UsageError: the sentence, then the usage that fits.
func (p *parser) fail(format string, a ...any) *UsageError {
	msg := fmt.Sprintf(format, a...)
	if p.sub != "" && p.sub != "help" {
		return &UsageError{Msg: msg + "\n" + usageLine(p.sub)}
	}
	return &UsageError{Msg: msg + "\n\n" + usage}
}

// failAt is fail for a problem with positional argument n: when n follows
// an unquoted reason, it was probably meant as part of the reason.
func (p *parser) failAt(n int, format string, a ...any) *UsageError {
	if n == p.afterReason {
		format += " If it is part of the reason, put the whole reason in quotes: `--reason \"…\"`."
	}
	return p.fail(format, a...)
}

// at returns " (argument n)" for a missing argument when no flag makes the
// number uncertain.
func (p *parser) at(n int, suffix string) string {
	if p.sawFlag {
		return ""
	}
	return fmt.Sprintf(" (argument %d%s)", n, suffix)
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

// subcommandList is what an unknown subcommand is told.
const subcommandList = "`kill`, `kill-all`, `clients`, `nodes`, `status`, `cancel`, `history` and `help`"

// first checks the first word, which must be a subcommand.
func (p *parser) first(w word) (string, error) {
	arg := w.text
	if !flagLike(arg) {
		var err error
		if arg, err = p.unwrapArg(1, w.text); err != nil {
			return "", err
		}
	}
	if l := utf8.RuneCountInString(arg); l > MaxArgLen {
		return "", p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(1, arg), l, MaxArgLen)
	}
	if flagLike(arg) {
		if sub := subcommandOf(arg); sub != "" {
			return sub, nil
		}
		name, _, _ := strings.Cut(htmlUnescape.Replace(arg), "=")
		if _, ok := knownFlags[canonFlag(name)]; ok {
			return "", p.fail("Argument 1: %s goes after the subcommand; a command starts with one of %s.", code(name), subcommandList)
		}
		return "", p.fail("Argument 1: unknown flag %s; a command starts with a subcommand: %s.", code(name), subcommandList)
	}
	if err := p.check(1, arg); err != nil {
		return "", err
	}
	sub := subcommandOf(arg)
	if sub == "" {
		hint := ""
		squash := strings.NewReplacer("-", "", "_", "")
		for _, s := range subcommands {
			if squash.Replace(strings.ToLower(arg)) == squash.Replace(s.name) {
				hint = fmt.Sprintf(" Did you mean `%s`?", s.name)
			}
		}
		return "", p.fail("Sorry, unknown subcommand %s; the subcommands are %s.%s", code(arg), subcommandList, hint)
	}
	return sub, nil
}

// flag handles the flag arg, the text of ws[0] (unwrapped if it needed
// it), and returns how many more words it used as its value.
func (p *parser) flag(arg string, ws []word) (int, error) {
	w := ws[0]
	name, val, hasEq := strings.Cut(arg, "=")
	name = htmlUnescape.Replace(name)
	f := canonFlag(name)
	if f != "--reason" {
		if l := utf8.RuneCountInString(arg); l > MaxArgLen {
			return 0, p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(w.n, arg), l, MaxArgLen)
		}
	}
	p.sawFlag = true
	takesValue, known := knownFlags[f]
	switch {
	case f == "-h" || f == "--help":
		if hasEq {
			return 0, p.fail("Argument %d: %s takes no value.", w.n, code(name))
		}
		p.help = true
		return 0, nil
	case !known:
		return 0, p.fail("Argument %d: unknown flag %s; %s.", w.n, code(name), p.takes())
	case !p.accepts(f):
		return 0, p.fail("Argument %d: `/dcs %s` does not take %s; it %s.", w.n, p.sub, code(name), strings.TrimPrefix(p.takes(), "`/dcs "+p.sub+"` "))
	case p.seen[f]:
		return 0, p.fail("Argument %d: %s is given twice; give it once.", w.n, code(f))
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[f] = true
	if !takesValue {
		if hasEq {
			return 0, p.fail("Argument %d: %s takes no value.", w.n, code(f))
		}
		p.allNodes = true // the only flag without a value
		return 0, nil
	}

	// The value: after "=" or the next word.
	used, vn, quoted := 0, w.n, w.quoted
	v := w
	if hasEq && val == "" && f != "--reason" {
		return 0, p.fail("Argument %d: %s needs a value after it, %s.", w.n, code(f), valueHint[f])
	}
	if !hasEq {
		if len(ws) < 2 || !ws[1].quoted && flagLike(ws[1].text) {
			return 0, p.fail("Argument %d: %s needs a value after it, %s.", w.n, code(f), valueHint[f])
		}
		used, vn, quoted, v, val = 1, ws[1].n, ws[1].quoted, ws[1], ws[1].text
	}
	if f == "--reason" {
		if v.unterminated {
			return 0, p.fail("Argument %d: the quote %s that opens the reason is never closed; end the reason with a matching quote followed by a space or the end of the command.", vn, code(string(v.open)))
		}
		r, err := p.reasonText(vn, val)
		if err != nil {
			return 0, err
		}
		p.reason = r
		if !quoted {
			p.afterReason = vn + 1
		}
		return used, nil
	}
	if !hasEq {
		var err error
		if val, err = p.unwrapArg(vn, val); err != nil {
			return 0, err
		}
	}
	if err := p.check(vn, val); err != nil {
		return 0, err
	}
	switch f {
	case "--sort":
		switch s := strings.ToLower(val); s {
		case "idle", "age":
			p.sort = s
			return used, nil
		}
		return 0, p.fail("Argument %d: `--sort` must be `idle` or `age`, not %s.", vn, code(val))
	default: // --limit
		n, ok := smallNumber(val)
		if !ok || n < 1 || n > MaxHistoryLimit {
			return 0, p.fail("Argument %d: `--limit` must be a number from 1 to %d, not %s.", vn, MaxHistoryLimit, code(val))
		}
		p.limit = n
		return used, nil
	}
}

var valueHint = map[string]string{
	"--reason": "e.g. `--reason \"stuck batch job\"`",
	"--sort":   "`idle` or `age`",
	"--limit":  fmt.Sprintf("a number from 1 to %d", MaxHistoryLimit),
}

// accepts reports whether the subcommand takes flag f.
func (p *parser) accepts(f string) bool {
	for _, g := range flags[p.sub] {
		if g == f {
			return true
		}
	}
	return false
}

// takes says which flags the subcommand takes.
func (p *parser) takes() string {
	fs := flags[p.sub]
	switch len(fs) {
	case 0:
		return fmt.Sprintf("`/dcs %s` takes no flags", p.sub)
	case 1:
		return fmt.Sprintf("`/dcs %s` takes only `%s`", p.sub, fs[0])
	}
	return fmt.Sprintf("`/dcs %s` takes `%s`", p.sub, strings.Join(fs, "` and `"))
}

// extra refuses positional arguments beyond the first want.
func (p *parser) extra(want int, takes string) error {
	if len(p.pos) <= want {
		return nil
	}
	a := p.pos[want]
	return p.failAt(a.n, "`/dcs %s` %s, but argument %d (%s) is extra.", p.sub, takes, a.n, code(a.text))
}

// instance parses the first positional argument as the instance.
func (p *parser) instance() (string, error) {
	if len(p.pos) == 0 {
		return "", p.fail("`/dcs %s` is missing the instance%s: give an instance alias or ID.", p.sub, p.at(2, ""))
	}
	a := p.pos[0]
	inst := strings.ToLower(a.text)
	if !validInstance(inst) {
		return "", p.failAt(a.n, "Argument %d: %s is not an instance alias or ID (an alias is 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit; an ID is a UUID).", a.n, code(a.text))
	}
	return inst, nil
}

// node parses positional argument a as a node; then is said after the
// problem when there is one.
func (p *parser) node(a posArg, then string) (NodeRef, error) {
	ref, problem := parseNodeRef(a.text)
	if problem != "" {
		return NodeRef{}, p.failAt(a.n, "Argument %d: %s %s.%s", a.n, code(a.text), problem, then)
	}
	return ref, nil
}

// parseKill parses "kill <instance> <node> <addr>...".
func (p *parser) parseKill() (Command, error) {
	inst, err := p.instance()
	if err != nil {
		return nil, err
	}
	if len(p.pos) < 2 {
		return nil, p.fail("`/dcs kill` is missing the node%s: give the node ID, ip:port or number after the instance.", p.at(3, ""))
	}
	node, err := p.node(p.pos[1], "")
	if err != nil {
		return nil, err
	}
	if len(p.pos) < 3 {
		hint := ""
		if node.Addr != "" {
			hint = fmt.Sprintf(" (`%s` was read as the node: the node comes first, then the client addresses.)", node.Addr)
		}
		return nil, p.fail("`/dcs kill` is missing the client addresses%s: give at least one ip:port after the node.%s", p.at(4, " onwards"), hint)
	}
	given := p.pos[2:]
	addrs := make([]string, 0, len(given))
	seen := make(map[string]bool, len(given))
	for _, a := range given {
		ap, problem := parseAddr(a.text)
		if problem != "" {
			return nil, p.failAt(a.n, "Argument %d: %s %s.", a.n, code(a.text), problem)
		}
		s := ap.String()
		if s == node.Addr {
			return nil, p.failAt(a.n, "Argument %d: %s is the node's own address, not a client's: give the node first, then the client addresses.", a.n, code(a.text))
		}
		if !seen[s] {
			seen[s] = true
			addrs = append(addrs, s)
		}
	}
	if len(addrs) > p.max {
		dup := ""
		if len(addrs) < len(given) {
			dup = " (counting each address once)"
		}
		return nil, p.fail("The request has too many addresses: %d given, at most %d per request%s. Split it into several requests.", len(addrs), p.max, dup)
	}
	return Kill{Instance: inst, Node: node, Addrs: addrs, Reason: p.reason}, nil
}

// parseKillAll parses "kill-all <instance> (<node> | --all-nodes)".
func (p *parser) parseKillAll() (Command, error) {
	inst, err := p.instance()
	if err != nil {
		return nil, err
	}
	switch {
	case len(p.pos) >= 2 && p.allNodes:
		a := p.pos[1]
		return nil, p.failAt(a.n, "Argument %d (%s): give either a node or `--all-nodes`, not both.", a.n, code(a.text))
	case len(p.pos) < 2 && !p.allNodes:
		return nil, p.fail("`/dcs kill-all` needs the node%s, or `--all-nodes` for every node of the instance.", p.at(3, ""))
	}
	if err := p.extra(2, "takes the instance and one node"); err != nil {
		return nil, err
	}
	var node NodeRef
	if !p.allNodes {
		if node, err = p.node(p.pos[1], ""); err != nil {
			return nil, err
		}
	}
	return KillAll{Instance: inst, Node: node, AllNodes: p.allNodes, Reason: p.reason}, nil
}

// parseClients parses "clients <instance> [<node>] [<filter>]".
func (p *parser) parseClients() (Command, error) {
	inst, err := p.instance()
	if err != nil {
		return nil, err
	}
	if err := p.extra(3, "takes the instance, a node and a filter"); err != nil {
		return nil, err
	}
	c := Clients{Instance: inst, Sort: "idle"}
	if p.sort != "" {
		c.Sort = p.sort
	}
	var filter *posArg
	switch len(p.pos) {
	case 2:
		a := p.pos[1]
		if nodeLike(a.text) {
			if c.Node, err = p.node(a, ""); err != nil {
				return nil, err
			}
		} else {
			filter = &a
		}
	case 3:
		if c.Node, err = p.node(p.pos[1], " With two arguments after the instance, the first is the node and the second the filter."); err != nil {
			return nil, err
		}
		filter = &p.pos[2]
	}
	if filter != nil {
		switch filterKind(filter.text) {
		case filterAddr:
			c.Filter = strings.ToLower(filter.text)
		case filterName:
			c.Filter = filter.text
		default:
			return nil, p.failAt(filter.n, "Argument %d: %s is not a filter: give the start of a client address (like `10.0.3.`) "+
				"or part of a client name (letters, digits, `.`, `_`, `:` and `-`, at most %d).", filter.n, code(filter.text), MaxFilterLen)
		}
	}
	return c, nil
}

// requestID parses "<request-id>", the only argument of status and cancel.
func (p *parser) requestID() (string, error) {
	if len(p.pos) == 0 {
		return "", p.fail("`/dcs %s` is missing the request ID%s: give the 6-character ID the bot gave the request, like `%s`.", p.sub, p.at(2, ""), exampleID)
	}
	a := p.pos[0]
	id, ok := parseRequestID(a.text)
	if !ok {
		return "", p.failAt(a.n, "Argument %d: %s is not a request ID (6 characters like `%s`).", a.n, code(a.text), exampleID)
	}
	if err := p.extra(1, "takes only the request ID"); err != nil {
		return "", err
	}
	return id, nil
}

// parseHistory parses "history [<instance>]".
func (p *parser) parseHistory() (Command, error) {
	h := History{Limit: DefaultHistoryLimit}
	if p.limit != 0 {
		h.Limit = p.limit
	}
	if len(p.pos) > 0 {
		inst, err := p.instance()
		if err != nil {
			return nil, err
		}
		h.Instance = inst
	}
	if err := p.extra(1, "takes at most an instance"); err != nil {
		return nil, err
	}
	return h, nil
}

// parseHelp parses "help [topic]" (the subcommand was help, -h or --help;
// further -h and --help are ignored).
func (p *parser) parseHelp() (Command, error) {
	if err := p.extra(1, "takes at most one topic"); err != nil {
		return nil, err
	}
	if len(p.pos) == 0 {
		return Help{}, nil
	}
	a := p.pos[0]
	switch t := subcommandOf(a.text); t {
	case "help":
		return Help{}, nil
	case "":
		return nil, p.fail("There is no help topic %s; the topics are %s.", code(a.text), subcommandList)
	default:
		return Help{Topic: t}, nil
	}
}
