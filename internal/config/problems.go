package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Key is where the problem is: a YAML key path such as "policy.ttl" or
	// "policy.channels[1]", an environment variable name such as
	// "SLACK_BOT_TOKEN", or the config file's path for a file-level problem.
	Key string
	// Message says what is wrong. It never contains a secret's value.
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// Problems is every problem found while loading a configuration, sorted by
// key. It is the error Load, Parse and Validate return.
type Problems []Problem

// Error lists every problem, one "<key>: <message>" per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while loading.
type problems struct{ list Problems }

func (p *problems) add(key, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	p.list = append(p.list, Problem{Key: oneLine(key), Message: oneLine(msg)})
}

// err returns the sorted problems, or nil when there are none.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.sorted()
}

// sorted returns the problems sorted by key.
func (p *problems) sorted() Problems {
	out := make(Problems, len(p.list))
	copy(out, p.list)
	sort.SliceStable(out, func(i, j int) bool { return keyLess(out[i].Key, out[j].Key) })
	return out
}

// oneLine keeps a problem on its line: Problems.Error is one problem a line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", "; ", "\n", "; ", "\r", "; ").Replace(s)
}

// keyLess orders keys byte-wise except that runs of digits compare as
// numbers, so policy.channels[2] comes before policy.channels[10].
func keyLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// child joins a key path and a mapping key, quoting keys that would not read
// back as one plain path element.
func child(parent, key string) string {
	if !plainKey(key) {
		key = quote(key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '-' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

func index(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// quote shows a (non-secret) value in a message: Go-quoted, and cut short
// when long.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
