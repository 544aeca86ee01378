package bench

import (
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"
)

// The bench counts the SQLite commits of the bots it runs in this process
// with the driver's own hooks, so the bot's code is measured unchanged:
// every connection the "sqlite" driver opens on a counted database file
// gets a commit hook, and a pre-update hook that notes which tables the
// transaction changed. A commit that changed requests, approvals or events
// is the request lifecycle's; any other (the audit shipper's cursor, the
// overview's viewers) counts apart.

// commits counts the commits of one database file.
type commits struct{ lifecycle, other atomic.Int64 }

// commitCount is a reading of a commits.
type commitCount struct{ lifecycle, other int64 }

func (c *commits) read() commitCount {
	return commitCount{c.lifecycle.Load(), c.other.Load()}
}

// since is what was committed after before.
func (c commitCount) since(before commitCount) commitCount {
	return commitCount{c.lifecycle - before.lifecycle, c.other - before.other}
}

var (
	hookOnce sync.Once
	counted  sync.Map // database path -> *commits
)

// countCommitsOf counts the commits of the SQLite file at path from now
// until the end of tb.
func countCommitsOf(tb testing.TB, path string) *commits {
	hookOnce.Do(func() { sqlite.RegisterConnectionHook(hookCommits) })
	c := &commits{}
	counted.Store(path, c)
	tb.Cleanup(func() { counted.Delete(path) })
	return c
}

// hookCommits hooks a connection of a counted database.
func hookCommits(conn sqlite.ExecQuerierContext, dsn string) error {
	var c *commits
	counted.Range(func(k, v any) bool {
		p := k.(string)
		if strings.Contains(dsn, p) || strings.Contains(dsn, (&url.URL{Path: p}).EscapedPath()) {
			c = v.(*commits)
			return false
		}
		return true
	})
	h, ok := conn.(sqlite.HookRegisterer)
	if c == nil || !ok {
		return nil
	}
	var lifecycle atomic.Bool // this connection's transaction changed a lifecycle table
	h.RegisterPreUpdateHook(func(d sqlite.SQLitePreUpdateData) {
		debugTables.Store(d.TableName, true)
		switch d.TableName {
		case "requests", "approvals", "events":
			lifecycle.Store(true)
		}
	})
	h.RegisterCommitHook(func() int32 {
		if lifecycle.Swap(false) {
			c.lifecycle.Add(1)
		} else {
			c.other.Add(1)
		}
		return 0 // go on with the commit
	})
	h.RegisterRollbackHook(func() { lifecycle.Store(false) })
	return nil
}

var debugTables sync.Map
