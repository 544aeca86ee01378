package app_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/store/pgtest"
)

// fx is the end-to-end env with what the fault tests add: every request
// kills a session of its own (a new live address on the node), so fakedcs's
// kills can be counted per request.
type fx struct {
	*env
	next int
}

func newFx(t *testing.T, opts ...envOption) *fx {
	t.Helper()
	return &fx{env: newEnv(t, opts...)}
}

// newAddr returns an address no request has used, connected to the node.
func (f *fx) newAddr() string {
	f.next++
	a := fmt.Sprintf("10.0.%d.%d:5000", 100+f.next/200, f.next%200+1)
	cs := f.dcs.Clients(instanceID, nodeID)
	cs = append(cs, fakedcs.Client{ID: fmt.Sprint(9000 + f.next), Addr: a, Peer: a, Age: 600, Idle: 5, Name: "app"})
	f.dcs.SetClients(instanceID, nodeID, cs)
	return a
}

func killOf(addr string) string { return "kill orders-prod " + nodeID + " " + addr }

// ask requests the kill of a new address and returns its approval message
// once the store has recorded where it is.
func (f *fx) ask() (fakeslack.Message, string) {
	f.t.Helper()
	a := f.newAddr()
	m := f.request(killOf(a))
	f.stored(m)
	return m, a
}

// approve clicks Approve as approver1 and waits until fakedcs got the kill.
func (f *fx) approve(m fakeslack.Message, addr string) {
	f.t.Helper()
	f.mustClick(approver1, m, "dcs_approve")
	f.waitFor("kill of "+addr+" at DCS", func() bool { return f.killsOf(addr) > 0 })
}

// killsOf is how many kill calls fakedcs got for the address.
func (f *fx) killsOf(addr string) int {
	n := 0
	for _, k := range f.dcs.Kills() {
		if slices.Contains(k.Addrs, addr) {
			n++
		}
	}
	return n
}

// stored returns the request whose approval message m is.
func (f *fx) stored(m fakeslack.Message) *approvals.Request {
	f.t.Helper()
	var r *approvals.Request
	f.waitFor("request of message "+m.TS+" in the store", func() bool {
		rs, err := f.app.Store().List(context.Background(), approvals.ListFilter{Limit: 1000})
		if err != nil {
			return false
		}
		for _, x := range rs {
			if x.MessageTS == m.TS {
				r = x
				return true
			}
		}
		return false
	})
	return r
}

// ends waits for m's request to reach state and its thread to say fragment,
// then checks that the message shows a final state without buttons and that
// fakedcs got exactly kills kill calls for addr.
func (f *fx) ends(m fakeslack.Message, addr string, state approvals.State, fragment string, kills int) {
	f.t.Helper()
	id := f.stored(m).ID
	f.waitFor(fmt.Sprintf("request of %s %s", addr, state), func() bool {
		r, err := f.app.Store().Get(context.Background(), id)
		return err == nil && r.State.Final()
	})
	if r := f.stored(m); r.State != state {
		f.t.Fatalf("request of %s ended %s, want %s (result %+v)", addr, r.State, state, r.Result)
	}
	f.threadHas(m, fragment)
	f.waitFor("approval message redrawn without buttons", func() bool { return !hasButtons(f.t, f.message(m).Blocks) })
	time.Sleep(100 * time.Millisecond) // let a wrong second kill arrive
	if n := f.killsOf(addr); n != kills {
		f.t.Fatalf("fakedcs got %d kills of %s, want %d", n, addr, kills)
	}
}

// healthy checks what must hold after any fault: a fresh request goes
// through, no address was killed twice, no request is stuck approved or
// executing, and every request that left pending through an approval ended
// succeeded, failed or unknown with its thread saying so.
func (f *fx) healthy() {
	f.t.Helper()
	m, a := f.ask()
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

	seen := map[string]bool{}
	for _, k := range f.dcs.Kills() {
		for _, a := range k.Addrs {
			if seen[a] {
				f.t.Errorf("%s was killed twice", a)
			}
			seen[a] = true
		}
	}
	rs, err := f.app.Store().List(context.Background(), approvals.ListFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rs {
		switch r.State {
		case approvals.Approved, approvals.Executing:
			f.t.Errorf("request %s left %s", r.ID, r.State)
		case approvals.Succeeded, approvals.Failed, approvals.Unknown:
			said := false
			for _, m := range f.slack.Thread(r.ChannelID, r.MessageTS) {
				said = said || strings.Contains(m.Text, outcomeSaid[r.State])
			}
			if !said {
				f.t.Errorf("request %s is %s but its thread does not say so", r.ID, r.State)
			}
		}
	}
}

// outcomeSaid is what a thread reply says of each outcome ("Outcome
// unknown" after a DCS timeout, "outcome is *unknown*" after a restart).
var outcomeSaid = map[approvals.State]string{
	approvals.Succeeded: "DCS accepted the kill",
	approvals.Failed:    "The kill failed",
	approvals.Unknown:   "nknown",
}

// tryAgainTo waits for an ephemeral to user asking to try again.
func (f *fx) tryAgainTo(user string) { f.t.Helper(); f.ephemeralTo(user, "Try again") }

// ---- PostgreSQL ----

// faultPostgresDSN returns the test database's DSN: skipped loudly without
// a reachable database, failed in CI (CI must run these tests).
func faultPostgresDSN(t *testing.T) string { return pgtest.DSN(t) }

// faultSchema creates an empty schema, dropped when the test ends, and
// returns the DSN with its search_path set to it and its host and port
// replaced by via (a proxy's address).
func faultSchema(t *testing.T, dsn, via string) string {
	t.Helper()
	name := "t_" + strings.ToLower(rand.Text()[:16])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + name + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	host, port, _ := strings.Cut(via, ":")
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", pgtest.EnvDSN, err)
		}
		u.Host = via
		q := u.Query()
		q.Set("search_path", name)
		q.Set("connect_timeout", "2")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return fmt.Sprintf("%s host=%s port=%s search_path=%s connect_timeout=2", dsn, host, port, name)
}

// postgresTarget is host:port of the database dsn names.
func postgresTarget(t *testing.T, dsn string) string {
	t.Helper()
	host, port := "127.0.0.1", "5432"
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if u.Hostname() != "" {
			host = u.Hostname()
		}
		if u.Port() != "" {
			port = u.Port()
		}
	} else {
		for _, kv := range strings.Fields(dsn) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "host":
				host = v
			case "port":
				port = v
			}
		}
	}
	return host + ":" + port
}

// ---- SQLite ----

// lockSQLite takes the write lock of the SQLite file with another
// connection (BEGIN EXCLUSIVE) and returns the function that releases it.
func lockSQLite(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Errorf("unlock: %v", err)
		}
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}
