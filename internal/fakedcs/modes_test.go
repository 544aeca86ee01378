package fakedcs_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/fakedcs"
)

func TestKillMatchPeerOnly(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, KillMatch: fakedcs.MatchPeer})
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{
		{ID: "1", Addr: "198.19.0.1:40001", Peer: "10.0.0.1:5000"},
		{ID: "2", Addr: "198.19.0.2:40002", Peer: "10.0.0.2:5000"},
		{ID: "3", Addr: "10.0.0.3:5000"}, // no peer: never killed in MatchPeer
	})
	// The addr of a session whose peer differs kills nothing; the answer is
	// still 204.
	if err := kill(c, inst, node, "198.19.0.1:40001", "10.0.0.3:5000"); err != nil {
		t.Fatal(err)
	}
	if got := idsOf(s.Clients(inst, node)); got != "1,2,3" {
		t.Fatalf("kill by addr in MatchPeer left %s", got)
	}
	if err := kill(c, inst, node, "10.0.0.1:5000"); err != nil {
		t.Fatal(err)
	}
	if got := idsOf(s.Clients(inst, node)); got != "2,3" {
		t.Fatalf("kill by peer left %s", got)
	}
	// Back to addr-or-peer at runtime.
	s.SetKillMatch(fakedcs.MatchAddrOrPeer)
	if err := kill(c, inst, node, "198.19.0.2:40002", "10.0.0.3:5000"); err != nil {
		t.Fatal(err)
	}
	if got := idsOf(s.Clients(inst, node)); got != "" {
		t.Fatalf("kill by addr in MatchAddrOrPeer left %s", got)
	}
}

func idsOf(cs []fakedcs.Client) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return strings.Join(out, ",")
}

// Latency is a lower bound on every answer, errors included.
func TestLatency(t *testing.T) {
	const lat = 150 * time.Millisecond
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Latency: lat})
	c := sdkClient(t, s.URL, ak, sk, nil)
	timed := func(name string, f func() error) error {
		t.Helper()
		start := time.Now()
		err := f()
		if took := time.Since(start); took < lat {
			t.Errorf("%s answered after %s, before the latency %s", name, took, lat)
		}
		return err
	}
	if err := timed("scan", func() error { _, err := scan(c, inst, node); return err }); err != nil {
		t.Fatal(err)
	}
	if err := timed("list", func() error { _, err := list(c, node, 0, 10, ""); return err }); err != nil {
		t.Fatal(err)
	}
	if err := timed("kill", func() error { return kill(c, inst, node, "10.0.0.1:1") }); err != nil {
		t.Fatal(err)
	}
	bad := sdkClient(t, s.URL, ak, sk+"x", nil)
	if err := timed("refused", func() error { return kill(bad, inst, node, "10.0.0.1:1") }); err == nil {
		t.Fatal("bad signature accepted")
	}
	// SetLatency changes it for later calls; a Reply.Delay comes on top.
	s.SetLatency(2 * lat)
	s.SetReply(fakedcs.APINodes, func(int) fakedcs.Reply { return fakedcs.Reply{Delay: lat} })
	start := time.Now()
	if _, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 3*lat {
		t.Fatalf("nodes answered after %s, want at least %s", took, 3*lat)
	}
	// A dropped answer is not held: the client sees the drop.
	s.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Drop: true} })
	var sre *sdkerr.ServiceResponseError
	if err := kill(c, inst, node, "10.0.0.1:1"); err == nil || errors.As(err, &sre) {
		t.Fatalf("dropped kill: %v", err)
	}
}

func TestProxyCluster(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	layout := fakedcs.ProxyCluster()
	// A node without a node_id, only a logical_node_id.
	const noID = "5d4c3b2a19087f6e5d4c3b2a19087f6e"
	layout.Nodes = append(layout.Nodes, fakedcs.Node{LogicalNodeID: noID, Name: "proxy-3", Status: "Active",
		NodeRole: "redis-proxy", NodeType: "proxy", NodeIP: "192.168.0.23", NodePort: "6379"})
	s.SetCluster(inst, layout)

	nr, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst})
	if err != nil {
		t.Fatal(err)
	}
	var proxies, servers []string
	for _, n := range *nr.Nodes {
		switch {
		case n.NodeRole.Value() == "redis-proxy" && n.NodeType.Value() == "proxy" && n.NodeId != nil:
			proxies = append(proxies, *n.NodeId)
		case n.NodeRole.Value() == "redis-proxy" && n.NodeId == nil:
			if *n.LogicalNodeId != noID {
				t.Errorf("node without node_id = %v", n)
			}
		case n.NodeRole.Value() == "redis-server":
			servers = append(servers, n.NodeType.Value()+" "+*n.GroupName)
		}
	}
	slices.Sort(servers)
	if *nr.Total != 7 || strings.Join(proxies, ",") != fakedcs.ProxyNode1+","+fakedcs.ProxyNode2 ||
		strings.Join(servers, ",") != "master group-0,master group-1,slave group-0,slave group-1" {
		t.Fatalf("nodes: total %d, proxies %v, servers %v", *nr.Total, proxies, servers)
	}

	// Each proxy lists its own sessions, named and unnamed, with their last
	// command and idle time.
	for _, p := range []string{fakedcs.ProxyNode1, fakedcs.ProxyNode2} {
		if _, err := scan(c, inst, p); err != nil {
			t.Fatal(err)
		}
	}
	r1, err := list(c, fakedcs.ProxyNode1, 0, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := list(c, fakedcs.ProxyNode2, 0, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if ids(r1) != "101,102,103,104,105" || ids(r2) != "201,202,203,204,205" {
		t.Fatalf("proxy sessions: %s / %s", ids(r1), ids(r2))
	}
	names, cmds, idles := map[string]bool{}, map[string]bool{}, map[int32]bool{}
	for _, cl := range append(*r1.Clients, *r2.Clients...) {
		if cl.Name != nil {
			names[*cl.Name] = true
		}
		cmds[*cl.Cmd] = true
		idles[*cl.Idle] = true
		if *cl.Peer != *cl.Addr {
			t.Errorf("session %s: peer %s, addr %s", *cl.Id, *cl.Peer, *cl.Addr)
		}
	}
	if !names["orders-worker"] || !names["billing-api"] || len(names) < 4 || len(cmds) < 6 || len(idles) < 8 {
		t.Fatalf("too little variety: names %v, cmds %v, idles %v", names, cmds, idles)
	}
	var unnamed int
	for _, cl := range *r1.Clients {
		if cl.Name == nil {
			unnamed++
		}
	}
	if unnamed == 0 {
		t.Fatal("no unnamed session on proxy 1")
	}

	// A kill on one proxy leaves the other alone; server nodes have no
	// sessions; the logical-only node is accepted as a node ID.
	if err := kill(c, inst, fakedcs.ProxyNode1, "10.20.1.11:52001"); err != nil {
		t.Fatal(err)
	}
	if len(s.Clients(inst, fakedcs.ProxyNode1)) != 4 || len(s.Clients(inst, fakedcs.ProxyNode2)) != 5 {
		t.Fatal("kill crossed proxies")
	}
	if len(s.Clients(inst, fakedcs.ShardMaster1)) != 0 {
		t.Fatal("a server node has sessions")
	}
	if _, err := scan(c, inst, noID); err != nil {
		t.Fatalf("scan of the logical-only node: %v", err)
	}
	_, err = scan(c, inst, "not-a-node")
	wantCode(t, err, 400, "DCS.3053")
	if s.ScansTotal() != 3 || s.Scans(inst, fakedcs.ProxyNode1) != 1 || s.Scans(inst, noID) != 1 {
		t.Fatalf("scans: total %d", s.ScansTotal())
	}
	counts := s.CallCounts()
	if counts[fakedcs.APIScanClients] != 4 || counts[fakedcs.APIListClients] != 2 || counts[fakedcs.APIKill] != 1 ||
		counts[fakedcs.APINodes] != 1 {
		t.Fatalf("CallCounts = %v", counts)
	}

	// Fresh values on every call.
	again := fakedcs.ProxyCluster()
	if len(again.Nodes) != 6 || len(again.Sessions[fakedcs.ProxyNode1]) != 5 {
		t.Fatal("ProxyCluster shares state between calls")
	}
}
