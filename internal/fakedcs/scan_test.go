package fakedcs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	dcsv2 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/fakedcs"
)

func list(c *dcsv2.DcsClient, node string, offset, limit int32, addr string) (*model.ListClientsResponse, error) {
	req := &model.ListClientsRequest{InstanceId: inst, NodeId: &node, Limit: &limit}
	if offset > 0 {
		req.Offset = &offset
	}
	if addr != "" {
		req.Addr = &addr
	}
	return c.ListClients(req)
}

func ids(r *model.ListClientsResponse) string {
	var out []string
	if r.Clients != nil {
		for _, c := range *r.Clients {
			out = append(out, *c.Id)
		}
	}
	return strings.Join(out, ",")
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var sre *sdkerr.ServiceResponseError
	if !errors.As(err, &sre) || sre.StatusCode != status || sre.ErrorCode != code {
		t.Fatalf("err = %v, want %d %s", err, status, code)
	}
}

func TestListNeedsAScan(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	_, err := list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")

	job, err := scan(c, inst, node)
	if err != nil || job == "" {
		t.Fatalf("scan = %q, %v", job, err)
	}
	r, err := list(c, node, 0, 10, "")
	if err != nil || ids(r) != "1" || *r.Count != 1 || r.Time == nil {
		t.Fatalf("list = %v, %v", r, err)
	}
	// A scan is per node.
	_, err = list(c, "other-node", 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
}

func TestScanDelay(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, ScanDelay: 300 * time.Millisecond})
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	start := time.Now()
	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	_, err := list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
	// A second scan while one runs is refused.
	_, err = scan(c, inst, node)
	wantCode(t, err, 400, "DCS.4957")
	// The snapshot is taken when the scan finishes: this change is in it.
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}, {ID: "2", Addr: "10.0.0.2:1"}})

	var r *model.ListClientsResponse
	for {
		r, err = list(c, node, 0, 10, "")
		if err == nil {
			break
		}
		wantCode(t, err, 400, "DCS.4957")
		if time.Since(start) > 3*time.Second {
			t.Fatal("scan never finished")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("scan finished after %s, before its delay", took)
	}
	if ids(r) != "1,2" {
		t.Fatalf("list = %s", ids(r))
	}
}

func TestSnapshotKeptUntilNextScan(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}, {ID: "2", Addr: "10.0.0.2:1"}})
	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	// Changes after the scan: a new session, a reused address, a kill.
	s.SetClients(inst, node, append(s.Clients(inst, node), fakedcs.Client{ID: "3", Addr: "10.0.0.3:1"}))
	if !s.ReplaceClient(inst, node, "10.0.0.2:1", fakedcs.Client{ID: "20", Age: 1}) {
		t.Fatal("ReplaceClient found no session")
	}
	if s.ReplaceClient(inst, node, "10.9.9.9:1", fakedcs.Client{ID: "x"}) {
		t.Fatal("ReplaceClient replaced a session that is not there")
	}
	if err := kill(c, inst, node, "10.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	if r, err := list(c, node, 0, 10, ""); err != nil || ids(r) != "1,2" {
		t.Fatalf("before a new scan: %v, %v", r, err)
	}
	// A scan without clean_cache keeps the cached list.
	node_ := node
	if _, err := c.ScanClients(&model.ScanClientsRequest{InstanceId: inst, Body: &model.ScanClientsRequestBody{NodeId: &node_}}); err != nil {
		t.Fatal(err)
	}
	if r, err := list(c, node, 0, 10, ""); err != nil || ids(r) != "1,2" {
		t.Fatalf("after a scan without clean_cache: %v, %v", r, err)
	}
	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	r, err := list(c, node, 0, 10, "")
	if err != nil || ids(r) != "20,3" {
		t.Fatalf("after a new scan: %v, %v", r, err)
	}
	if a := *(*r.Clients)[0].Addr; a != "10.0.0.2:1" || *(*r.Clients)[0].Age != 1 {
		t.Fatalf("replaced session = %v", (*r.Clients)[0])
	}
}

func TestListPaging(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	var cs []fakedcs.Client
	for i := range 2345 {
		cs = append(cs, fakedcs.Client{ID: fmt.Sprint(i), Addr: fmt.Sprintf("10.1.%d.%d:6000", i/200, i%200)})
	}
	s.SetClients(inst, node, cs)
	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		offset, limit int32
		n             int
		first         string
	}{{0, 1000, 1000, "0"}, {1000, 1000, 1000, "1000"}, {2000, 1000, 345, "2000"}, {2345, 1000, 0, ""}, {5, 3, 3, "5"}} {
		r, err := list(c, node, tc.offset, tc.limit, "")
		if err != nil {
			t.Fatal(err)
		}
		if *r.Count != 2345 || len(*r.Clients) != tc.n || (tc.n > 0 && *(*r.Clients)[0].Id != tc.first) {
			t.Fatalf("offset %d limit %d: count %d, %d clients", tc.offset, tc.limit, *r.Count, len(*r.Clients))
		}
	}
	// The default limit is 10; more than 1000 is refused.
	r, err := c.ListClients(&model.ListClientsRequest{InstanceId: inst, NodeId: strPtr(node)})
	if err != nil || len(*r.Clients) != 10 {
		t.Fatalf("default limit: %v, %v", r, err)
	}
	_, err = list(c, node, 0, 1001, "")
	wantCode(t, err, 400, "DCS.4800")
	// addr filters, and count is the filtered total.
	r, err = list(c, node, 0, 1000, "10.1.5.")
	if err != nil || *r.Count != 200 || len(*r.Clients) != 200 || *(*r.Clients)[0].Id != "1000" {
		t.Fatalf("addr filter: %v, %v", r, err)
	}
}

func TestKillAllRecorded(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	s.SetClients(inst, "n2", []fakedcs.Client{{ID: "2", Addr: "10.0.0.2:1"}})

	done := make(chan []fakedcs.KillAllCall, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ks, _ := s.WaitKillAlls(ctx, 1)
		done <- ks
	}()
	no := false
	n := node
	if _, err := c.HangUpKillAllClients(&model.HangUpKillAllClientsRequest{InstanceId: inst,
		Body: &model.HangUpKillAllClientsRequestBody{NodeId: &n, KillAllNodes: &no}}); err != nil {
		t.Fatal(err)
	}
	if ks := <-done; len(ks) != 1 || ks[0].NodeID != node || ks[0].AllNodes {
		t.Fatalf("WaitKillAlls = %+v", ks)
	}
	if len(s.Clients(inst, node)) != 0 || len(s.Clients(inst, "n2")) != 1 {
		t.Fatal("kill-all of one node")
	}

	// Neither a node nor all nodes: refused, not recorded.
	_, err := c.HangUpKillAllClients(&model.HangUpKillAllClientsRequest{InstanceId: inst,
		Body: &model.HangUpKillAllClientsRequestBody{KillAllNodes: &no}})
	wantCode(t, err, 400, "DCS.4800")

	// A programmed error is recorded and kills nothing.
	s.SetReply(fakedcs.APIKillAll, func(int) fakedcs.Reply { return fakedcs.Error(500, "DCS.5000", "Internal error") })
	yes := true
	_, err = c.HangUpKillAllClients(&model.HangUpKillAllClientsRequest{InstanceId: inst,
		Body: &model.HangUpKillAllClientsRequestBody{KillAllNodes: &yes}})
	wantCode(t, err, 500, "DCS.5000")
	if ks := s.KillAlls(); len(ks) != 2 || !ks[1].AllNodes {
		t.Fatalf("kill-alls = %+v", ks)
	}
	if len(s.Clients(inst, "n2")) != 1 {
		t.Fatal("a refused kill-all killed")
	}
	if b := s.Bodies(fakedcs.APIKillAll); len(b) != 3 || string(b[2]) != "{\"kill_all_nodes\":true}\n" {
		t.Fatalf("bodies = %q", b)
	}
}

func TestWrongNodeOnceNodesAreSet(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetNodes(inst, []fakedcs.Node{{NodeID: node, LogicalNodeID: "l1"}, {LogicalNodeID: "proxy-1"}})
	_, err := scan(c, inst, "l1")
	wantCode(t, err, 400, "DCS.3053")
	_, err = list(c, "l1", 0, 10, "")
	wantCode(t, err, 400, "DCS.3053")
	wantCode(t, kill(c, inst, "l1", "10.0.0.1:1"), 400, "DCS.3053")
	for _, n := range []string{node, "proxy-1"} {
		if _, err := scan(c, inst, n); err != nil {
			t.Errorf("scan %s: %v", n, err)
		}
	}
	if err := kill(c, inst, node, "10.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	// Other instances are unaffected.
	if _, err := scan(c, "11111111-2222-3333-4444-555555555555", "anything"); err != nil {
		t.Fatal(err)
	}
}

// A kill matches a session by addr or by peer.
func TestKillMatchesAddrOrPeer(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{
		{ID: "1", Addr: "10.0.0.1:1", Peer: "198.19.0.1:7000"},
		{ID: "2", Addr: "10.0.0.2:1", Peer: "198.19.0.2:7000"},
		{ID: "3", Addr: "10.0.0.3:1"},
	})
	if err := kill(c, inst, node, "198.19.0.1:7000", "10.0.0.2:1"); err != nil {
		t.Fatal(err)
	}
	if cs := s.Clients(inst, node); len(cs) != 1 || cs[0].ID != "3" {
		t.Fatalf("clients = %+v", cs)
	}
}
