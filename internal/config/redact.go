package config

import (
	"net/url"
	"strings"
	"unicode"
)

// SecretValues returns the value of every secret the configuration holds,
// for a log redactor: each secret read from the environment and, with a
// postgres store, the DSN and the password in it (in URL or key=value
// form). A SQLite DSN is a file name, not a secret, and is not among them.
func (c *Config) SecretValues() []string {
	var out []string
	for _, v := range secretVars {
		if val := v.field(&c.Secrets).Reveal(); val != "" {
			out = append(out, val)
		}
	}
	if dsn := c.Store.DSN.Reveal(); c.Store.Driver == StorePostgres && dsn != "" {
		out = append(out, dsn)
		out = append(out, dsnPasswords(dsn)...)
	}
	return out
}

// dsnPasswords returns the passwords a postgres DSN holds: a URL's user
// password and password query parameter, or a key=value string's
// password values.
func dsnPasswords(dsn string) []string {
	var out []string
	add := func(pw string) {
		if pw != "" {
			out = append(out, pw)
		}
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil
		}
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		for _, pw := range u.Query()["password"] {
			add(pw)
		}
		return out
	}
	for key, val := range keywordValues(dsn) {
		if key == "password" {
			add(val)
		}
	}
	return out
}

// keywordValues yields the settings of a libpq key=value connection
// string: keyword = value pairs apart by spaces, a value either bare or in
// single quotes, a backslash taking the next character as it is. It stops
// at the first thing that is not a setting.
func keywordValues(s string) func(yield func(key, val string) bool) {
	return func(yield func(key, val string) bool) {
		rest := s
		for {
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
			eq := strings.IndexByte(rest, '=')
			if rest == "" || eq <= 0 {
				return
			}
			key := strings.TrimSpace(rest[:eq])
			var val string
			val, rest = settingValue(strings.TrimLeftFunc(rest[eq+1:], unicode.IsSpace))
			if !yield(key, val) {
				return
			}
		}
	}
}

// settingValue reads one value from the start of s and returns it and
// what follows it.
func settingValue(s string) (val, rest string) {
	quoted := strings.HasPrefix(s, "'")
	if quoted {
		s = s[1:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case quoted && c == '\'':
			return b.String(), s[i+1:]
		case !quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'):
			return b.String(), s[i:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}
