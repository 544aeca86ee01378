package fakedcs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	dcsv2 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/fakedcs"
)

const (
	ak      = "FAKEAKEXAMPLE0000001"
	sk      = "fakeSecretKeyExample0000000000000000000x"
	project = "0123456789abcdef0123456789abcdef"
	inst    = "8f7ee181-88e2-49b7-a4bf-81f18f93a135"
	node    = "ff80808179c0e6e50179c0ee4b0c0005"
)

// captured is one request as the SDK sent it.
type captured struct {
	method, url string
	header      http.Header
	body        []byte
}

// recorder is an http.RoundTripper that keeps a copy of every request.
type recorder struct {
	mu   sync.Mutex
	reqs []captured
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, captured{req.Method, req.URL.String(), req.Header.Clone(), body})
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) last(t *testing.T) captured {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request recorded")
	}
	return r.reqs[len(r.reqs)-1]
}

func sdkClient(t *testing.T, url, ak, sk string, rt http.RoundTripper) *dcsv2.DcsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc := config.DefaultHttpConfig().WithTimeout(5 * time.Second)
	if rt != nil {
		hc = hc.WithHttpRoundTripper(rt)
	}
	c, err := dcsv2.DcsClientBuilder().WithEndpoints([]string{url}).WithCredential(cred).WithHttpConfig(hc).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return dcsv2.NewDcsClient(c)
}

func newFake(t *testing.T) *fakedcs.Server {
	return fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project})
}

func kill(c *dcsv2.DcsClient, instance, node string, addrs ...string) error {
	_, err := c.HangUpClients(&model.HangUpClientsRequest{
		InstanceId: instance,
		Body:       &model.HangUpClientsRequestBody{NodeId: node, ClientAddrs: addrs},
	})
	return err
}

// scan starts a session scan of node, with clean_cache.
func scan(c *dcsv2.DcsClient, instance, node string) (string, error) {
	clean := true
	resp, err := c.ScanClients(&model.ScanClientsRequest{InstanceId: instance,
		Body: &model.ScanClientsRequestBody{NodeId: &node, CleanCache: &clean}})
	if err != nil {
		return "", err
	}
	if resp.Body == nil {
		return "", errors.New("no body")
	}
	m, _ := (*resp.Body).(map[string]any)
	job, _ := m["job_id"].(string)
	return job, nil
}

func TestSDKRequestsVerify(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	if err := kill(c, inst, node, "10.0.0.1:5000", "10.0.0.2:5001"); err != nil {
		t.Fatalf("kill: %v", err)
	}
	if _, err := scan(c, inst, node); err != nil {
		t.Fatalf("scan: %v", err)
	}
	// A query with characters that need escaping exercises the canonical query.
	addr := "10.0.0.1:5000"
	if _, err := c.ListClients(&model.ListClientsRequest{InstanceId: inst, NodeId: strPtr(node), Addr: &addr, Limit: i32Ptr(50)}); err != nil {
		t.Fatalf("list: %v", err)
	}
	if _, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst}); err != nil {
		t.Fatalf("nodes: %v", err)
	}
	if got := s.BadSignatures(); got != 0 {
		t.Fatalf("BadSignatures = %d, want 0", got)
	}
	ks := s.Kills()
	if len(ks) != 1 || ks[0].InstanceID != inst || ks[0].NodeID != node ||
		strings.Join(ks[0].Addrs, ",") != "10.0.0.1:5000,10.0.0.2:5001" {
		t.Fatalf("kills = %+v", ks)
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk+"x", nil)
	err := kill(c, inst, node, "10.0.0.1:5000")
	var sre *sdkerr.ServiceResponseError
	if !errors.As(err, &sre) || sre.StatusCode != 401 || sre.ErrorCode != "APIGW.0301" {
		t.Fatalf("err = %v, want 401 APIGW.0301", err)
	}
	if s.BadSignatures() != 1 || len(s.Kills()) != 0 {
		t.Fatalf("BadSignatures = %d, kills = %d", s.BadSignatures(), len(s.Kills()))
	}
}

func TestWrongAccessKeyIsRefused(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, "OTHERAK", sk, nil)
	if err := kill(c, inst, node, "10.0.0.1:5000"); err == nil {
		t.Fatal("accepted a request signed with another access key")
	}
	if s.BadSignatures() != 1 {
		t.Fatalf("BadSignatures = %d", s.BadSignatures())
	}
}

func TestClockSkewIsRefused(t *testing.T) {
	for _, skew := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project,
			Now: func() time.Time { return time.Now().Add(skew) }})
		if err := kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000"); err == nil {
			t.Fatalf("skew %s: accepted", skew)
		}
		if s.BadSignatures() != 1 {
			t.Fatalf("skew %s: BadSignatures = %d", skew, s.BadSignatures())
		}
	}
	// Within the window it passes.
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project,
		Now: func() time.Time { return time.Now().Add(14 * time.Minute) }})
	if err := kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000"); err != nil {
		t.Fatalf("skew 14m: %v", err)
	}
}

func TestOtherProjectIsRefused(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: "another-project"})
	if err := kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000"); err == nil {
		t.Fatal("accepted a request for another project")
	}
	if s.BadSignatures() != 1 {
		t.Fatalf("BadSignatures = %d", s.BadSignatures())
	}
}

// TestTamperedRequestsFail replays a request the SDK signed, changed in one
// way at a time: each change must break the signature.
func TestTamperedRequestsFail(t *testing.T) {
	s := newFake(t)
	rec := &recorder{}
	c := sdkClient(t, s.URL, ak, sk, rec)
	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	addr := "10.0.0.1:5000"
	if _, err := c.ListClients(&model.ListClientsRequest{InstanceId: inst, NodeId: strPtr(node), Addr: &addr}); err != nil {
		t.Fatal(err)
	}
	get := rec.last(t)
	if err := kill(c, inst, node, "10.0.0.1:5000"); err != nil {
		t.Fatal(err)
	}
	post := rec.last(t)
	if !strings.HasSuffix(string(post.body), "\n") {
		t.Errorf("SDK body %q has no trailing newline; the notes say it does", post.body)
	}

	send := func(c captured) (int, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(c.method, c.url, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = c.header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	// Replaying unchanged passes (as it would at the real gateway within
	// the clock window): the check is not rejecting everything.
	if st, _ := send(post); st != http.StatusNoContent {
		t.Fatalf("unchanged replay: status %d", st)
	}
	if st, _ := send(get); st != http.StatusOK {
		t.Fatalf("unchanged GET replay: status %d", st)
	}

	tamper := map[string]func(c *captured){
		"body": func(c *captured) { c.body = bytes.Replace(c.body, []byte("10.0.0.1"), []byte("10.0.0.9"), 1) },
		"body whitespace": func(c *captured) {
			c.body = bytes.TrimSuffix(c.body, []byte("\n"))
		},
		"signed header": func(c *captured) { c.header.Set("User-Agent", "curl/8") },
		"date": func(c *captured) {
			c.header.Set("X-Sdk-Date", time.Now().UTC().Add(time.Second).Format("20060102T150405Z"))
		},
		"path":        func(c *captured) { c.url = strings.Replace(c.url, inst, "8f7ee181-88e2-49b7-a4bf-81f18f93a136", 1) },
		"method":      func(c *captured) { c.method = http.MethodPut },
		"query added": func(c *captured) { c.url += "?node_id=x" },
		"signature": func(c *captured) {
			a := c.header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			c.header.Set("Authorization", a[:len(a)-1]+string(flip))
		},
		"access key": func(c *captured) {
			c.header.Set("Authorization", strings.Replace(c.header.Get("Authorization"), ak, "FAKEAKEXAMPLE0000002", 1))
		},
		"no auth": func(c *captured) { c.header.Del("Authorization") },
		"unsigned list": func(c *captured) {
			c.header.Set("Authorization", strings.Replace(c.header.Get("Authorization"), "x-sdk-date", "x-sdk-datf", 1))
		},
	}
	for name, f := range tamper {
		before := s.BadSignatures()
		c := post
		c.header = post.header.Clone()
		c.body = bytes.Clone(post.body)
		f(&c)
		st, body := send(c)
		if st != http.StatusUnauthorized || body["error_code"] != "APIGW.0301" {
			t.Errorf("%s: status %d body %v, want 401 APIGW.0301", name, st, body)
		}
		if s.BadSignatures() != before+1 {
			t.Errorf("%s: BadSignatures did not go up", name)
		}
	}
	// The GET's query is signed too.
	g := get
	g.header = get.header.Clone()
	g.url = strings.Replace(g.url, "addr=10.0.0.1", "addr=10.0.0.2", 1)
	if st, _ := send(g); st != http.StatusUnauthorized {
		t.Errorf("changed query: status %d, want 401", st)
	}
	if n := len(s.Kills()); n != 2 {
		t.Errorf("kills recorded = %d, want 2 (the SDK's and the unchanged replay)", n)
	}
}

func TestUnknownInstance(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Instances: []string{inst}})
	err := kill(sdkClient(t, s.URL, ak, sk, nil), "00000000-0000-0000-0000-000000000000", node, "10.0.0.1:5000")
	var sre *sdkerr.ServiceResponseError
	if !errors.As(err, &sre) || sre.StatusCode != 404 || sre.ErrorCode != "DCS.3022" {
		t.Fatalf("err = %v, want 404 DCS.3022", err)
	}
	if len(s.Kills()) != 0 {
		t.Fatal("recorded a kill on an unknown instance")
	}
}

func TestProgrammedKillReply(t *testing.T) {
	s := newFake(t)
	s.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		r := fakedcs.Error(400, "DCS.4800", "Invalid parameter")
		r.RequestID = "req-42"
		return r
	})
	err := kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000")
	var sre *sdkerr.ServiceResponseError
	if !errors.As(err, &sre) || sre.StatusCode != 400 || sre.ErrorCode != "DCS.4800" ||
		sre.ErrorMessage != "Invalid parameter" || sre.RequestId != "req-42" {
		t.Fatalf("err = %#v", err)
	}
	if len(s.Kills()) != 1 {
		t.Fatal("an answered-with-error kill should still be recorded")
	}
}

func TestHangEndsOnClose(t *testing.T) {
	s := newFake(t)
	s.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	done := make(chan error, 1)
	go func() { done <- kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000") }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.WaitKills(ctx, 1); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if err := <-done; err == nil {
		t.Fatal("hung request succeeded")
	}
}

func TestDrop(t *testing.T) {
	s := newFake(t)
	s.SetClients(inst, node, []fakedcs.Client{{Addr: "10.0.0.1:5000"}, {Addr: "10.0.0.2:5000"}})
	s.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Drop: true} })
	if err := kill(sdkClient(t, s.URL, ak, sk, nil), inst, node, "10.0.0.1:5000"); err == nil {
		t.Fatal("dropped request succeeded")
	}
	if cs := s.Clients(inst, node); len(cs) != 1 || cs[0].Addr != "10.0.0.2:5000" {
		t.Fatalf("a dropped answer still kills: clients = %+v", cs)
	}
}

func TestConcurrentKillsAndWait(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- kill(c, inst, node, "10.0.0.1:5000")
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ks, err := s.WaitKills(ctx, n)
	if err != nil || len(ks) != n {
		t.Fatalf("WaitKills: %d, %v", len(ks), err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := s.WaitKills(short, n+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitKills beyond the count: %v", err)
	}
}

func TestReadRoutesDecodeInTheSDK(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	var cs []fakedcs.Client
	for i, a := range []string{"10.0.0.3:1", "10.0.0.1:1", "10.0.0.2:1"} {
		cs = append(cs, fakedcs.Client{ID: "id" + a, Addr: a, Fd: "9", Name: "app", Cmd: "get",
			Age: 100 * (i + 1), Idle: i, DB: "0", Flags: "N", Events: "r", Network: "tcp"})
	}
	s.SetClients(inst, node, cs)
	s.SetNodes(inst, []fakedcs.Node{{NodeID: node, LogicalNodeID: "l1", Name: "n1", Status: "Active",
		NodeRole: "redis-server", NodeType: "master", NodeIP: "192.0.2.10", NodePort: "6379", PriorityWeight: 100, IsAccess: true}})

	if _, err := scan(c, inst, node); err != nil {
		t.Fatal(err)
	}
	order := model.GetListClientsRequestOrderEnum().DESC
	lr, err := c.ListClients(&model.ListClientsRequest{InstanceId: inst, NodeId: strPtr(node),
		Sort: strPtr("age"), Order: &order, Limit: i32Ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	if lr.Count == nil || *lr.Count != 3 || lr.Clients == nil || len(*lr.Clients) != 2 {
		t.Fatalf("list = %+v", lr)
	}
	first := (*lr.Clients)[0]
	if *first.Addr != "10.0.0.2:1" || *first.Age != 300 || *first.Idle != 2 || *first.Fd != "9" ||
		first.Events.Value() != "r" || lr.Time == nil {
		t.Fatalf("first = %+v", first)
	}

	nr, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst})
	if err != nil {
		t.Fatal(err)
	}
	n := (*nr.Nodes)[0]
	if *nr.Total != 1 || *n.NodeId != node || n.NodeRole.Value() != "redis-server" || n.NodeType.Value() != "master" ||
		n.Status.Value() != "Active" || *n.NodePort != "6379" || !*n.IsAccess || *n.PriorityWeight != 100 {
		t.Fatalf("node = %+v", n)
	}

	killAll := true
	kr, err := c.HangUpKillAllClients(&model.HangUpKillAllClientsRequest{InstanceId: inst,
		Body: &model.HangUpKillAllClientsRequestBody{KillAllNodes: &killAll}})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := (*kr.Body).(map[string]any); !ok || m["job_id"] == "" || kr.HttpStatusCode != 200 {
		t.Fatalf("kill-all answer = %+v", kr)
	}
	if len(s.Clients(inst, node)) != 0 {
		t.Fatal("kill-all left sessions")
	}
	if ka := s.KillAlls(); len(ka) != 1 || !ka[0].AllNodes || ka[0].NodeID != "" || ka[0].InstanceID != inst {
		t.Fatalf("kill-alls = %+v", ka)
	}

	s.SetReply(fakedcs.APINodes, func(call int) fakedcs.Reply {
		if call <= 2 { // the one above was call 1
			return fakedcs.Reply{}
		}
		return fakedcs.Error(503, "DCS.5000", "busy")
	})
	if _, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst}); err != nil {
		t.Fatalf("call 2: %v", err)
	}
	var sre *sdkerr.ServiceResponseError
	if _, err := c.ShowNodesInformation(&model.ShowNodesInformationRequest{InstanceId: inst}); !errors.As(err, &sre) || sre.StatusCode != 503 {
		t.Fatalf("call 3: %v", err)
	}
	if s.Calls(fakedcs.APINodes) != 3 || s.BadSignatures() != 0 {
		t.Fatalf("calls = %d, bad = %d", s.Calls(fakedcs.APINodes), s.BadSignatures())
	}
}

func strPtr(s string) *string { return &s }
func i32Ptr(i int32) *int32   { return &i }
