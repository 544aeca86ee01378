package fakedcs_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	dcsv2 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/fakedcs"
)

// clock is a settable Options.Now: real time plus an offset a test moves.
type clock struct {
	mu   sync.Mutex
	base time.Time
}

func newClock() *clock { return &clock{base: time.Now().Truncate(time.Millisecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base = c.base.Add(d)
}

func jobInfo(c *dcsv2.DcsClient, id string) (*model.ShowJobInfoResponse, error) {
	return c.ShowJobInfo(&model.ShowJobInfoRequest{JobId: id})
}

// wantJob checks ShowJobInfo's answer for id.
func wantJob(t *testing.T, c *dcsv2.DcsClient, id, typ, status string) *model.ShowJobInfoResponse {
	t.Helper()
	r, err := jobInfo(c, id)
	if err != nil {
		t.Fatalf("ShowJobInfo %s: %v", id, err)
	}
	if r.JobId == nil || *r.JobId != id || r.JobType == nil || r.JobType.Value() != typ ||
		r.Status == nil || r.Status.Value() != status || r.BeginTime == nil {
		t.Fatalf("ShowJobInfo %s = %v, want %s %s", id, r, typ, status)
	}
	return r
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func holdScans(s *fakedcs.Server) {
	s.SetScanPlan(func(j fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
}

func killAll(c *dcsv2.DcsClient, node string, all bool) (string, error) {
	body := &model.HangUpKillAllClientsRequestBody{KillAllNodes: &all}
	if node != "" {
		body.NodeId = &node
	}
	resp, err := c.HangUpKillAllClients(&model.HangUpKillAllClientsRequest{InstanceId: inst, Body: body})
	if err != nil {
		return "", err
	}
	m, _ := (*resp.Body).(map[string]any)
	id, _ := m["job_id"].(string)
	return id, nil
}

func TestScanJobLifecycle(t *testing.T) {
	clk := newClock()
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Now: clk.Now})
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	begin := clk.Now()
	s.SetScanPlan(func(j fakedcs.JobCall) fakedcs.JobPlan {
		if j.Type != fakedcs.JobTypeScan || j.NodeID != node || j.InstanceID != inst || j.N != 1 || j.ID == "" ||
			j.Plan != (fakedcs.JobPlan{}) {
			t.Errorf("JobCall = %+v", j)
		}
		return fakedcs.JobPlan{Init: time.Hour, Hold: true}
	})
	id, err := scan(c, inst, node)
	if err != nil || id == "" {
		t.Fatalf("scan = %q, %v", id, err)
	}
	r := wantJob(t, c, id, fakedcs.JobTypeScan, fakedcs.JobInit)
	if *r.BeginTime != ms(begin) || r.EndTime != nil || r.FailReason != nil {
		t.Fatalf("INIT job = %v", r)
	}
	_, err = list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")

	// Hold without Init: RUNNING until FinishJob.
	s2 := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Now: clk.Now,
		ScanPlan: func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} }})
	c2 := sdkClient(t, s2.URL, ak, sk, nil)
	s2.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	id2, err := scan(c2, inst, node)
	if err != nil {
		t.Fatal(err)
	}
	wantJob(t, c2, id2, fakedcs.JobTypeScan, fakedcs.JobRunning)
	clk.Advance(1500 * time.Millisecond)
	if err := s2.FinishJob(id2); err != nil {
		t.Fatal(err)
	}
	if err := s2.FinishJob(id2); err == nil {
		t.Fatal("FinishJob of an ended job succeeded")
	}
	if err := s2.FinishJob("no-such-job"); err == nil {
		t.Fatal("FinishJob of an unknown job succeeded")
	}
	r = wantJob(t, c2, id2, fakedcs.JobTypeScan, fakedcs.JobSuccess)
	if *r.BeginTime != ms(begin) || r.EndTime == nil || *r.EndTime != ms(begin.Add(1500*time.Millisecond)) || r.FailReason != nil {
		t.Fatalf("ended job = %v", r)
	}
	lr, err := list(c2, node, 0, 10, "")
	if err != nil || ids(lr) != "1" || *lr.Time != begin.Add(1500*time.Millisecond).UTC().Format(fakedcs.ListTimeFormat) {
		t.Fatalf("list after the scan = %v, %v", lr, err)
	}
	if js := s2.Jobs(); len(js) != 1 || js[0].ID != id2 || js[0].Status != fakedcs.JobSuccess || js[0].NodeID != node {
		t.Fatalf("Jobs = %+v", js)
	}
}

// A job is listed (WaitJobs) a moment before its plan is known. A
// FinishJob in that moment waits for the plan and ends the job as the plan
// says, for good: the plan arriving afterwards does not set it RUNNING
// again.
func TestFinishJobBeforeItsPlanIsKnown(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project})
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	planning, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	releasePlan := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releasePlan) // before the server's Close waits for the scan's call
	s.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan {
		close(planning)
		<-release
		return fakedcs.JobPlan{Hold: true, Fail: true, FailReason: "planned"}
	})
	scanned := make(chan error, 1)
	go func() {
		_, err := scan(c, inst, node)
		scanned <- err
	}()
	<-planning
	jobs, err := s.WaitJobs(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan error, 1)
	go func() { finished <- s.FinishJob(jobs[0].ID) }()
	select {
	case err := <-finished:
		t.Fatalf("FinishJob returned (%v) before the job's plan was known", err)
	case <-time.After(50 * time.Millisecond):
	}
	releasePlan()
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	if err := <-scanned; err != nil {
		t.Fatal(err)
	}
	// Ended as its plan says (FAIL), not as a job with no plan would.
	wantJob(t, c, jobs[0].ID, fakedcs.JobTypeScan, fakedcs.JobFail)
	if js := s.Jobs(); js[0].Status != fakedcs.JobFail || js[0].FailReason != "planned" {
		t.Fatalf("Jobs = %+v, want the job ended FAIL as planned", js)
	}
}

func TestScanJobEndsOnItsOwn(t *testing.T) {
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, ScanDelay: 100 * time.Millisecond})
	c := sdkClient(t, s.URL, ak, sk, nil)
	id, err := scan(c, inst, node)
	if err != nil {
		t.Fatal(err)
	}
	wantJob(t, c, id, fakedcs.JobTypeScan, fakedcs.JobRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if js, err := s.WaitJobs(ctx, 1); err != nil || len(js) != 1 {
		t.Fatalf("WaitJobs = %v, %v", js, err)
	}
	j, err := s.WaitJobEnd(ctx, id)
	if err != nil || j.Status != fakedcs.JobSuccess || j.End.IsZero() {
		t.Fatalf("WaitJobEnd = %+v, %v", j, err)
	}
	wantJob(t, c, id, fakedcs.JobTypeScan, fakedcs.JobSuccess)

	// A scan without clean_cache after a successful one starts no job and
	// answers the finished job's ID.
	n := node
	resp, err := c.ScanClients(&model.ScanClientsRequest{InstanceId: inst, Body: &model.ScanClientsRequestBody{NodeId: &n}})
	if err != nil {
		t.Fatal(err)
	}
	if m := (*resp.Body).(map[string]any); m["job_id"] != id || s.Scans(inst, node) != 1 {
		t.Fatalf("cached scan = %v, scans = %d", m, s.Scans(inst, node))
	}
}

func TestScanJobFails(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
	first, err := scan(c, inst, node)
	if err != nil {
		t.Fatal(err)
	}
	old, err := list(c, node, 0, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	s.SetClients(inst, node, []fakedcs.Client{{ID: "2", Addr: "10.0.0.2:1"}})

	// A zero-length failing plan ends before the scan is answered.
	s.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan {
		return fakedcs.JobPlan{Fail: true, FailReason: "node busy"}
	})
	id, err := scan(c, inst, node)
	if err != nil || id == first {
		t.Fatalf("scan = %q, %v", id, err)
	}
	r := wantJob(t, c, id, fakedcs.JobTypeScan, fakedcs.JobFail)
	if r.FailReason == nil || *r.FailReason != "node busy" || r.EndTime == nil {
		t.Fatalf("failed job = %v", r)
	}
	// No snapshot from a failed scan: refused by default...
	_, err = list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
	// ...or the previous one in ListPrevious mode.
	s.SetListDuringScan(fakedcs.ListPrevious)
	lr, err := list(c, node, 0, 10, "")
	if err != nil || ids(lr) != "1" || *lr.Time != *old.Time {
		t.Fatalf("list after a failed scan = %v, %v", lr, err)
	}
	// A failed scan is no session task: a kill goes through; and clean_cache
	// false starts a new scan, there being no good cached list.
	if err := kill(c, inst, node, "10.0.0.2:1"); err != nil {
		t.Fatal(err)
	}
	s.SetScanPlan(nil)
	n := node
	if _, err := c.ScanClients(&model.ScanClientsRequest{InstanceId: inst, Body: &model.ScanClientsRequestBody{NodeId: &n}}); err != nil {
		t.Fatal(err)
	}
	if s.Scans(inst, node) != 3 {
		t.Fatalf("scans = %d, want 3", s.Scans(inst, node))
	}
	if lr, err := list(c, node, 0, 10, ""); err != nil || ids(lr) != "" || *lr.Count != 0 {
		t.Fatalf("list after a new scan = %v, %v", lr, err)
	}
}

func TestListDuringScanModes(t *testing.T) {
	clk := newClock()
	s := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, Now: clk.Now})
	c := sdkClient(t, s.URL, ak, sk, nil)
	const node2 = "ff80808179c0e6e50179c0ee4b0c0006"
	for _, n := range []string{node, node2} {
		s.SetClients(inst, n, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
		if _, err := scan(c, inst, n); err != nil {
			t.Fatal(err)
		}
	}
	old, err := list(c, node, 0, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	for _, n := range []string{node, node2} {
		s.SetClients(inst, n, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}, {ID: "2", Addr: "10.0.0.2:1"}})
	}
	holdScans(s)
	id, err := scan(c, inst, node)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scan(c, inst, node2); err != nil {
		t.Fatal(err)
	}

	// Default (ListRefuse): refused while the scan runs.
	_, err = list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
	// One node in ListPrevious: the old snapshot with its old time; the
	// other node keeps refusing.
	s.SetNodeListDuringScan(inst, node, fakedcs.ListPrevious)
	lr, err := list(c, node, 0, 10, "")
	if err != nil || ids(lr) != "1" || *lr.Time != *old.Time {
		t.Fatalf("previous snapshot = %v, %v", lr, err)
	}
	_, err = list(c, node2, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
	// The server-wide mode reaches node2; node's own setting wins over it.
	s.SetListDuringScan(fakedcs.ListPrevious)
	s.SetNodeListDuringScan(inst, node, fakedcs.ListRefuse)
	if lr, err := list(c, node2, 0, 10, ""); err != nil || ids(lr) != "1" {
		t.Fatalf("node2 in ListPrevious = %v, %v", lr, err)
	}
	_, err = list(c, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")

	// Once the scan ends, the new snapshot with the new time.
	if err := s.FinishJob(id); err != nil {
		t.Fatal(err)
	}
	lr, err = list(c, node, 0, 10, "")
	if err != nil || ids(lr) != "1,2" || *lr.Time == *old.Time ||
		*lr.Time != clk.Now().UTC().Format(fakedcs.ListTimeFormat) {
		t.Fatalf("new snapshot = %v, %v", lr, err)
	}

	// Options.ListDuringScan sets the mode from the start; a node with no
	// snapshot yet refuses even in ListPrevious.
	p := fakedcs.New(t, fakedcs.Options{AK: ak, SK: sk, ProjectID: project, ListDuringScan: fakedcs.ListPrevious,
		ScanPlan: func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} }})
	pc := sdkClient(t, p.URL, ak, sk, nil)
	if _, err := scan(pc, inst, node); err != nil {
		t.Fatal(err)
	}
	_, err = list(pc, node, 0, 10, "")
	wantCode(t, err, 400, "DCS.4957")
}

func TestSessionTaskRefusesKillsAndScans(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	const node2 = "ff80808179c0e6e50179c0ee4b0c0006"
	s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}, {ID: "2", Addr: "10.0.0.2:1"}})
	s.SetClients(inst, node2, []fakedcs.Client{{ID: "3", Addr: "10.0.0.3:1"}})
	holdScans(s)
	id, err := scan(c, inst, node)
	if err != nil {
		t.Fatal(err)
	}

	wantCode(t, kill(c, inst, node, "10.0.0.1:1"), 400, "DCS.4957")
	_, err = scan(c, inst, node)
	wantCode(t, err, 400, "DCS.4957")
	n := node
	_, err = c.ScanClients(&model.ScanClientsRequest{InstanceId: inst, Body: &model.ScanClientsRequestBody{NodeId: &n}})
	wantCode(t, err, 400, "DCS.4957")
	_, err = killAll(c, node, false)
	wantCode(t, err, 400, "DCS.4957")
	_, err = killAll(c, "", true) // touches every node, node among them
	wantCode(t, err, 400, "DCS.4957")
	if len(s.Clients(inst, node)) != 2 || s.Scans(inst, node) != 1 || len(s.Jobs()) != 1 {
		t.Fatalf("refused calls did something: clients %v, scans %d, jobs %d", s.Clients(inst, node), s.Scans(inst, node), len(s.Jobs()))
	}
	// Refused calls are still recorded and counted.
	if len(s.Kills()) != 1 || len(s.KillAlls()) != 2 || s.Calls(fakedcs.APIScanClients) != 3 {
		t.Fatalf("kills %d, kill-alls %d, scan calls %d", len(s.Kills()), len(s.KillAlls()), s.Calls(fakedcs.APIScanClients))
	}

	// Another node is free.
	if err := kill(c, inst, node2, "10.0.0.3:1"); err != nil {
		t.Fatalf("kill on another node: %v", err)
	}
	// A programmed answer with a Status is sent as is and kills even now.
	s.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Status: 204} })
	if err := kill(c, inst, node, "10.0.0.2:1"); err != nil {
		t.Fatal(err)
	}
	s.SetKill(nil)

	if err := s.FinishJob(id); err != nil {
		t.Fatal(err)
	}
	if err := kill(c, inst, node, "10.0.0.1:1"); err != nil {
		t.Fatalf("kill after the scan: %v", err)
	}
	if len(s.Clients(inst, node)) != 0 || len(s.Clients(inst, node2)) != 0 {
		t.Fatalf("clients left: %v %v", s.Clients(inst, node), s.Clients(inst, node2))
	}
	if s.Scans(inst, node) != 1 || s.Scans(inst, node2) != 0 || s.ScansTotal() != 1 {
		t.Fatalf("scans %d %d total %d", s.Scans(inst, node), s.Scans(inst, node2), s.ScansTotal())
	}
}

func TestKillAllJob(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	const node2 = "ff80808179c0e6e50179c0ee4b0c0006"
	seed := func() {
		s.SetClients(inst, node, []fakedcs.Client{{ID: "1", Addr: "10.0.0.1:1"}})
		s.SetClients(inst, node2, []fakedcs.Client{{ID: "2", Addr: "10.0.0.2:1"}})
	}
	seed()
	s.SetKillAllPlan(func(j fakedcs.JobCall) fakedcs.JobPlan {
		if j.Type != fakedcs.JobTypeKillAll || j.InstanceID != inst {
			t.Errorf("JobCall = %+v", j)
		}
		p := fakedcs.JobPlan{Hold: true}
		if j.N == 2 {
			p.Fail, p.FailReason = true, "proxy unreachable"
		}
		return p
	})

	// SUCCESS: the node's sessions go when the job ends, not before.
	id, err := killAll(c, node, false)
	if err != nil || id == "" {
		t.Fatalf("kill-all = %q, %v", id, err)
	}
	wantJob(t, c, id, fakedcs.JobTypeKillAll, fakedcs.JobRunning)
	if len(s.Clients(inst, node)) != 1 {
		t.Fatal("sessions gone before the job ended")
	}
	// The kill-all is the node's session task.
	wantCode(t, kill(c, inst, node, "10.0.0.1:1"), 400, "DCS.4957")
	_, err = scan(c, inst, node)
	wantCode(t, err, 400, "DCS.4957")
	if err := s.FinishJob(id); err != nil {
		t.Fatal(err)
	}
	r := wantJob(t, c, id, fakedcs.JobTypeKillAll, fakedcs.JobSuccess)
	if r.EndTime == nil || r.FailReason != nil {
		t.Fatalf("job = %v", r)
	}
	if len(s.Clients(inst, node)) != 0 || len(s.Clients(inst, node2)) != 1 {
		t.Fatal("kill-all of one node")
	}

	// FAIL: nothing is killed.
	seed()
	id, err = killAll(c, "", true)
	if err != nil {
		t.Fatal(err)
	}
	// A kill-all of all nodes is the task of every node.
	wantCode(t, kill(c, inst, node2, "10.0.0.2:1"), 400, "DCS.4957")
	if err := s.FinishJob(id); err != nil {
		t.Fatal(err)
	}
	r = wantJob(t, c, id, fakedcs.JobTypeKillAll, fakedcs.JobFail)
	if r.FailReason == nil || *r.FailReason != "proxy unreachable" {
		t.Fatalf("job = %v", r)
	}
	if len(s.Clients(inst, node)) != 1 || len(s.Clients(inst, node2)) != 1 {
		t.Fatal("a failed kill-all killed")
	}

	// KillAllDelay: the job runs on its own and then kills every node.
	s.SetKillAllPlan(nil)
	s.SetKillAllDelay(100 * time.Millisecond)
	id, err = killAll(c, "", true)
	if err != nil {
		t.Fatal(err)
	}
	wantJob(t, c, id, fakedcs.JobTypeKillAll, fakedcs.JobRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if j, err := s.WaitJobEnd(ctx, id); err != nil || j.Status != fakedcs.JobSuccess || !j.AllNodes {
		t.Fatalf("WaitJobEnd = %+v, %v", j, err)
	}
	if len(s.Clients(inst, node)) != 0 || len(s.Clients(inst, node2)) != 0 {
		t.Fatal("kill-all of all nodes left sessions")
	}
}

func TestShowJobInfoErrors(t *testing.T) {
	s := newFake(t)
	c := sdkClient(t, s.URL, ak, sk, nil)
	_, err := jobInfo(c, "ff808081000000000000000000000000")
	wantCode(t, err, 400, "DCS.4800")

	id, err := scan(c, inst, node)
	if err != nil {
		t.Fatal(err)
	}
	s.SetReply(fakedcs.APIJobInfo, func(call int) fakedcs.Reply {
		if call == 2 {
			return fakedcs.Error(500, "DCS.5000", "Internal error")
		}
		return fakedcs.Reply{}
	})
	_, err = jobInfo(c, id)
	wantCode(t, err, 500, "DCS.5000")
	wantJob(t, c, id, fakedcs.JobTypeScan, fakedcs.JobSuccess)
	if s.Calls(fakedcs.APIJobInfo) != 3 || s.CallCounts()[fakedcs.APIJobInfo] != 3 || s.BadSignatures() != 0 {
		t.Fatalf("calls = %v, bad = %d", s.CallCounts(), s.BadSignatures())
	}
}
