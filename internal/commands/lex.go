package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// word is one argument of the command text.
type word struct {
	n    int    // 1-based argument number
	text string // as typed; for a quoted reason, the text between the quotes
	// quoted is set on the value of a flag of free text (--reason) when it
	// was in quotes: the word itself (--reason "a b") or the part after =
	// (--reason="a b").
	quoted bool
	open   rune // the opening quote of a quoted value
	// unterminated is set (with quoted) when the opening quote is never
	// closed; text then runs to the end of the command.
	unterminated bool
}

// lex splits text into words at Unicode white space, except the value of
// a flag of free text (--reason; isText reports which, given the flag's
// name as canonFlag writes it): when it starts with a quote (" ' “ ” ‘ ’)
// it runs to the matching closing quote, white space and all. Quotes
// anywhere else are left in their words, for the argument checks to
// refuse.
//
// A closing quote is one of the opening quote's family (" “ ” or ' ‘ ’)
// followed by white space or the end of the text; a quote followed by
// anything else is part of the reason, so `--reason 'don't'` is "don't".
func lex(text string, isText func(name string) bool) []word {
	var words []word
	i := 0
	for {
		i = skipSpace(text, i)
		if i >= len(text) {
			return words
		}
		end := wordEnd(text, i)
		w := word{n: len(words) + 1, text: text[i:end]}
		name, _, hasEq := strings.Cut(w.text, "=")
		if !isText(canonFlag(name)) {
			words = append(words, w)
			i = end
			continue
		}
		if hasEq {
			// --reason=value: the value may open a quote.
			q := i + len(name) + 1
			if r, _ := utf8.DecodeRuneInString(text[q:]); isQuote(r) {
				v, next := quoted(text, q)
				v.n, v.text = w.n, name+"="+v.text
				words = append(words, v)
				i = next
				continue
			}
			words = append(words, w)
			i = end
			continue
		}
		words = append(words, w)
		// --reason value: the next word, or the quoted text that starts it.
		i = skipSpace(text, end)
		if i >= len(text) {
			return words
		}
		if r, _ := utf8.DecodeRuneInString(text[i:]); isQuote(r) {
			v, next := quoted(text, i)
			v.n = len(words) + 1
			words = append(words, v)
			i = next
		}
	}
}

// quoted reads the quoted text that starts with the quote at text[q:]. It
// returns the word (without n) and where lexing goes on.
func quoted(text string, q int) (word, int) {
	open, size := utf8.DecodeRuneInString(text[q:])
	start := q + size
	for j := start; j < len(text); {
		r, sz := utf8.DecodeRuneInString(text[j:])
		if closes(open, r) {
			after, _ := utf8.DecodeRuneInString(text[j+sz:])
			if j+sz == len(text) || unicode.IsSpace(after) {
				return word{text: text[start:j], quoted: true, open: open}, j + sz
			}
		}
		j += sz
	}
	return word{text: text[start:], quoted: true, open: open, unterminated: true}, len(text)
}

const (
	doubleQuotes = "\"“”"
	singleQuotes = "'‘’"
)

// isQuote reports whether r may open a quoted reason. Either curly quote
// may open one: macOS and iOS turn " into ” after a non-space, as in
// --reason=”text”.
func isQuote(r rune) bool { return strings.ContainsRune(doubleQuotes+singleQuotes, r) }

// closes reports whether r closes a quote opened with open.
func closes(open, r rune) bool {
	if strings.ContainsRune(doubleQuotes, open) {
		return strings.ContainsRune(doubleQuotes, r)
	}
	return strings.ContainsRune(singleQuotes, r)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, sz := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += sz
	}
	return i
}

func wordEnd(s string, i int) int {
	for i < len(s) {
		r, sz := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += sz
	}
	return i
}

// canonFlag returns the flag name s (the part before any =) as the parser
// knows it: lower case, and a leading em or en dash, which macOS and iOS
// substitute for a typed "--", read as "--". It returns s unchanged when s
// is not flag-like.
func canonFlag(s string) string {
	for _, dash := range []string{"—", "–"} {
		if strings.HasPrefix(s, dash) {
			s = "--" + s[len(dash):]
			break
		}
	}
	if !strings.HasPrefix(s, "-") {
		return s
	}
	return strings.ToLower(s)
}

// flagLike reports whether an argument is meant as a flag.
func flagLike(s string) bool {
	return strings.HasPrefix(s, "-") || strings.HasPrefix(s, "—") || strings.HasPrefix(s, "–")
}
