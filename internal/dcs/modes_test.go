package dcs_test

// The client against each behaviour DCS's documentation allows, as
// fakedcs plays it: scans as jobs, the list during a scan refused or the
// previous one served, a job that cannot be read, DCS.4957 for kills and
// second scans while a session task runs, kill-all jobs that fail, kills
// matched by peer only, latency, a Proxy Cluster.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/dcs"
	"dcsbot/internal/fakedcs"
)

// replica is another client of the same fake: another bot replica, or
// another DCS user (the console, a script).
func replica(t *testing.T, s setup) *dcs.Client {
	t.Helper()
	c, err := dcs.New(dcs.Params{AK: ak, SK: sk, Timeout: 5 * time.Second, ScanWait: time.Minute, BusyTimeout: time.Minute,
		ScanBound: 3*time.Minute + 5*time.Second, Instances: map[string]dcs.Endpoint{alias: {InstanceID: instID, ProjectID: project, URL: s.fake.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// holdFirstScan makes the fake's first scan job run until FinishJob, the
// others end at once; it starts that scan from another replica and returns
// its job once it runs, and a channel closed when that replica's read ends.
func holdFirstScan(t *testing.T, s setup) (fakedcs.Job, <-chan struct{}) {
	t.Helper()
	s.fake.SetScanPlan(func(c fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: c.N == 1} })
	other := replica(t, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := other.Sessions(context.Background(), prod, node); err != nil {
			t.Errorf("the other replica's read: %v", err)
		}
	}()
	jobs, err := s.fake.WaitJobs(ctxFor(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.fake.FinishJob(jobs[0].ID) // if the test did not
		<-done
	})
	return jobs[0], done
}

// While a scan runs, DCS may serve the previous list. The client never
// takes it: an address reused since then shows its new session.
func TestSessionsNeverTakeThePreviousList(t *testing.T) {
	s := newScanSetup(t, 300*time.Millisecond, nil)
	s.fake.SetListDuringScan(fakedcs.ListPrevious)
	cs := manyClients(3)
	s.fake.SetClients(instID, node, cs)
	if got, err := s.c.Sessions(context.Background(), prod, node); err != nil || got[0].ID != cs[0].ID {
		t.Fatalf("first read: %+v, %v", got, err)
	}
	s.fake.ReplaceClient(instID, node, cs[0].Addr, fakedcs.Client{ID: "new-client", Age: 0})
	got, err := s.c.SessionsSince(context.Background(), prod, node, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "new-client" || got[0].Addr != cs[0].Addr {
		t.Fatalf("read %+v: the list from before the scan was taken", got[0])
	}
}

// Where the scan's job cannot be read, the list counts only once its time
// has moved past the one read before the scan, in both list modes.
func TestSessionsFreshByListTimeWhenTheJobIsUnreadable(t *testing.T) {
	for _, mode := range []fakedcs.ListMode{fakedcs.ListPrevious, fakedcs.ListRefuse} {
		s := newScanSetup(t, 300*time.Millisecond, nil)
		s.fake.SetListDuringScan(mode)
		cs := manyClients(3)
		s.fake.SetClients(instID, node, cs)
		if _, err := s.c.Sessions(context.Background(), prod, node); err != nil {
			t.Fatal(err)
		}
		s.fake.SetReply(fakedcs.APIJobInfo, func(int) fakedcs.Reply {
			return fakedcs.Error(403, "DCS.2003", "No permission to read jobs.")
		})
		s.fake.ReplaceClient(instID, node, cs[0].Addr, fakedcs.Client{ID: "new-client"})
		// Longer than the scan before, so that the list is read while
		// this one runs.
		s.fake.SetScanDelay(700 * time.Millisecond)
		before := s.fake.Calls(fakedcs.APIListClients)
		got, err := s.c.SessionsSince(context.Background(), prod, node, time.Now())
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if got[0].ID != "new-client" {
			t.Fatalf("mode %d: read %+v from before the scan", mode, got[0])
		}
		// The time before, then polls while the scan runs, then the list.
		if n := s.fake.Calls(fakedcs.APIListClients) - before; n < 3 {
			t.Fatalf("mode %d: %d lists, want polls until the list was new", mode, n)
		}
		if !strings.Contains(s.logs.String(), "fresh_by=\"list time\"") {
			t.Fatalf("mode %d: the log does not say the list's time told", mode)
		}
	}
}

// A scan job that ends FAIL fails the read with DCS's reason; the list is
// not read after it.
func TestSessionsScanJobFails(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan {
		return fakedcs.JobPlan{Duration: 100 * time.Millisecond, Fail: true, FailReason: "Redis did not answer CLIENT LIST."}
	})
	_, err := s.c.Sessions(context.Background(), prod, node)
	var ex approvals.Explainer
	if err == nil || !errors.As(err, &ex) || !strings.Contains(ex.Explain(), "Redis did not answer CLIENT LIST.") ||
		!strings.Contains(err.Error(), "failed: Redis did not answer") {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 1 {
		t.Fatalf("lists = %d, want only the time before the scan", n)
	}
}

// Pages of one read come from one snapshot: a page with another time
// starts the read again.
func TestSessionsPagesFromOneSnapshot(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, manyClients(1500))
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call == 3 { // the second page of the first reading
			return fakedcs.Reply{Body: []byte(`{"time":"2001-01-01T00:00:00.000Z","count":1500,"clients":[{"id":"x","addr":"10.9.9.9:1"}]}`)}
		}
		return fakedcs.Reply{}
	})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil || len(got) != 1500 || got[len(got)-1].ID == "x" {
		t.Fatalf("got %d, %v", len(got), err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 5 {
		t.Fatalf("lists = %d, want 5 (time before, page 1, other snapshot, page 1, page 2)", n)
	}
}

// A scan refused because another replica's scan runs (DCS.4957) is asked
// again, with backoff, until that one ends; past BusyTimeout the read
// fails with DCS's answer.
func TestSessionsWaitOutABusyNode(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetClients(instID, node, manyClients(2))
	held, otherDone := holdFirstScan(t, s)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		waitUntil(t, "a refused scan", func() bool { return s.fake.Calls(fakedcs.APIScanClients) >= 2 })
		if err := s.fake.FinishJob(held.ID); err != nil {
			t.Error(err)
		}
	}()
	got, err := s.c.Sessions(context.Background(), prod, node)
	<-finished
	<-otherDone
	if err != nil || len(got) != 2 {
		t.Fatalf("got %d, %v", len(got), err)
	}
	if calls, started := s.fake.Calls(fakedcs.APIScanClients), s.fake.Scans(instID, node); calls < 3 || started != 2 {
		t.Fatalf("scan calls = %d, started = %d; want a refused one between two", calls, started)
	}

	busy := newSetup(t, func(p *dcs.Params) { p.BusyTimeout = 700 * time.Millisecond })
	holdFirstScan(t, busy)
	start := time.Now()
	_, err = busy.c.Sessions(context.Background(), prod, node)
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.Code != "DCS.4957" || !strings.Contains(err.Error(), "still busy after") {
		t.Fatalf("busy past the timeout: %v", err)
	}
	if took := time.Since(start); took < 700*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %s", took)
	}
	if n := busy.fake.Calls(fakedcs.APIScanClients); n < 3 {
		t.Fatalf("scan calls = %d, want several tries", n)
	}
}

// A kill waits for the client's own scan of the node: it is not sent
// during it, so DCS never refuses it.
func TestKillWaitsForOwnScan(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
	cs := manyClients(2)
	s.fake.SetClients(instID, node, cs)
	read := make(chan error, 1)
	go func() {
		_, err := s.c.Sessions(context.Background(), prod, node)
		read <- err
	}()
	jobs, err := s.fake.WaitJobs(ctxFor(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	killed := make(chan error, 1)
	go func() { killed <- s.c.Kill(context.Background(), prod, node, []string{cs[0].Addr}) }()
	time.Sleep(200 * time.Millisecond) // give a kill that would not wait the time to be sent
	if err := s.fake.FinishJob(jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := <-killed; err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	ks := s.fake.Kills()
	end, _ := s.fake.WaitJobEnd(ctxFor(t), jobs[0].ID)
	if len(ks) != 1 || ks[0].At.Before(end.End) {
		t.Fatalf("kills %+v; the scan ended at %s", ks, end.End)
	}
}

// A kill refused with DCS.4957 did nothing and is sent again once the node
// is free; after BusyTimeout the refusal is the answer. No other answer is
// sent again.
func TestKillWaitsOutABusyNode(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(2)
	s.fake.SetClients(instID, node, cs)
	held, otherDone := holdFirstScan(t, s)
	go func() {
		// Once the refusal is back (the fake records a kill before it
		// answers it, so waiting for the record alone could end the
		// scan before the refusal).
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.logs.String(), "dcs node busy with a session task"); {
			if time.Now().After(deadline) {
				t.Error("the kill was not refused")
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := s.fake.FinishJob(held.ID); err != nil {
			t.Error(err)
		}
	}()
	if err := s.c.Kill(context.Background(), prod, node, []string{cs[0].Addr}); err != nil {
		t.Fatal(err)
	}
	<-otherDone
	if n := len(s.fake.Kills()); n != 2 {
		t.Fatalf("kill calls = %d, want the refused one and the one done", n)
	}
	if left := s.fake.Clients(instID, node); len(left) != 1 || left[0].Addr != cs[1].Addr {
		t.Fatalf("sessions left %+v", left)
	}

	busy := newSetup(t, func(p *dcs.Params) { p.BusyTimeout = 600 * time.Millisecond })
	busy.fake.SetClients(instID, node, cs)
	holdFirstScan(t, busy)
	err := busy.c.Kill(context.Background(), prod, node, []string{cs[0].Addr})
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.Code != "DCS.4957" || errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatalf("busy past the timeout: %v", err)
	}
	if n := len(busy.fake.Kills()); n < 2 || len(busy.fake.Clients(instID, node)) != 2 {
		t.Fatalf("kill calls = %d, sessions %d", n, len(busy.fake.Clients(instID, node)))
	}

	for _, code := range []string{"DCS.4017", "DCS.4800"} {
		other := newSetup(t, nil)
		other.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Error(400, code, "no") })
		if err := other.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"}); !errors.As(err, &de) || de.Code != code {
			t.Fatalf("%s: %v", code, err)
		}
		if n := other.fake.Calls(fakedcs.APIKill); n != 1 {
			t.Fatalf("%s: sent %d times", code, n)
		}
	}
}

// A kill-all is a job: WaitJob follows it to SUCCESS (the sessions gone)
// or FAIL (with DCS's reason, the sessions kept), or returns it still
// running when ctx ends. Reads that fail for a while do not end the wait;
// a job DCS will not show does.
func TestKillAllJobFollowed(t *testing.T) {
	s := newSetup(t, nil)
	ctx := context.Background()
	s.fake.SetClients(instID, node, manyClients(3))
	s.fake.SetKillAllPlan(func(c fakedcs.JobCall) fakedcs.JobPlan {
		switch c.N {
		case 1:
			return fakedcs.JobPlan{Duration: 300 * time.Millisecond, Fail: true, FailReason: "Node is being restarted."}
		case 2:
			return fakedcs.JobPlan{Init: 100 * time.Millisecond, Duration: 300 * time.Millisecond}
		}
		return fakedcs.JobPlan{Hold: true}
	})
	job, err := s.c.KillAll(ctx, prod, node, false)
	if err != nil || job == "" {
		t.Fatalf("KillAll = %q, %v", job, err)
	}
	got, err := s.c.WaitJob(ctx, prod, job)
	if err != nil || got.Status != approvals.JobFail || got.FailReason != "Node is being restarted." || got.ID != job || got.End.IsZero() {
		t.Fatalf("failed job: %+v, %v", got, err)
	}
	if n := len(s.fake.Clients(instID, node)); n != 3 {
		t.Fatalf("a failed kill-all killed %d sessions", 3-n)
	}

	s.fake.SetReply(fakedcs.APIJobInfo, func(call int) fakedcs.Reply {
		if call <= 3 {
			return fakedcs.Error(503, "DCS.5000", "Internal error.")
		}
		return fakedcs.Reply{}
	})
	job, _ = s.c.KillAll(ctx, prod, node, false)
	if got, err := s.c.WaitJob(ctx, prod, job); err != nil || got.Status != approvals.JobSuccess {
		t.Fatalf("job after failing reads: %+v, %v", got, err)
	}
	if n := len(s.fake.Clients(instID, node)); n != 0 {
		t.Fatalf("%d sessions left after SUCCESS", n)
	}

	s.fake.SetReply(fakedcs.APIJobInfo, nil)
	job, _ = s.c.KillAll(ctx, prod, node, false)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	got, err = s.c.WaitJob(short, prod, job)
	if !errors.Is(err, context.DeadlineExceeded) || got.Status != approvals.JobRunning {
		t.Fatalf("held job: %+v, %v", got, err)
	}
	var de *approvals.DCSError
	if _, err := s.c.WaitJob(ctx, prod, "ff8080-no-such-job"); !errors.As(err, &de) || de.Code != "DCS.4800" {
		t.Fatalf("unknown job: %v", err)
	}
}

// A kill-all refused because a session task runs on the node is sent
// again once it ends.
func TestKillAllWaitsOutABusyNode(t *testing.T) {
	s := newSetup(t, nil)
	held, otherDone := holdFirstScan(t, s)
	go func() {
		if _, err := s.fake.WaitKillAlls(ctxFor(t), 1); err != nil {
			t.Error(err)
		}
		if err := s.fake.FinishJob(held.ID); err != nil {
			t.Error(err)
		}
	}()
	job, err := s.c.KillAll(context.Background(), prod, node, false)
	<-otherDone
	if err != nil || job == "" {
		t.Fatalf("KillAll = %q, %v", job, err)
	}
	if n := len(s.fake.KillAlls()); n != 2 {
		t.Fatalf("kill-all calls = %d, want the refused one and the accepted one", n)
	}
}

// DCS documents client_addrs as the peer address: against a DCS that
// matches only that, a kill by peer closes the session and one by the
// address CLIENT LIST shows does not.
func TestKillByPeerOnly(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetKillMatch(fakedcs.MatchPeer)
	s.fake.SetClients(instID, node, []fakedcs.Client{{ID: "1", Addr: "198.19.0.5:40001", Peer: "10.0.0.5:50001"}})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil || len(got) != 1 || got[0].Peer != "10.0.0.5:50001" {
		t.Fatalf("sessions %+v, %v", got, err)
	}
	if err := s.c.Kill(context.Background(), prod, node, []string{got[0].Addr}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.Clients(instID, node)); n != 1 {
		t.Fatal("a kill by addr closed a session matched by peer only")
	}
	if err := s.c.Kill(context.Background(), prod, node, []string{got[0].Peer}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.Clients(instID, node)); n != 0 {
		t.Fatal("a kill by peer left the session")
	}
}

// A Proxy Cluster behind a slow gateway: the session nodes are the
// proxies, each read on its own.
func TestProxyClusterWithLatency(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetCluster(instID, fakedcs.ProxyCluster())
	s.fake.SetLatency(30 * time.Millisecond)
	nodes, err := s.c.Nodes(context.Background(), prod)
	if err != nil {
		t.Fatal(err)
	}
	proxies := approvals.SessionNodes(nodes)
	if len(proxies) != 2 || proxies[0].ID != fakedcs.ProxyNode1 || proxies[1].ID != fakedcs.ProxyNode2 {
		t.Fatalf("session nodes %+v", proxies)
	}
	for _, p := range proxies {
		got, err := s.c.Sessions(context.Background(), prod, p.ID)
		if err != nil || len(got) != 5 {
			t.Fatalf("%s: %d sessions, %v", p.ID, len(got), err)
		}
	}
	if _, err := s.c.Sessions(context.Background(), prod, fakedcs.ShardMaster1); err != nil {
		t.Fatalf("a server node reads as empty: %v", err)
	}
}
