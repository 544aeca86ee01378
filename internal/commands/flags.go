package commands

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// flag handles the flag arg, the text of ws[0] (unwrapped if it needed
// it), and returns how many more words it used as its value.
func (p *parser) flag(arg string, ws []word) (int, error) {
	w := ws[0]
	name, val, hasEq := strings.Cut(arg, "=")
	name = htmlUnescape.Replace(name)
	f := canonFlag(name)
	if !p.tab.isText(f) {
		if l := utf8.RuneCountInString(arg); l > MaxArgLen {
			return 0, p.fail("%s is refused: argument too long (%d characters, at most %d).", argRef(w.n, arg), l, MaxArgLen)
		}
	}
	p.sawFlag = true
	if f == "-h" || f == "--help" {
		if hasEq {
			return 0, p.fail("Argument %d: %s takes no value.", w.n, code(name))
		}
		p.help = true
		return 0, nil
	}
	fs, err := p.accept(w.n, name, f)
	if err != nil {
		return 0, err
	}
	if fs.read == nil {
		if hasEq {
			return 0, p.fail("Argument %d: %s takes no value.", w.n, code(f))
		}
		p.vals[f] = true
		return 0, nil
	}
	v, used, err := p.flagValue(fs, ws, val, hasEq)
	if err != nil {
		return 0, err
	}
	x, err := fs.read(p, v)
	if err != nil {
		return 0, err
	}
	p.vals[f] = x
	return used, nil
}

// accept returns the flag f (name as typed) of the subcommand, or the
// refusal: f is unknown, not one the subcommand takes, or given before.
func (p *parser) accept(n int, name, f string) (*flagSpec, error) {
	switch {
	case p.tab.flags[f] == nil:
		return nil, p.fail("Argument %d: unknown flag %s; %s.", n, code(name), p.takes())
	case p.spec.flag(f) == nil:
		return nil, p.fail("Argument %d: `/dcs %s` does not take %s; it %s.", n, p.spec.name, code(name), strings.TrimPrefix(p.takes(), "`/dcs "+p.spec.name+"` "))
	case p.given(f):
		return nil, p.fail("Argument %d: %s is given twice; give it once.", n, code(f))
	}
	return p.spec.flag(f), nil
}

// flagValue finds the value of flag fs, whose word is ws[0]: after "="
// (val, when hasEq) or the next word. It returns the value as a word
// numbered as the argument it is in, and how many more words it used.
// A value that is not free text is unwrapped and checked like any
// argument.
func (p *parser) flagValue(fs *flagSpec, ws []word, val string, hasEq bool) (word, int, error) {
	w := ws[0]
	used, vn, quoted := 0, w.n, w.quoted
	v := w
	if hasEq && val == "" && !fs.text {
		return word{}, 0, p.fail("Argument %d: %s needs a value after it, %s.", w.n, code(fs.name), fs.hint)
	}
	if !hasEq {
		if len(ws) < 2 || !ws[1].quoted && flagLike(ws[1].text) {
			return word{}, 0, p.fail("Argument %d: %s needs a value after it, %s.", w.n, code(fs.name), fs.hint)
		}
		used, vn, quoted, v, val = 1, ws[1].n, ws[1].quoted, ws[1], ws[1].text
	}
	if !fs.text {
		if !hasEq {
			var err error
			if val, err = p.unwrapArg(vn, val); err != nil {
				return word{}, 0, err
			}
		}
		if err := p.check(vn, val); err != nil {
			return word{}, 0, err
		}
	}
	return word{n: vn, text: val, quoted: quoted, open: v.open, unterminated: v.unterminated}, used, nil
}

// takes says which flags the subcommand takes.
func (p *parser) takes() string {
	fs := p.spec.flags
	switch len(fs) {
	case 0:
		return fmt.Sprintf("`/dcs %s` takes no flags", p.spec.name)
	case 1:
		return fmt.Sprintf("`/dcs %s` takes only `%s`", p.spec.name, fs[0].name)
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = "`" + f.name + "`"
	}
	return fmt.Sprintf("`/dcs %s` takes %s", p.spec.name, joinList(names, "and"))
}

// The kinds of flag. Each constructor returns a flag to list in the specs
// that take it.

// switchFlag is a flag without a value: true when given.
func switchFlag(name string) *flagSpec { return &flagSpec{name: name} }

// reasonFlag is --reason "text": why, in free text (see reasonText).
var reasonFlag = &flagSpec{
	name: "--reason",
	arg:  `"text"`,
	hint: "e.g. `--reason \"stuck batch job\"`",
	text: true,
	read: func(p *parser, w word) (any, error) {
		if w.unterminated {
			return nil, p.fail("Argument %d: the quote %s that opens the reason is never closed; end the reason with a matching quote followed by a space or the end of the command.", w.n, code(string(w.open)))
		}
		r, err := p.reasonText(w.n, w.text)
		if err != nil {
			return nil, err
		}
		if !w.quoted {
			p.afterReason = w.n + 1
		}
		return r, nil
	},
}

// enumFlag takes one of values (lower case), in any case; its value is a
// string in lower case.
func enumFlag(name string, values ...string) *flagSpec {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	f := &flagSpec{name: name, arg: strings.Join(values, "|"), hint: joinList(quoted, "or")}
	f.read = func(p *parser, w word) (any, error) {
		s := strings.ToLower(w.text)
		for _, v := range values {
			if s == v {
				return s, nil
			}
		}
		return nil, p.fail("Argument %d: `%s` must be %s, not %s.", w.n, name, f.hint, code(w.text))
	}
	return f
}

// intFlag takes a whole number from lo to hi (leading zeros allowed); its
// value is an int.
func intFlag(name string, lo, hi int) *flagSpec {
	f := &flagSpec{name: name, arg: "N", hint: fmt.Sprintf("a number from %d to %d", lo, hi)}
	f.read = func(p *parser, w word) (any, error) {
		n, ok := smallNumber(w.text)
		if !ok || n < lo || n > hi {
			return nil, p.fail("Argument %d: `%s` must be %s, not %s.", w.n, name, f.hint, code(w.text))
		}
		return n, nil
	}
	return f
}

// durationFlag takes a duration from lo to hi, written as Go writes them
// ("90s", "10m", "1h30m"; see parseDuration); its value is a
// time.Duration.
func durationFlag(name string, lo, hi time.Duration) *flagSpec {
	f := &flagSpec{name: name, arg: "<duration>", hint: "a duration like `10m` or `1h30m`"}
	f.read = func(p *parser, w word) (any, error) {
		d, want := parseDuration(w.text, lo, hi)
		if want != "" {
			return nil, p.fail("Argument %d: `%s` must be %s, not %s.", w.n, name, want, code(w.text))
		}
		return d, nil
	}
	return f
}
