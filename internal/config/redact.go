package config

import (
	"net/url"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
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

// dsnPasswords returns the passwords a postgres DSN holds, read by the
// driver's own parser (pgconn.ParseConfig: URL or key=value form, and a
// PGPASSWORD or passfile it falls back to), and a URL's user password,
// which a password query parameter overrides for the driver but still
// stands in the text. A DSN the driver cannot parse adds nothing: the DSN
// itself is redacted, and the driver's errors hide its password.
func dsnPasswords(dsn string) []string {
	var out []string
	add := func(pw string) {
		if pw != "" && !slices.Contains(out, pw) {
			out = append(out, pw)
		}
	}
	if cfg, err := pgconn.ParseConfig(dsn); err == nil {
		add(cfg.Password)
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		pw, _ := u.User.Password()
		add(pw)
	}
	return out
}
