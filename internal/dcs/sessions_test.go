package dcs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/dcs"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/testkit"
)

const node2 = "ff80808179c0e6e50179c0ee4b0c0006"

// newScanSetup is newSetup with a fake whose scans take scanDelay.
func newScanSetup(t *testing.T, scanDelay time.Duration, mod func(*dcs.Params)) setup {
	t.Helper()
	fake := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Instances: []string{instID}, ScanDelay: scanDelay})
	logs := &testkit.SyncBuffer{}
	p := dcs.Params{
		Instances:   map[string]dcs.Endpoint{alias: {InstanceID: instID, ProjectID: project, URL: fake.URL}},
		AK:          ak,
		SK:          sk,
		Timeout:     5 * time.Second,
		ScanWait:    10 * time.Second,
		BusyTimeout: 5 * time.Second,
		Logger:      newLogger(logs),
	}
	if mod != nil {
		mod(&p)
	}
	if p.ScanBound == 0 {
		p.ScanBound = p.BusyTimeout + 2*p.ScanWait + p.Timeout // as config.HuaweiCloud.ScanBound
	}
	c, err := dcs.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return setup{fake, c, logs}
}

// manyClients makes n sessions with distinct IDs and addresses.
func manyClients(n int) []fakedcs.Client {
	cs := make([]fakedcs.Client, n)
	for i := range cs {
		cs[i] = fakedcs.Client{ID: fmt.Sprint(1000 + i), Addr: fmt.Sprintf("10.0.%d.%d:%d", i/250, i%250+1, 40000+i),
			Age: i, Idle: i % 7, Cmd: "get", DB: "0"}
	}
	return cs
}

// ctxFor is a context for waiting on the fake, ended with the test.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m
}

func TestKillAllOneNode(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, manyClients(3))
	s.fake.SetClients(instID, node2, manyClients(2))
	job, err := s.c.KillAll(context.Background(), prod, node, false)
	if err != nil {
		t.Fatalf("KillAll: %v", err)
	}
	ks := s.fake.KillAlls()
	if len(ks) != 1 || ks[0].InstanceID != instID || ks[0].NodeID != node || ks[0].AllNodes || ks[0].At.IsZero() {
		t.Fatalf("kill-alls = %+v", ks)
	}
	if jobs := s.fake.Jobs(); len(jobs) != 1 || jobs[0].ID != job || jobs[0].Type != fakedcs.JobTypeKillAll {
		t.Fatalf("KillAll returned job %q; jobs %+v", job, jobs)
	}
	body := decodeBody(t, s.fake.Bodies(fakedcs.APIKillAll)[0])
	if len(body) != 2 || body["node_id"] != node || body["kill_all_nodes"] != false {
		t.Fatalf("body = %v, want node_id and kill_all_nodes false", body)
	}
	if len(s.fake.Clients(instID, node)) != 0 || len(s.fake.Clients(instID, node2)) != 2 {
		t.Fatal("kill-all of one node did not empty exactly that node")
	}
	if len(s.fake.Kills()) != 0 || s.fake.BadSignatures() != 0 {
		t.Fatal("unexpected kill or bad signature")
	}
	log := s.logs.String()
	for _, want := range []string{"api=HangUpKillAllClients", "status=200", "job_id=", "all_nodes=false"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestKillAllNodes(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, manyClients(3))
	s.fake.SetClients(instID, node2, manyClients(2))
	if _, err := s.c.KillAll(context.Background(), prod, "", true); err != nil {
		t.Fatalf("KillAll: %v", err)
	}
	ks := s.fake.KillAlls()
	if len(ks) != 1 || ks[0].NodeID != "" || !ks[0].AllNodes {
		t.Fatalf("kill-alls = %+v", ks)
	}
	body := decodeBody(t, s.fake.Bodies(fakedcs.APIKillAll)[0])
	if _, has := body["node_id"]; has || len(body) != 1 || body["kill_all_nodes"] != true {
		t.Fatalf("body = %v, want only kill_all_nodes true", body)
	}
	if len(s.fake.Clients(instID, node))+len(s.fake.Clients(instID, node2)) != 0 {
		t.Fatal("kill-all on all nodes left sessions")
	}
}

func TestKillAllBadInputNotSent(t *testing.T) {
	s := newSetup(t, nil)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := map[string]struct {
		ctx  context.Context
		inst approvals.Instance
		node string
		all  bool
		want string
	}{
		"node with all nodes": {ctx, prod, node, true, "given for a kill on all nodes"},
		"no node":             {ctx, prod, "", false, "node ID is empty"},
		"unknown alias":       {ctx, approvals.Instance{Alias: "x"}, node, false, `"x" is not configured`},
		"cancelled":           {cancelled, prod, node, false, "not sent"},
	}
	for name, tc := range cases {
		job, err := s.c.KillAll(tc.ctx, tc.inst, tc.node, tc.all)
		if job != "" {
			t.Errorf("%s: job %q", name, job)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		if errors.Is(err, approvals.ErrOutcomeUnknown) {
			t.Errorf("%s: unknown outcome for a request never sent", name)
		}
	}
	if n := s.fake.Calls(fakedcs.APIKillAll); n != 0 {
		t.Fatalf("%d bad kill-alls reached DCS", n)
	}
}

func TestKillAllErrorsMapped(t *testing.T) {
	s := newSetup(t, func(p *dcs.Params) { p.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	var de *approvals.DCSError

	// A DCS answer, and never a retry even on 5xx.
	for i, rep := range []fakedcs.Reply{
		{Status: 400, Code: "DCS.4800", Message: "Invalid parameter: node_id.", RequestID: "req-1"},
		{Status: 503, Code: "DCS.5000", Message: "Internal error", RequestID: "req-2"},
	} {
		s.fake.SetReply(fakedcs.APIKillAll, func(int) fakedcs.Reply { return rep })
		before := s.fake.Calls(fakedcs.APIKillAll)
		_, err := s.c.KillAll(ctx, prod, node, false)
		want := approvals.DCSError{HTTPStatus: rep.Status, Code: rep.Code, Message: rep.Message, RequestID: rep.RequestID}
		if !errors.As(err, &de) || *de != want || errors.Is(err, approvals.ErrOutcomeUnknown) {
			t.Fatalf("%d: err = %v, want %+v", i, err, want)
		}
		if !strings.HasPrefix(err.Error(), "kill all sessions on "+alias+": ") {
			t.Errorf("%d: err text %q", i, err)
		}
		if n := s.fake.Calls(fakedcs.APIKillAll) - before; n != 1 {
			t.Fatalf("%d: sent %d times, want 1", i, n)
		}
	}

	// No answer: unknown outcome, not retried.
	for _, rep := range []fakedcs.Reply{{Hang: true}, {Drop: true}} {
		s.fake.SetReply(fakedcs.APIKillAll, func(int) fakedcs.Reply { return rep })
		before := s.fake.Calls(fakedcs.APIKillAll)
		_, err := s.c.KillAll(ctx, prod, node, false)
		if !errors.Is(err, approvals.ErrOutcomeUnknown) || errors.As(err, &de) {
			t.Fatalf("%+v: err = %v, want ErrOutcomeUnknown", rep, err)
		}
		if n := s.fake.Calls(fakedcs.APIKillAll) - before; n != 1 {
			t.Fatalf("%+v: sent %d times", rep, n)
		}
	}

	// A 2xx without the body the SDK expects: accepted, with no job.
	s.fake.SetReply(fakedcs.APIKillAll, func(int) fakedcs.Reply { return fakedcs.Reply{Status: 204} })
	if job, err := s.c.KillAll(ctx, prod, node, false); err != nil || job != "" {
		t.Fatalf("204: %q, %v", job, err)
	}

	// Never connected: a plain error.
	url := closedPort(t)
	refused := newSetup(t, func(p *dcs.Params) {
		p.Instances = map[string]dcs.Endpoint{alias: {InstanceID: instID, ProjectID: project, URL: url}}
	})
	_, err := refused.c.KillAll(ctx, prod, "", true)
	if err == nil || errors.Is(err, approvals.ErrOutcomeUnknown) || errors.As(err, &de) ||
		!strings.Contains(err.Error(), "could not reach DCS") {
		t.Fatalf("refused: %v", err)
	}
}

func TestSessionsScansThenListsAndMaps(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, []fakedcs.Client{
		{ID: "41", Addr: "10.0.0.1:5000", Peer: "192.0.2.9:6379", Name: "api", User: "default", DB: "3", Cmd: "get",
			Age: 3600, Idle: 12, Fd: "9", Flags: "N", Network: "tcp", Events: "r"},
		{ID: "42", Addr: "10.0.0.2:5000"},
	})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil {
		t.Fatal(err)
	}
	want := []approvals.Session{
		{ID: "41", Addr: "10.0.0.1:5000", Peer: "192.0.2.9:6379", Name: "api", User: "default", DB: "3", Cmd: "get",
			Age: time.Hour, Idle: 12 * time.Second},
		{ID: "42", Addr: "10.0.0.2:5000"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("sessions = %+v\nwant %+v", got, want)
	}
	if n := s.fake.Calls(fakedcs.APIScanClients); n != 1 {
		t.Fatalf("scans = %d, want 1", n)
	}
	scan := decodeBody(t, s.fake.Bodies(fakedcs.APIScanClients)[0])
	if scan["node_id"] != node || scan["clean_cache"] != true || len(scan) != 2 {
		t.Fatalf("scan body = %v", scan)
	}
	// The list's time before the scan, the scan's job, then the list.
	if n := s.fake.Calls(fakedcs.APIListClients); n != 2 {
		t.Fatalf("lists = %d, want 2 (its time before the scan, then the list)", n)
	}
	if n := s.fake.Calls(fakedcs.APIJobInfo); n != 1 {
		t.Fatalf("job reads = %d, want 1", n)
	}
	if s.fake.BadSignatures() != 0 {
		t.Fatal("bad signatures")
	}

	// A read that wants a scan started after it scans again, so later
	// changes show.
	s.fake.ReplaceClient(instID, node, "10.0.0.2:5000", fakedcs.Client{ID: "99", Age: 1})
	got, err = s.c.SessionsSince(context.Background(), prod, node, time.Now())
	if err != nil || len(got) != 2 || got[1].ID != "99" || got[1].Addr != "10.0.0.2:5000" || got[1].Age != time.Second {
		t.Fatalf("after replace: %+v, %v", got, err)
	}
	if n := s.fake.Calls(fakedcs.APIScanClients); n != 2 {
		t.Fatalf("scans = %d, want 2", n)
	}

	// An empty node is an empty list, not an error.
	got, err = s.c.Sessions(context.Background(), prod, node2)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty node: %+v, %v", got, err)
	}
}

func TestSessionsWaitsForTheScan(t *testing.T) {
	s := newScanSetup(t, 300*time.Millisecond, nil)
	s.fake.SetClients(instID, node, manyClients(5))
	start := time.Now()
	got, err := s.c.Sessions(context.Background(), prod, node)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d sessions", len(got))
	}
	if took < 300*time.Millisecond || took > 3*time.Second {
		t.Fatalf("took %s; the scan takes 300 ms", took)
	}
	// The job is read until it ends (0, 0.2, then 0.6 s); the list is read
	// only then, once, beside the time read before the scan.
	if n := s.fake.Calls(fakedcs.APIJobInfo); n < 2 || n > 4 {
		t.Fatalf("job reads = %d, want a few polls", n)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 2 {
		t.Fatalf("lists = %d, want 2", n)
	}
	if n := s.fake.Calls(fakedcs.APIScanClients); n != 1 {
		t.Fatalf("scans = %d", n)
	}
}

func TestSessionsPagesThroughAll(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(2345)
	s.fake.SetClients(instID, node, cs)
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cs) {
		t.Fatalf("got %d sessions, want %d", len(got), len(cs))
	}
	seen := map[string]bool{}
	for i, g := range got {
		if g.ID != cs[i].ID || g.Addr != cs[i].Addr || g.Age != time.Duration(cs[i].Age)*time.Second {
			t.Fatalf("session %d = %+v, want %+v", i, g, cs[i])
		}
		if seen[g.ID] {
			t.Fatalf("session %s twice", g.ID)
		}
		seen[g.ID] = true
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 4 {
		t.Fatalf("lists = %d, want the time before the scan and 3 pages", n)
	}
	// The exact split is 1000 + 1000 + 345; also check an exact multiple.
	s.fake.SetClients(instID, node, manyClients(2000))
	before := s.fake.Calls(fakedcs.APIListClients)
	got, err = s.c.SessionsSince(context.Background(), prod, node, time.Now())
	if err != nil || len(got) != 2000 {
		t.Fatalf("2000: %d, %v", len(got), err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients) - before; n != 3 {
		t.Fatalf("2000: lists = %d, want 1 + 2 pages", n)
	}
}

// A list that changes between pages (another scan started) is read again
// from the start.
func TestSessionsRestartWhenTheListChanges(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(1500)
	s.fake.SetClients(instID, node, cs)
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call == 3 {
			return fakedcs.Error(400, "DCS.4957", "This operation is not allowed when the task is in the current state.")
		}
		return fakedcs.Reply{}
	})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil || len(got) != 1500 {
		t.Fatalf("got %d, %v", len(got), err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 5 {
		t.Fatalf("lists = %d, want 5 (time before the scan, page 1, changed, page 1, page 2)", n)
	}

	// Always changing: give up.
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call%2 == 0 {
			return fakedcs.Error(400, "DCS.4957", "busy")
		}
		return fakedcs.Reply{}
	})
	_, err = s.c.SessionsSince(context.Background(), prod, node, time.Now())
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("err = %v", err)
	}
}

// Fewer sessions than DCS counted is an error, not a partial list.
func TestSessionsShortListIsAnError(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call > 2 {
			return fakedcs.Reply{Body: []byte(`{"time":"t1","count":5,"clients":[]}`)}
		}
		return fakedcs.Reply{Body: []byte(`{"time":"t1","count":5,"clients":[{"id":"1","addr":"10.0.0.1:1"},{"id":"2","addr":"10.0.0.2:1"}]}`)}
	})
	_, err := s.c.Sessions(context.Background(), prod, node)
	if err == nil || !strings.Contains(err.Error(), "read 2 sessions of the 5") {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 3 {
		t.Fatalf("lists = %d, want 3 (the time before the scan, page 1, then an empty page)", n)
	}
}

func TestSessionsNotSupported(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetReply(fakedcs.APIScanClients, func(int) fakedcs.Reply {
		r := fakedcs.Error(400, "DCS.4848", "The instance does not support session management.")
		r.RequestID = "req-4848"
		return r
	})
	_, err := s.c.Sessions(context.Background(), prod, node)
	var de *approvals.DCSError
	want := approvals.DCSError{HTTPStatus: 400, Code: "DCS.4848", Message: "The instance does not support session management.", RequestID: "req-4848"}
	if !errors.As(err, &de) || *de != want {
		t.Fatalf("err = %v", err)
	}
	if !strings.HasPrefix(err.Error(), "scan sessions on "+alias+": ") {
		t.Errorf("err text %q", err)
	}
	// The list's time was read before the scan; nothing after it.
	if s.fake.Calls(fakedcs.APIScanClients) != 1 || s.fake.Calls(fakedcs.APIListClients) != 1 || s.fake.Calls(fakedcs.APIJobInfo) != 0 {
		t.Fatalf("scans = %d, lists = %d, job reads = %d", s.fake.Calls(fakedcs.APIScanClients),
			s.fake.Calls(fakedcs.APIListClients), s.fake.Calls(fakedcs.APIJobInfo))
	}
}

func TestSessionsWrongNode(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetNodes(instID, []fakedcs.Node{{NodeID: node, LogicalNodeID: "l1"}})
	_, err := s.c.Sessions(context.Background(), prod, "l1")
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.Code != "DCS.3053" {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.c.Sessions(context.Background(), prod, node); err != nil {
		t.Fatalf("right node: %v", err)
	}
}

func TestSessionsRetriesServerErrors(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, manyClients(3))
	s.fake.SetReply(fakedcs.APIScanClients, func(call int) fakedcs.Reply {
		if call == 1 {
			return fakedcs.Error(500, "DCS.5000", "Internal error")
		}
		return fakedcs.Reply{}
	})
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call == 1 {
			return fakedcs.Error(429, "APIG.0308", "too many requests")
		}
		return fakedcs.Reply{}
	})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil || len(got) != 3 {
		t.Fatalf("got %d, %v", len(got), err)
	}
	// The time read before the scan is retried, then the list.
	if s.fake.Calls(fakedcs.APIScanClients) != 2 || s.fake.Calls(fakedcs.APIListClients) != 3 {
		t.Fatalf("scans = %d, lists = %d", s.fake.Calls(fakedcs.APIScanClients), s.fake.Calls(fakedcs.APIListClients))
	}

	// Always 5xx on the scan: three tries, then the answer.
	s.fake.SetReply(fakedcs.APIScanClients, func(int) fakedcs.Reply { return fakedcs.Error(503, "DCS.5006", "busy") })
	before := s.fake.Calls(fakedcs.APIScanClients)
	_, err = s.c.SessionsSince(context.Background(), prod, node, time.Now())
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.HTTPStatus != 503 || de.Code != "DCS.5006" {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APIScanClients) - before; n != 3 {
		t.Fatalf("scans = %d, want 3", n)
	}
}

// A scan whose job never ends ends the read at ScanWait; the list is never
// taken meanwhile, whatever it answers.
func TestSessionsScanNeverFinishes(t *testing.T) {
	s := newScanSetup(t, time.Hour, func(p *dcs.Params) { p.ScanWait = 700 * time.Millisecond })
	s.fake.SetListDuringScan(fakedcs.ListPrevious)
	start := time.Now()
	_, err := s.c.Sessions(context.Background(), prod, node)
	took := time.Since(start)
	var ex approvals.Explainer
	if err == nil || !strings.Contains(err.Error(), "session scan did not finish within 0.7 s") ||
		!errors.As(err, &ex) || !strings.Contains(ex.Explain(), "did not finish") {
		t.Fatalf("err = %v", err)
	}
	if took < 700*time.Millisecond || took > 3*time.Second {
		t.Fatalf("took %s", took)
	}
	// 0, 0.2, 0.6 s, then the deadline at 0.7 s.
	if n := s.fake.Calls(fakedcs.APIJobInfo); n < 3 || n > 5 {
		t.Fatalf("job reads = %d", n)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 1 {
		t.Fatalf("lists = %d, want only the time before the scan", n)
	}

	// A cancelled context ends the wait at once.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	other := newScanSetup(t, time.Hour, nil)
	start = time.Now()
	_, err = other.c.Sessions(ctx, prod, node)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("cancelled: %v after %s", err, time.Since(start))
	}
}

// Readers of one node at once share scans: one that asks while a scan
// runs waits for it and shares the next one, which starts after it asked,
// with every reader that asked meanwhile. No scan is refused.
func TestSessionsConcurrentScans(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
	s.fake.SetClients(instID, node, manyClients(4))
	read := func(out chan<- []approvals.Session) {
		got, err := s.c.Sessions(context.Background(), prod, node)
		if err != nil {
			t.Error(err)
		}
		out <- got
	}
	first := make(chan []approvals.Session, 1)
	go read(first)
	jobs, err := s.fake.WaitJobs(ctxFor(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	late := make(chan []approvals.Session, 3)
	for range 3 {
		go read(late)
	}
	waitUntil(t, "three readers queued", func() bool { return s.c.QueuedReaders(instID, node) == 3 })
	if err := s.fake.FinishJob(jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	// The first scan has its snapshot; a client reuses an address before
	// the second ends: the readers who asked during the first must see it.
	jobs, err = s.fake.WaitJobs(ctxFor(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	s.fake.ReplaceClient(instID, node, manyClients(1)[0].Addr, fakedcs.Client{ID: "reused", Age: 1})
	if err := s.fake.FinishJob(jobs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got := <-first; len(got) != 4 || got[0].ID != "1000" {
		t.Errorf("first reader: %+v", got)
	}
	for range 3 {
		if got := <-late; len(got) != 4 || got[0].ID != "reused" {
			t.Errorf("late reader got %+v, want the session that reused the address", got)
		}
	}
	if n, started := s.fake.Calls(fakedcs.APIScanClients), s.fake.Scans(instID, node); n != 2 || started != 2 {
		t.Fatalf("scan calls = %d, scans started = %d; want 2 and 2", n, started)
	}
}

// waitUntil waits for cond, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNodesMapping(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetNodes(instID, []fakedcs.Node{
		{NodeID: node, LogicalNodeID: "ln-1", Name: "redis-1", Status: "Active", NodeRole: "redis-server", NodeType: "master",
			NodeIP: "192.0.2.7", NodePort: "6379", IsAccess: true, GroupID: "g1", GroupName: "group-0", PriorityWeight: 100},
		{LogicalNodeID: "ln-proxy", Name: "proxy-1", Status: "Inactive", NodeRole: "redis-proxy", NodeType: "proxy",
			NodeIP: "192.0.2.8", NodePort: "8080"},
	})
	got, err := s.c.Nodes(context.Background(), prod)
	if err != nil {
		t.Fatal(err)
	}
	// A node DCS gives no node_id keeps an empty ID: the logical one is
	// not taken in its place.
	want := []approvals.Node{
		{ID: node, LogicalID: "ln-1", Name: "redis-1", Role: "redis-server", Type: "master", IP: "192.0.2.7", Port: "6379", Status: "Active"},
		{LogicalID: "ln-proxy", Name: "proxy-1", Role: "redis-proxy", Type: "proxy", IP: "192.0.2.8", Port: "8080", Status: "Inactive"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("nodes = %+v\nwant %+v", got, want)
	}
	// The IDs Nodes gives are the ones the session routes take.
	if _, err := s.c.Sessions(context.Background(), prod, got[0].ID); err != nil {
		t.Errorf("Sessions(%s): %v", got[0].ID, err)
	}
	if _, err := s.c.Sessions(context.Background(), prod, got[1].ID); err == nil || !strings.Contains(err.Error(), "node ID is empty") {
		t.Errorf("Sessions of a node without an ID: %v", err)
	}
	if ps := approvals.SessionNodes(got); len(ps) != 1 || ps[0].LogicalID != "ln-proxy" || ps[0].ID != "" {
		t.Fatalf("SessionNodes = %+v", ps)
	}
}
