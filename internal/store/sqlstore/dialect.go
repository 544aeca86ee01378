// Package sqlstore implements approvals.Store once, over database/sql, for
// the SQL databases dcsbot supports. The backends (internal/store/sqlite,
// internal/store/postgres) open the database, migrate it and hand it over
// with a Dialect that covers the few places where the databases differ.
package sqlstore

import (
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the databases. Queries are written once,
// with ? placeholders.
type Dialect struct {
	// Name shows in errors ("sqlite", "postgres").
	Name string
	// NumberedParams rewrites ? into $1, $2, ... (PostgreSQL).
	NumberedParams bool
	// TimeValue turns a UTC time, already truncated to microseconds, into
	// the value stored in a time column. Reading back accepts either a
	// time.Time or an int64 of Unix microseconds (see timeScanner).
	TimeValue func(t time.Time) any
	// LockRow ends a "SELECT ... FROM requests WHERE id = ?" run inside a
	// write transaction so that the row stays locked until commit
	// ("FOR UPDATE" on PostgreSQL; empty on SQLite, whose write
	// transactions already exclude one another).
	LockRow string
}

// rebind rewrites the ? placeholders of q for d. No query in this package
// holds a literal question mark.
func (d Dialect) rebind(q string) string {
	if !d.NumberedParams {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Precision is the precision times are stored with: both databases keep
// microseconds, so every time is truncated to it before it is written, and a
// time read back equals the one written truncated to Precision.
const Precision = time.Microsecond

func (d Dialect) time(t time.Time) any { return d.TimeValue(t.UTC().Truncate(Precision)) }

// optTime is time, or NULL for the zero time.
func (d Dialect) optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.time(t)
}
