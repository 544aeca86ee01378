package approvals_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// client is a session with what the selectors look at.
func client(id, addr, name, cmd string, idle time.Duration) approvals.Session {
	return approvals.Session{ID: id, Addr: addr, Peer: addr, Name: name, Cmd: cmd, Age: time.Hour, Idle: idle}
}

func TestSelectorMatch(t *testing.T) {
	x := client("1", "10.0.3.7:5000", "Billing-API", "KEYS", 10*time.Minute)
	v6 := client("2", "[2001:db8::51]:47105", "cache-warmer", "client|list", time.Minute)
	link := client("3", "[fe80::1]:6379", "", "get", 0)
	peer := approvals.Session{ID: "4", Addr: "198.19.0.5:4000", Peer: "10.9.9.9:1234", Name: "via-proxy", Cmd: "get"}
	mapped := client("5", "[::ffff:10.0.3.8]:1", "", "get", 0)
	tests := []struct {
		name string
		sel  approvals.Selector
		x    approvals.Session
		want bool
	}{
		{"zero selects nothing", approvals.Selector{}, x, false},
		{"name part, any case", approvals.Selector{Name: "billing"}, x, true},
		{"name upper case", approvals.Selector{Name: "API"}, x, true},
		{"name absent", approvals.Selector{Name: "orders"}, x, false},
		{"name on an unnamed client", approvals.Selector{Name: "a"}, link, false},
		{"cmd, any case", approvals.Selector{Cmd: "keys"}, x, true},
		{"cmd is equality, not a prefix", approvals.Selector{Cmd: "key"}, x, false},
		{"cmd names a subcommand's command", approvals.Selector{Cmd: "client"}, v6, true},
		{"cmd with its subcommand", approvals.Selector{Cmd: "CLIENT|LIST"}, v6, true},
		{"idle over", approvals.Selector{IdleOver: 9 * time.Minute}, x, true},
		{"idle over is strict", approvals.Selector{IdleOver: 10 * time.Minute}, x, false},
		{"ipv4 exact", approvals.Selector{IP: "10.0.3.7"}, x, true},
		{"ipv4 exact, other host", approvals.Selector{IP: "10.0.3.70"}, x, false},
		{"ipv4 prefix", approvals.Selector{IP: "10.0.3."}, x, true},
		{"ipv4 prefix stops at the dot", approvals.Selector{IP: "10.0.30."}, x, false},
		{"ipv4 prefix of one octet", approvals.Selector{IP: "10."}, x, true},
		{"ipv6 exact", approvals.Selector{IP: "2001:db8::51"}, v6, true},
		{"ipv6 exact, any spelling", approvals.Selector{IP: "2001:DB8:0:0:0:0:0:51"}, v6, true},
		{"ipv6 prefix with a gap", approvals.Selector{IP: "2001:db8::"}, v6, true},
		{"ipv6 prefix of groups", approvals.Selector{IP: "2001:db8:"}, v6, true},
		{"ipv6 prefix stops at the colon", approvals.Selector{IP: "2001:db80:"}, v6, false},
		{"ipv6 prefix upper case", approvals.Selector{IP: "FE80::"}, link, true},
		{"ipv6 link-local prefix elsewhere", approvals.Selector{IP: "fe80::"}, v6, false},
		{"ipv6 prefix never matches ipv4", approvals.Selector{IP: "10:"}, x, false},
		{"the peer address counts", approvals.Selector{IP: "10.9.9.9"}, peer, true},
		{"the address counts", approvals.Selector{IP: "198.19."}, peer, true},
		{"an IPv4-mapped address is its IPv4", approvals.Selector{IP: "10.0.3.8"}, mapped, true},
		{"all must match", approvals.Selector{Name: "billing", Cmd: "keys", IP: "10.0.3.", IdleOver: time.Minute}, x, true},
		{"one that does not spoils it", approvals.Selector{Name: "billing", Cmd: "get", IP: "10.0.3."}, x, false},
	}
	for _, tt := range tests {
		if got := tt.sel.Match(tt.x); got != tt.want {
			t.Errorf("%s: %+v.Match(%s) = %v, want %v", tt.name, tt.sel, tt.x.Addr, got, tt.want)
		}
	}
}

func TestSelectorString(t *testing.T) {
	for _, tt := range []struct {
		sel  approvals.Selector
		want string
	}{
		{approvals.Selector{}, ""},
		{approvals.Selector{Cmd: "keys"}, "--cmd keys"},
		{approvals.Selector{Name: "billing", IP: "10.0.3.", Cmd: "keys", IdleOver: 10 * time.Minute}, "--name billing --ip 10.0.3. --cmd keys --idle-over 10m"},
		{approvals.Selector{IdleOver: 90 * time.Minute}, "--idle-over 1h30m"},
		{approvals.Selector{IdleOver: 90 * time.Second}, "--idle-over 1m30s"},
		{approvals.Selector{IdleOver: 2 * time.Hour}, "--idle-over 2h"},
	} {
		if got := tt.sel.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.sel, got, tt.want)
		}
	}
}

func TestChooseSortsMostIdleFirst(t *testing.T) {
	got := approvals.Selector{Cmd: "get"}.Choose([]approvals.Session{
		client("1", "10.0.0.1:1", "", "get", time.Second), client("2", "10.0.0.2:1", "", "set", time.Hour),
		client("3", "10.0.0.3:1", "", "GET", time.Minute), client("4", "10.0.0.4:1", "", "get", time.Minute),
	})
	var addrs []string
	for _, x := range got {
		addrs = append(addrs, x.Addr)
	}
	if want := []string{"10.0.0.3:1", "10.0.0.4:1", "10.0.0.1:1"}; !slices.Equal(addrs, want) {
		t.Fatalf("chose %v, want %v", addrs, want)
	}
}

// Node IDs of a proxy instance.
const (
	proxy1 = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	proxy2 = "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
	proxy3 = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
)

// proxySessions is a proxy instance: three proxies with their sessions, and
// a server node, which has none.
func proxySessions() *fakeSessions {
	p := func(id, ip string) approvals.Node {
		return approvals.Node{ID: id, Role: approvals.RoleProxy, Type: approvals.TypeProxy, IP: ip, Port: "6379"}
	}
	f := &fakeSessions{sessions: map[string][]approvals.Session{}, nodes: []approvals.Node{
		{ID: "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", Role: "redis-server", Type: "master", IP: "192.168.0.30", Port: "6379"},
		p(proxy1, "192.168.0.21"), p(proxy2, "192.168.0.22"), p(proxy3, "192.168.0.23"),
	}}
	f.set(proxy1, client("11", "10.20.1.11:1", "billing", "keys", 10*time.Minute), client("12", "10.20.1.12:2", "orders", "keys", 20*time.Minute))
	f.set(proxy2, client("21", "10.20.2.21:3", "Billing-API", "KEYS", 30*time.Minute), client("22", "[2001:db8::5]:4", "billing", "get", time.Hour))
	f.set(proxy3, client("31", "10.20.3.31:5", "billing", "keys", 40*time.Minute))
	return f
}

func TestSelectorsOnOneNode(t *testing.T) {
	f := newSessions()
	f.set(node, client("1", "10.0.0.1:5000", "worker", "keys", time.Minute), client("2", "10.0.0.2:5001", "api", "get", 2*time.Minute),
		client("3", "10.0.0.3:5002", "Worker-2", "KEYS", time.Hour), client("4", "10.0.0.4:5003", "cron", "keys", 3*time.Hour))
	h := newHarness(t, withSessions(f))
	// Selectors AND together; a typed address is added (the union), first.
	sel := approvals.Selector{Name: "worker", Cmd: "keys"}
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.2:5001", "10.0.0.1:5000"}, Select: sel})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if want := []string{"10.0.0.2:5001", "10.0.0.1:5000", "10.0.0.3:5002"}; !slices.Equal(got.Addrs, want) {
		t.Fatalf("addrs %v, want %v", got.Addrs, want)
	}
	if got.Selectors != "--name worker --cmd keys" || got.Preview == nil || len(got.Preview.Targets) != 3 || got.Preview.Targets[2].Session.Name != "Worker-2" {
		t.Fatalf("stored %q, preview %+v", got.Selectors, got.Preview)
	}
	// Sessions that start matching after the request are never killed.
	f.set(node, append(f.sessions[node], client("5", "10.0.0.5:5004", "worker-3", "keys", time.Hour))...)
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if calls := h.killer.Calls(); len(calls) != 1 || !slices.Equal(calls[0].Addrs, got.Addrs) {
		t.Fatalf("kills %+v, want exactly %v", calls, got.Addrs)
	}

	// No match: refused, with what was searched.
	_, err = submitKill(t, h, approvals.KillRequest{Select: approvals.Selector{Name: "nobody"}})
	wantRefusal(t, err, "no session of orders-prod on node "+node+" matches --name nobody (5 searched")
	_, err = submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.9:1"}, Select: approvals.Selector{Cmd: "flushall"}})
	wantRefusal(t, err, "matches --cmd flushall")
	// More than max_addrs: refused with the count.
	h2 := newHarness(t, func(p *approvals.Params) { p.Sessions = f; p.Policy.MaxAddrs = 2 })
	_, err = submitKill(t, h2, approvals.KillRequest{Select: approvals.Selector{Cmd: "keys"}})
	wantRefusal(t, err, "--cmd keys chooses 4 sessions of orders-prod, at most 2 per request")
	var ref *approvals.Refusal
	if errors.As(err, &ref); ref.Code != approvals.RefuseTooManyMatches || ref.Count != 4 || ref.Max != 2 {
		t.Fatalf("refusal %+v", ref)
	}
	// Unreadable sessions: nothing to apply the selectors to, so no request.
	f.err = &approvals.DCSError{HTTPStatus: 400, Code: "DCS.4957"}
	_, err = submitKill(t, h, approvals.KillRequest{Select: approvals.Selector{Cmd: "keys"}})
	var de *approvals.DCSError
	if !errors.As(err, &de) || errors.As(err, &ref) {
		t.Fatalf("unreadable sessions: %v", err)
	}
}

func TestPrecheckTargets(t *testing.T) {
	h := newHarness(t, withSessions(newSessions()))
	for _, tt := range []struct {
		k    approvals.KillRequest
		code approvals.RefusalCode
	}{
		{approvals.KillRequest{}, approvals.RefuseNoTargets},
		{approvals.KillRequest{AllNodes: true}, approvals.RefuseNoTargets},
		{approvals.KillRequest{AllNodes: true, Addrs: []string{"10.0.0.1:1"}, Select: approvals.Selector{Cmd: "get"}}, approvals.RefuseAllNodesAddrs},
	} {
		tt.k.User, tt.k.Channel, tt.k.Instance = requester, channel, "orders-prod"
		_, err := h.svc.Precheck(tt.k)
		var ref *approvals.Refusal
		if !errors.As(err, &ref) || ref.Code != tt.code {
			t.Errorf("Precheck(%+v) = %v, want %s", tt.k, err, tt.code)
		}
	}
}

func TestAllNodesWithOneUnreadable(t *testing.T) {
	f := proxySessions()
	f.nodeErr = map[string]error{proxy3: &approvals.DCSError{HTTPStatus: 403, Code: "DCS.2003", Message: "no permission"}}
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Name: "billing", Cmd: "keys"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if !got.PerNode() || got.NodeID != "" || got.Selectors != "--name billing --cmd keys" || len(got.Nodes) != 3 {
		t.Fatalf("request %+v", got)
	}
	n1, n2, n3 := got.Nodes[0], got.Nodes[1], got.Nodes[2]
	if n1.NodeID != proxy1 || !slices.Equal(n1.Addrs, []string{"10.20.1.11:1"}) || n1.Preview.Targets[0].Session.ID != "11" ||
		n2.NodeID != proxy2 || !slices.Equal(n2.Addrs, []string{"10.20.2.21:3"}) ||
		n3.NodeID != proxy3 || n3.Unreadable != "DCS answered DCS.2003 (HTTP 403)" || n3.Killable() {
		t.Fatalf("nodes %+v", got.Nodes)
	}
	if !slices.Equal(got.Addrs, []string{"10.20.1.11:1", "10.20.2.21:3"}) {
		t.Fatalf("addrs %v", got.Addrs)
	}

	// A session that starts matching later, and one that changed, on the
	// nodes read: neither is killed.
	f.set(proxy1, client("11", "10.20.1.11:1", "billing", "keys", 10*time.Minute), client("13", "10.20.1.13:9", "billing", "keys", time.Hour))
	f.set(proxy2, client("99", "10.20.2.21:3", "Billing-API", "KEYS", 30*time.Minute))
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	if len(calls) != 1 || calls[0].Node != proxy1 || !slices.Equal(calls[0].Addrs, []string{"10.20.1.11:1"}) {
		t.Fatalf("kills %+v: want one, of 10.20.1.11:1 on %s", calls, proxy1)
	}
	got, _ = h.store.Get(context.Background(), r.ID)
	res := got.Result
	if got.State != approvals.Failed || res == nil || len(res.Nodes) != 2 {
		t.Fatalf("state %s, result %+v: want failed, with two nodes", got.State, res)
	}
	if a, b := res.Nodes[0], res.Nodes[1]; a.NodeID != proxy1 || a.State != approvals.Succeeded || !slices.Equal(a.Killed, []string{"10.20.1.11:1"}) ||
		b.NodeID != proxy2 || b.State != approvals.Failed || len(b.Skipped) != 1 || b.Skipped[0].Reason != approvals.SkipOtherID {
		t.Fatalf("node results %+v", res.Nodes)
	}
	if res.Detail != "DCS accepted the kill on 1 of 2 node(s); failed on 1" {
		t.Fatalf("detail %q", res.Detail)
	}
}

func TestAllNodesKillsEachNodeInTurn(t *testing.T) {
	f := proxySessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{IP: "10.20."}, Reason: "KEYS storm"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	want := []killCall{{Node: proxy1, Addrs: []string{"10.20.1.12:2", "10.20.1.11:1"}}, {Node: proxy2, Addrs: []string{"10.20.2.21:3"}},
		{Node: proxy3, Addrs: []string{"10.20.3.31:5"}}}
	if len(calls) != len(want) {
		t.Fatalf("kills %+v", calls)
	}
	for i, c := range calls {
		if c.Node != want[i].Node || !slices.Equal(c.Addrs, want[i].Addrs) {
			t.Fatalf("kill %d = %+v, want %+v", i, c, want[i])
		}
	}
	if st := h.state(t, r.ID); st != approvals.Succeeded {
		t.Fatalf("state %s", st)
	}
	// The kills went; the sessions are re-read per node and reported.
	notes := h.notifier.notes[r.ID]
	last := notes[len(notes)-1]
	if last.Kind != approvals.NoteVerified || len(last.Checks) != 4 || last.Checks[0].NodeID != proxy1 || last.Checks[3].NodeID != proxy3 {
		t.Fatalf("last note %+v", last)
	}
}

// The request's state never claims more than happened.
func TestAllNodesFinalState(t *testing.T) {
	rejected := &approvals.DCSError{HTTPStatus: 400, Code: "DCS.4800", Message: "bad"}
	for _, tt := range []struct {
		name    string
		nodeErr map[string]error
		want    approvals.State
	}{
		{"every node accepted", nil, approvals.Succeeded},
		{"one node refused", map[string]error{proxy2: rejected}, approvals.Failed},
		{"one node unknown, one refused", map[string]error{proxy1: rejected, proxy3: approvals.ErrOutcomeUnknown}, approvals.Unknown},
		{"every node refused", map[string]error{proxy1: rejected, proxy2: rejected, proxy3: rejected}, approvals.Failed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withSessions(proxySessions()))
			h.killer.nodeErr = tt.nodeErr
			r, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Cmd: "keys"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
				t.Fatal(err)
			}
			if n := len(h.killer.Calls()); n != 3 {
				t.Fatalf("%d kills, want one per node", n)
			}
			got, _ := h.store.Get(context.Background(), r.ID)
			if got.State != tt.want {
				t.Fatalf("state %s, want %s (%s)", got.State, tt.want, got.Result.Detail)
			}
			for _, nr := range got.Result.Nodes {
				if wantErr := tt.nodeErr[nr.NodeID]; (wantErr == nil) != (nr.State == approvals.Succeeded) {
					t.Errorf("node %s: %s", nr.NodeID, nr.State)
				}
			}
		})
	}
}

func TestNodesState(t *testing.T) {
	n := func(states ...approvals.State) []approvals.NodeResult {
		var out []approvals.NodeResult
		for _, s := range states {
			out = append(out, approvals.NodeResult{State: s})
		}
		return out
	}
	for _, tt := range []struct {
		nodes []approvals.NodeResult
		want  approvals.State
	}{
		{nil, approvals.Failed},
		{n(approvals.Succeeded), approvals.Succeeded},
		{n(approvals.Succeeded, approvals.Succeeded), approvals.Succeeded},
		{n(approvals.Succeeded, approvals.Failed), approvals.Failed},
		{n(approvals.Failed, approvals.Unknown, approvals.Succeeded), approvals.Unknown},
		{n(approvals.Unknown), approvals.Unknown},
	} {
		if got := approvals.NodesState(tt.nodes); got != tt.want {
			t.Errorf("NodesState(%v) = %s, want %s", tt.nodes, got, tt.want)
		}
	}
}

func TestAllNodesRefusals(t *testing.T) {
	f := proxySessions()
	h := newHarness(t, withSessions(f))
	_, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Name: "nobody"}})
	wantRefusal(t, err, "no session of orders-prod on 3 node(s) matches --name nobody (5 searched")
	f.nodeErr = map[string]error{proxy1: errors.New("down"), proxy2: errors.New("down"), proxy3: errors.New("down")}
	_, err = submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Name: "billing"}})
	wantRefusal(t, err, "unreadable: "+proxy1+", "+proxy2+", "+proxy3)
	f.nodeErr = nil
	h2 := newHarness(t, func(p *approvals.Params) { p.Sessions = f; p.Policy.MaxAddrs = 3 })
	_, err = submitKill(t, h2, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{Name: "billing"}})
	wantRefusal(t, err, "--name billing chooses 4 sessions of orders-prod, at most 3 per request")
}

func TestPickedSessionsChecked(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	picked := []approvals.Picked{{Addr: "10.0.0.1:5000", ID: "1"}, {Addr: "10.0.0.2:5001", ID: "2"}}
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.2:5001"}, Picked: picked})
	if err != nil || !slices.Equal(r.Addrs, []string{"10.0.0.1:5000", "10.0.0.2:5001"}) || r.Selectors != "" {
		t.Fatalf("picked request: %+v, %v", r, err)
	}
	// Another client at a picked address, one gone: refused, naming them.
	f.set(node, sess("7", "10.0.0.1:5000", "worker", 10*time.Minute), sess("3", "10.0.0.3:5002", "cron", time.Hour))
	_, err = submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.2:5001", "10.0.0.3:5002"},
		Picked: append(picked, approvals.Picked{Addr: "10.0.0.3:5002", ID: "3"})})
	var ref *approvals.Refusal
	if !errors.As(err, &ref) || ref.Code != approvals.RefusePickedChanged || !slices.Equal(ref.Addrs, []string{"10.0.0.1:5000", "10.0.0.2:5001"}) {
		t.Fatalf("changed picks: %v", err)
	}
}
