package approvals_test

import (
	"testing"

	"dcsbot/internal/approvals"
)

// A node is a proxy by its role or by its type (DCS reports either), and
// its address brackets an IPv6 IP: every caller uses these two rules.
func TestNodeRules(t *testing.T) {
	for _, c := range []struct {
		node  approvals.Node
		proxy bool
		addr  string
	}{
		{approvals.Node{Role: "redis-proxy", Type: "proxy", IP: "192.168.0.20", Port: "6379"}, true, "192.168.0.20:6379"},
		{approvals.Node{Role: "redis-server", Type: "proxy", IP: "192.168.0.21", Port: "6379"}, true, "192.168.0.21:6379"},
		{approvals.Node{Role: "redis-proxy", Type: "", IP: "fd00::20", Port: "6379"}, true, "[fd00::20]:6379"},
		{approvals.Node{Role: "redis-server", Type: "master", IP: "fd00::10", Port: "6380"}, false, "[fd00::10]:6380"},
	} {
		if got := c.node.IsProxy(); got != c.proxy {
			t.Errorf("%+v: IsProxy = %v", c.node, got)
		}
		if got := c.node.Addr(); got != c.addr {
			t.Errorf("%+v: Addr = %q, want %q", c.node, got, c.addr)
		}
	}
	nodes := []approvals.Node{
		{ID: "s1", Role: "redis-server", Type: "master"},
		{ID: "p1", Role: "redis-server", Type: "proxy"},
		{ID: "s2", Role: "redis-server", Type: "slave"},
	}
	if got := approvals.SessionNodes(nodes); len(got) != 1 || got[0].ID != "p1" {
		t.Errorf("SessionNodes = %+v, want the proxy node alone", got)
	}
	if got := approvals.SessionNodes(nodes[:1]); len(got) != 1 || got[0].ID != "s1" {
		t.Errorf("SessionNodes without proxies = %+v, want the server nodes", got)
	}
	for id, group := range map[string]bool{"S0123ABCD": true, "U0123ABCD": false, "W0123ABCD": false} {
		if approvals.IsUserGroup(id) != group {
			t.Errorf("IsUserGroup(%s) = %v", id, !group)
		}
	}
}
