package commands

import (
	"fmt"
	"strings"
	"time"
)

// spec declares one subcommand. Everything the package says or checks
// about a subcommand comes from its spec.
type spec struct {
	name string // what the user types, in lower case: "kill-all"
	// help is its help topic, shown after its usage line: what it does and
	// what its arguments mean, ending in a newline. It is "" for help
	// itself, which has no topic: UsageFor("help") and its errors show the
	// full usage.
	help string
	// examples are commands (after "/dcs ") its help topic ends with.
	examples []string
	// usageExample is the command (after "/dcs ") the full usage shows
	// among its examples.
	usageExample string
	// takes says what its positional arguments are, for the message on
	// an extra one: "takes only the instance" makes "`/dcs nodes` takes
	// only the instance, but argument 3 (`x`) is extra." Unused when the
	// last argument takes any number of words.
	takes string
	args  []argSpec   // positional arguments, in order; see parser.readArgs
	flags []*flagSpec // flags, in the order messages list them; -h and --help come free
	// build makes the command from what was read; it may refuse with
	// v.fail.
	build func(v parsed) (Command, error)
}

// argSpec is one positional argument of a subcommand, or a run of them.
type argSpec struct {
	// name is the key of its value and, unless usage is set, its
	// placeholder in the usage line: "instance" shows as <instance>.
	name  string
	usage string // its part of the usage line, when it is not derived from name, min, max and orFlag
	// min and max bound how many words it takes; max < 0 means no limit.
	min, max int
	// orFlag is a switch given instead of the argument ("--all-nodes"):
	// at most one of the two may be given. When it is, the argument takes
	// no words: the last argument refuses any, another leaves them to the
	// arguments after it.
	orFlag string
	// optional, when set, lets an argument with min > 0 take no words at
	// all when it returns true; it sees the flags and the arguments before
	// this one.
	optional func(v parsed) bool
	// missing is the sentence, after "`/dcs <sub>` ", that says it is
	// missing; at is " (argument n)", or "" when flags make n uncertain.
	missing func(v parsed, at string) string
	// read turns its words (from min, or 1 when min is 0, to max of them)
	// into its value.
	read func(v parsed, ws []posArg) (any, error)
}

// flagSpec is one flag.
type flagSpec struct {
	name string // "--reason": lower case, with its two dashes
	// arg is the placeholder of its value in the usage line ("N"); "" for a
	// switch, which takes no value.
	arg string
	// hint says what a value looks like, to end "`--limit` needs a value
	// after it, <hint>."
	hint string
	// text marks free text (the reason): the lexer lets its value be
	// quoted, and it is exempt from the checks other arguments get.
	text bool
	// read turns the value (w.text; w.n is its argument number) into what
	// build sees; nil for a switch, which is true when given.
	read func(p *parser, w word) (any, error)
}

// posArg is a positional argument after the subcommand.
type posArg struct {
	n    int // argument number
	text string
}

// table is a set of subcommands and what follows from them.
type table struct {
	specs []*spec              // in the order help lists them
	flags map[string]*flagSpec // every flag of every spec, by name
	names map[string]*spec     // specs by name
	usage string               // the full usage text
	list  string               // "`kill`, `kill-all`, ... and `help`"
}

// newTable checks specs and derives the usage text from them; overview is
// the prose the usage text shows between the usage lines and the
// examples. It panics on a malformed spec: that is a bug in the table.
func newTable(specs []*spec, overview string) *table {
	t := &table{specs: specs, flags: map[string]*flagSpec{}, names: map[string]*spec{}}
	for _, s := range specs {
		if err := s.check(); err != nil {
			panic("commands: " + err.Error())
		}
		if t.names[s.name] != nil {
			panic("commands: subcommand " + s.name + " declared twice")
		}
		t.names[s.name] = s
		for _, f := range s.flags {
			if g := t.flags[f.name]; g != nil && g != f {
				panic("commands: two different flags named " + f.name)
			}
			t.flags[f.name] = f
		}
	}
	if t.names[helpName] == nil {
		panic("commands: no " + helpName + " subcommand")
	}
	t.list = t.subcommandList()
	t.usage = t.fullUsage(overview)
	return t
}

// check reports what is wrong with s.
func (s *spec) check() error {
	if s.name == "" || s.name != strings.ToLower(s.name) || flagLike(s.name) || s.build == nil {
		return fmt.Errorf("subcommand %q: needs a lower-case name that is not a flag, and a build", s.name)
	}
	seen := map[string]bool{}
	for _, a := range s.args {
		switch {
		case seen[a.name] || flagLike(a.name) || a.read == nil || a.min > 0 && a.missing == nil:
			return fmt.Errorf("%s: argument %q repeated, or without read or missing", s.name, a.name)
		case a.usage == "" && a.fragment() == "":
			return fmt.Errorf("%s: argument %q needs its usage spelled out", s.name, a.name)
		case a.orFlag != "" && (s.flag(a.orFlag) == nil || s.flag(a.orFlag).read != nil):
			return fmt.Errorf("%s: argument %q: orFlag must be a switch of the subcommand", s.name, a.name)
		}
		seen[a.name] = true
	}
	for _, f := range s.flags {
		if seen[f.name] || !strings.HasPrefix(f.name, "--") || f.name != strings.ToLower(f.name) {
			return fmt.Errorf("%s: flag %q repeated or not a lower-case --name", s.name, f.name)
		}
		seen[f.name] = true
	}
	if s.takes == "" && (len(s.args) == 0 || s.args[len(s.args)-1].max >= 0) {
		return fmt.Errorf("%s: needs takes, for the message on an extra argument", s.name)
	}
	return nil
}

// flag returns the flag of s named name, nil if s takes none.
func (s *spec) flag(name string) *flagSpec {
	for _, f := range s.flags {
		if f.name == name {
			return f
		}
	}
	return nil
}

// hasTopic reports whether s has a help topic of its own; errors of a
// subcommand without one end with the full usage.
func (s *spec) hasTopic() bool { return s.help != "" }

// synopsis is s's usage without "Usage: /dcs ": its name, arguments and
// flags ("history [<instance>] [--limit N]").
func (s *spec) synopsis() string {
	parts := []string{s.name}
	or := map[string]bool{}
	for _, a := range s.args {
		parts = append(parts, a.fragment())
		or[a.orFlag] = true
	}
	for _, f := range s.flags {
		if or[f.name] {
			continue
		}
		if f.arg == "" {
			parts = append(parts, "["+f.name+"]")
		} else {
			parts = append(parts, "["+f.name+" "+f.arg+"]")
		}
	}
	return strings.Join(parts, " ")
}

// usageLine is the line errors of s end with.
func (s *spec) usageLine() string { return "Usage: /dcs " + s.synopsis() }

// fragment is a's part of the usage line, "" when it cannot be derived.
func (a argSpec) fragment() string {
	p := "<" + a.name + ">"
	switch {
	case a.usage != "":
		return a.usage
	case a.orFlag != "" && a.min == 1 && a.max == 1:
		return "(" + p + " | " + a.orFlag + ")"
	case a.orFlag != "":
		return ""
	case a.min == 1 && a.max == 1:
		return p
	case a.min == 0 && a.max == 1:
		return "[" + p + "]"
	case a.min == 1 && a.max < 0:
		return p + " [" + p + "...]"
	case a.min == 0 && a.max < 0:
		return "[" + p + "...]"
	}
	return ""
}

// fullUsage is the text Usage returns: every usage line, the overview,
// and one example of each subcommand.
func (t *table) fullUsage(overview string) string {
	var b strings.Builder
	b.WriteString("```\n")
	for i, s := range t.specs {
		if i == 0 {
			b.WriteString(s.usageLine())
		} else {
			b.WriteString(strings.Repeat(" ", len("Usage: ")) + "/dcs " + s.synopsis())
		}
		b.WriteString("\n")
	}
	b.WriteString("```\n" + overview + "\n" + "Examples (`/dcs help <subcommand>` tells more):")
	for _, s := range t.specs {
		b.WriteString("\n• `/dcs " + s.usageExample + "`")
	}
	return b.String()
}

// topic is the help on s: its usage line, help text and examples.
func (t *table) topic(s *spec) string {
	ex := "Example: `/dcs " + strings.Join(s.examples, "") + "`"
	if len(s.examples) != 1 {
		ex = "Examples:\n• `/dcs " + strings.Join(s.examples, "`\n• `/dcs ") + "`"
	}
	return "```\n" + s.usageLine() + "\n```\n" + s.help + "\n" + ex
}

// usageFor is UsageFor on t.
func (t *table) usageFor(topic string) string {
	if s := t.lookup(topic); s != nil && s.hasTopic() {
		return t.topic(s)
	}
	return t.usage
}

// subcommandList names every subcommand: "`kill`, `kill-all`, ... and `help`".
func (t *table) subcommandList() string {
	names := make([]string, len(t.specs))
	for i, s := range t.specs {
		names[i] = "`" + s.name + "`"
	}
	return joinList(names, "and")
}

// joinList joins words as a sentence lists them: "a, b and c" (conj
// "and") or "a, b or c" (conj "or").
func joinList(words []string, conj string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// helpName is the subcommand -h and --help stand for.
const helpName = "help"

// lookup returns the subcommand s names (in any case; -h and --help name
// help), or nil.
func (t *table) lookup(s string) *spec {
	s = strings.ToLower(canonFlag(s))
	if s == "-h" || s == "--help" {
		s = helpName
	}
	return t.names[s]
}

// isText reports whether the flag named name (canonical) takes free text.
func (t *table) isText(name string) bool {
	f := t.flags[name]
	return f != nil && f.text
}

// parsed is what the parser read for one command, as its spec's build
// sees it: each flag's value under its name ("--reason") and each
// argument's under its name ("instance"). A flag or argument not given
// has no value; the accessors then return the zero value or the default
// they are given.
type parsed struct{ p *parser }

// value returns the value of name, and whether it was given. A value of
// another type than T is a bug in the table, and panics.
func value[T any](v parsed, name string) (T, bool) {
	x, ok := v.p.vals[name]
	if !ok {
		var zero T
		return zero, false
	}
	return x.(T), true
}

// on is the value of a switch: whether it was given.
func (v parsed) on(name string) bool { x, _ := value[bool](v, name); return x }

func (v parsed) str(name string) string { x, _ := value[string](v, name); return x }

func (v parsed) strs(name string) []string { x, _ := value[[]string](v, name); return x }

func (v parsed) node(name string) NodeRef { x, _ := value[NodeRef](v, name); return x }

func (v parsed) duration(name string) time.Duration { x, _ := value[time.Duration](v, name); return x }

// strOr is str with a default for a value not given.
func (v parsed) strOr(name, def string) string {
	if x, ok := value[string](v, name); ok {
		return x
	}
	return def
}

// num is the value of a number, def when not given.
func (v parsed) num(name string, def int) int {
	if x, ok := value[int](v, name); ok {
		return x
	}
	return def
}

// fail refuses the command: see parser.fail.
func (v parsed) fail(format string, a ...any) error { return v.p.fail(format, a...) }
