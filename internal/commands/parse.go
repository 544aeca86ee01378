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
// subcommand's positional arguments (see parser.readArgs), and last what
// its build checks.
func Parse(text string, opt Options) (Command, error) {
	return defaultTable.newParser(opt).run(text)
}

// Usage returns the full usage text shown by help (Slack mrkdwn; see the
// package comment about `<` and `>`).
func Usage() string { return defaultTable.usage }

// UsageFor returns the help on one subcommand (topic "kill", "kill-all",
// "clients", "nodes", "status", "cancel" or "history", in any case), as
// Help.Topic names it. For "", "help" or any other topic it returns Usage().
func UsageFor(topic string) string { return defaultTable.usageFor(topic) }

// Names returns the name of every subcommand, in the order help lists them:
// what the Slack edge must have a handler for.
func Names() []string {
	out := make([]string, len(defaultTable.specs))
	for i, s := range defaultTable.specs {
		out[i] = s.name
	}
	return out
}

// parser reads one command against a table.
type parser struct {
	tab  *table
	max  int   // Options.MaxAddrs; 0 or less: no limit
	spec *spec // the subcommand, once known: errors end with its usage line

	pos         []posArg       // positional arguments after the subcommand
	vals        map[string]any // flags and arguments read, by name (see parsed)
	sawFlag     bool           // any flag given (argument numbers of missing arguments are then unknown)
	help        bool           // -h or --help given
	afterReason int            // the argument right after an unquoted reason, -1 if none
}

func (t *table) newParser(opt Options) *parser {
	return &parser{tab: t, max: opt.MaxAddrs, vals: map[string]any{}, afterReason: -1}
}

// run parses text (see Parse). A parser runs once.
func (p *parser) run(text string) (Command, error) {
	if fields := strings.FieldsFunc(text, unicode.IsSpace); len(fields) > 0 {
		first, _ := unwrap(fields[0])
		p.spec = p.tab.lookup(first)
	}
	if !utf8.ValidString(text) {
		return nil, p.fail("The command is not valid UTF-8 text; please retype it.")
	}
	words := lex(text, p.tab.isText)
	if len(words) > 0 {
		s, err := p.first(words[0])
		if err != nil {
			return nil, err
		}
		p.spec = s
		if err := p.rest(words[1:]); err != nil {
			return nil, err
		}
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLen {
		return nil, p.fail("The command is too long: %d characters, at most %d.", n, MaxTextLen)
	}
	if len(words) == 0 {
		return Help{}, nil
	}
	if p.help && p.spec.name != helpName {
		return Help{Topic: p.spec.name}, nil
	}
	if err := p.readArgs(); err != nil {
		return nil, err
	}
	return p.spec.build(parsed{p})
}

// rest reads the words after the subcommand: flags with their values, and
// positional arguments into p.pos.
func (p *parser) rest(words []word) error {
	for i := 0; i < len(words); i++ {
		w := words[i]
		arg := w.text
		if !flagLike(arg) {
			var err error
			if arg, err = p.unwrapArg(w.n, w.text); err != nil {
				return err
			}
		}
		if flagLike(arg) {
			used, err := p.flag(arg, words[i:])
			if err != nil {
				return err
			}
			i += used
			continue
		}
		if err := p.check(w.n, arg); err != nil {
			return err
		}
		p.pos = append(p.pos, posArg{n: w.n, text: arg})
	}
	return nil
}

// first checks the first word, which must be a subcommand.
func (p *parser) first(w word) (*spec, error) {
	arg := w.text
	if !flagLike(arg) {
		var err error
		if arg, err = p.unwrapArg(1, w.text); err != nil {
			return nil, err
		}
	}
	if l := utf8.RuneCountInString(arg); l > MaxArgLen {
		return nil, p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(1, arg), l, MaxArgLen)
	}
	if flagLike(arg) {
		if s := p.tab.lookup(arg); s != nil {
			return s, nil
		}
		name, _, _ := strings.Cut(htmlUnescape.Replace(arg), "=")
		if p.tab.flags[canonFlag(name)] != nil {
			return nil, p.fail("Argument 1: %s goes after the subcommand; a command starts with one of %s.", code(name), p.tab.list)
		}
		return nil, p.fail("Argument 1: unknown flag %s; a command starts with a subcommand: %s.", code(name), p.tab.list)
	}
	if err := p.check(1, arg); err != nil {
		return nil, err
	}
	s := p.tab.lookup(arg)
	if s == nil {
		hint := ""
		squash := strings.NewReplacer("-", "", "_", "")
		for _, t := range p.tab.specs {
			if squash.Replace(strings.ToLower(arg)) == squash.Replace(t.name) {
				hint = fmt.Sprintf(" Did you mean `%s`?", t.name)
			}
		}
		return nil, p.fail("Sorry, unknown subcommand %s; the subcommands are %s.%s", code(arg), p.tab.list, hint)
	}
	return s, nil
}

// readArgs reads the positional arguments into p.vals, argument by
// argument in the order the spec declares them. The first is read as soon
// as it is there, so a bad instance or request ID is the first thing said.
// Each later one first checks how many words it gets (too few, any beside
// the flag that stands for it, and for the last one too many) and only then
// reads them, since what a word means may depend on how many there are.
// Words left after the last argument are extra.
func (p *parser) readArgs() error {
	rest := p.pos
	args := p.spec.args
	for i, a := range args {
		n, err := p.count(a, rest, i > 0 && i == len(args)-1)
		if err != nil {
			return err
		}
		if n > 0 {
			x, err := a.read(parsed{p}, rest[:n])
			if err != nil {
				return err
			}
			p.vals[a.name] = x
		}
		rest = rest[n:]
	}
	return p.extra(rest)
}

// count returns how many of the words rest argument a takes, or the
// refusal when there are too few, or words beside its flag, or (when last
// is set) too many.
func (p *parser) count(a argSpec, rest []posArg, last bool) (int, error) {
	if a.orFlag != "" && p.given(a.orFlag) {
		if len(rest) > 0 && last {
			w := rest[0]
			return 0, p.failAt(w.n, "Argument %d (%s): give either a %s or `%s`, not both.", w.n, code(w.text), a.name, a.orFlag)
		}
		return 0, nil
	}
	if len(rest) == 0 && a.optional != nil && a.optional(parsed{p}) {
		return 0, nil
	}
	if len(rest) < a.min {
		suffix := ""
		if a.max != 1 {
			suffix = " onwards"
		}
		at := p.at(len(p.pos)-len(rest)+2, suffix)
		return 0, p.fail("`/dcs %s` %s", p.spec.name, a.missing(parsed{p}, at))
	}
	n := len(rest)
	if a.max >= 0 && n > a.max {
		n = a.max
	}
	if last {
		return n, p.extra(rest[n:])
	}
	return n, nil
}

// given reports whether the flag or argument name was given.
func (p *parser) given(name string) bool { _, ok := p.vals[name]; return ok }

// extra refuses the positional arguments left over, if any.
func (p *parser) extra(left []posArg) error {
	if len(left) == 0 {
		return nil
	}
	a := left[0]
	return p.failAt(a.n, "`/dcs %s` %s, but argument %d (%s) is extra.", p.spec.name, p.spec.takes, a.n, code(a.text))
}

// fail builds a *UsageError: the sentence, then the usage that fits.
func (p *parser) fail(format string, a ...any) *UsageError {
	msg := fmt.Sprintf(format, a...)
	if p.spec != nil && p.spec.hasTopic() {
		return &UsageError{Msg: msg + "\n" + p.spec.usageLine()}
	}
	return &UsageError{Msg: msg + "\n\n" + p.tab.usage}
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
