package app_test

// DCS as its documentation allows it to behave, end to end: session lists
// served from the previous scan while a scan runs, a node busy with
// another session task when the kill goes out, kill-all jobs that fail,
// and a restart while a kill-all job runs.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/dcs"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/store/pgtest"
	"dcsbot/internal/store/sqlite"
)

// killAllPolicy enables kill-all with one approval.
const killAllPolicy = "  approvals_required: 1\n  kill_all:\n    enabled: true\n    approvals_required: 1\n"

// An ip:port reused by a new client while the pre-kill scan runs is never
// killed, even though DCS serves the previous list, which still shows the
// old client there, until that scan ends.
func TestAddressReusedDuringScanNotKilled(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetListDuringScan(fakedcs.ListPrevious)
	e.dcs.SetScanDelay(300 * time.Millisecond)
	e.dcs.SetScanPlan(func(c fakedcs.JobCall) fakedcs.JobPlan {
		if c.N == 2 { // the re-read just before the kill
			e.dcs.ReplaceClient(instanceID, nodeID, "10.0.0.1:5000", fakedcs.Client{ID: "555", Peer: "10.0.0.1:5000", Name: "payments", Age: 0})
		}
		return c.Plan
	})
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 10.0.0.1:5000")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "reused by a new connection (client id 555, was 101)")
	e.waitFor("request failed", func() bool { return e.onlyRequest().State == approvals.Failed })
	if n := len(e.dcs.Kills()); n != 0 {
		t.Fatalf("%d kills sent: the address's new client was killed", n)
	}
	live := e.dcs.Clients(instanceID, nodeID)
	if len(live) != 3 || live[0].ID != "555" {
		t.Fatalf("live sessions %+v", live)
	}
	for _, s := range e.thread(msg) {
		if strings.Contains(s, "Done") {
			t.Errorf("thread says done: %q", s)
		}
	}
}

// Another DCS user's session task runs on the node when the kill goes out:
// DCS refuses it (DCS.4957, nothing done); the bot waits and sends it again
// once the node is free, and the thread says done.
func TestBusyNodeDelaysTheKill(t *testing.T) {
	e := newEnv(t)
	other := otherUser(t, e)
	e.dcs.SetScanPlan(func(c fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: c.N == 3} })
	otherDone := make(chan struct{})
	e.dcs.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		if len(e.dcs.Kills()) == 1 { // the first: another user starts a scan just before it lands
			go func() {
				defer close(otherDone)
				if _, err := other.Sessions(context.Background(), approvals.Instance{Alias: "orders-prod", ID: instanceID}, nodeID); err != nil {
					t.Errorf("the other user's scan: %v", err)
				}
			}()
			jobs, err := e.dcs.WaitJobs(e.ctx(), 3)
			if err != nil {
				t.Error(err)
			}
			time.AfterFunc(700*time.Millisecond, func() { _ = e.dcs.FinishJob(jobs[2].ID) })
		}
		return fakedcs.Reply{}
	})
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 10.0.0.7:41000")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "Done. DCS accepted the kill of 1 session")
	<-otherDone
	if r := e.onlyRequest(); r.State != approvals.Succeeded {
		t.Fatalf("state %s, result %+v", r.State, r.Result)
	}
	kills := e.dcs.Kills()
	if len(kills) < 2 {
		t.Fatalf("%d kill calls: the refused one was not sent again", len(kills))
	}
	for _, c := range e.dcs.Clients(instanceID, nodeID) {
		if c.Addr == "10.0.0.7:41000" {
			t.Fatal("the session is still there")
		}
	}
	if !strings.Contains(e.logs.String(), "dcs node busy with a session task; trying again") {
		t.Error("the logs do not say the node was busy")
	}
}

// otherUser is another DCS client on the fake: the console, a script, or
// another bot.
func otherUser(t *testing.T, e *env) *dcs.Client {
	t.Helper()
	c, err := dcs.New(dcs.Params{AK: accessKey, SK: secretKey, Timeout: 5 * time.Second, ScanWait: time.Minute, BusyTimeout: time.Minute,
		ScanBound: 3*time.Minute + 5*time.Second, Instances: map[string]dcs.Endpoint{"orders-prod": {InstanceID: instanceID, ProjectID: projectID, URL: e.dcs.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A kill-all whose DCS job fails is reported as failed, with DCS's reason,
// and never as done; /dcs status shows its job.
func TestFailedKillAllJobReportedFailed(t *testing.T) {
	e := newEnv(t, withPolicy(killAllPolicy))
	e.dcs.SetKillAllPlan(func(fakedcs.JobCall) fakedcs.JobPlan {
		return fakedcs.JobPlan{Duration: 500 * time.Millisecond, Fail: true, FailReason: "The node is being restarted."}
	})
	e.start()
	msg := e.request("kill-all orders-prod " + nodeID)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "is running")
	e.threadHas(msg, "The kill failed: DCS job")
	e.threadHas(msg, "ended FAIL: The node is being restarted.")
	e.waitFor("message shows failed", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Failed") })
	r := e.onlyRequest()
	if r.State != approvals.Failed || r.JobID == "" || r.Result.JobStatus != approvals.JobFail || r.Result.FailReason != "The node is being restarted." {
		t.Fatalf("stored %s, job %q, result %+v", r.State, r.JobID, r.Result)
	}
	for _, s := range append(e.thread(msg), blocksText(t, e.message(msg).Blocks)) {
		if strings.Contains(s, "Done") || strings.Contains(s, ":white_check_mark:") || strings.Contains(s, "Executed") {
			t.Errorf("reported as done: %q", s)
		}
	}
	if n := len(e.dcs.Clients(instanceID, nodeID)); n != 3 {
		t.Fatalf("%d sessions left after the failed job", n)
	}
	if n := len(e.dcs.KillAlls()); n != 1 {
		t.Fatalf("%d kill-all calls", n)
	}
	st := e.reply(requester, "status "+r.ID)
	mustContain(t, "/dcs status", st, "DCS job `"+r.JobID+"`: ended FAIL", "failed")
}

// The bot stops while a kill-all's job runs: the request stays executing
// with its job, and the next start follows the job to its end, reported
// in the thread, instead of calling the outcome unknown; the kill-all is
// sent once.
func TestRestartDuringKillAllJobResumes(t *testing.T) {
	e := newEnv(t, withPolicy(killAllPolicy))
	e.dcs.SetKillAllPlan(func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
	e.start()
	msg := e.request("kill-all orders-prod " + nodeID)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "is running")
	job := e.onlyRequest().JobID
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), e.dbPath, nil, sqlite.Options{StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := st.List(context.Background(), approvals.ListFilter{})
	st.Close()
	if len(rs) != 1 || rs[0].State != approvals.Executing || rs[0].JobID != job || job == "" {
		t.Fatalf("after the stop: %+v (job %q)", rs, job)
	}

	e.start()
	if err := e.dcs.FinishJob(job); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "ended SUCCESS")
	e.threadHas(msg, "DCS accepted the kill of *all* sessions")
	e.waitFor("message shows executed", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Executed") })
	if r := e.onlyRequest(); r.State != approvals.Succeeded || r.JobID != job {
		t.Fatalf("after the restart: %s, job %q", r.State, r.JobID)
	}
	for _, s := range e.thread(msg) {
		if strings.Contains(s, "nknown") {
			t.Errorf("the thread calls the outcome unknown: %q", s)
		}
	}
	if n := len(e.dcs.KillAlls()); n != 1 {
		t.Fatalf("%d kill-all calls, want 1", n)
	}
	if n := len(e.dcs.Clients(instanceID, nodeID)); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

// With a shared store (PostgreSQL) a replica whose peer died while a
// kill-all job ran follows the job once the request is stale, and reports
// its end once.
func TestReplicaFollowsStaleKillAllJob(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	e := newEnv(t, withPolicy(killAllPolicy), withStore(fmt.Sprintf("  driver: postgres\n  dsn: %q\n", dsn)))
	e.dcs.SetKillAllPlan(func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
	e.start()
	msg := e.request("kill-all orders-prod " + nodeID)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "is running")
	if err := e.stop(); err != nil { // the replica dies
		t.Fatal(err)
	}
	e.start()
	e.start()
	time.Sleep(1500 * time.Millisecond) // sweeps: not stale yet
	if r := e.onlyRequest(); r.State != approvals.Executing {
		t.Fatalf("taken over too early: %s", r.State)
	}
	e.clock.Advance(6 * time.Minute)
	time.Sleep(1500 * time.Millisecond) // sweeps on both replicas pick it up
	job := e.onlyRequest().JobID
	if err := e.dcs.FinishJob(job); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "ended SUCCESS")
	time.Sleep(500 * time.Millisecond)
	results := 0
	for _, s := range e.thread(msg) {
		if strings.Contains(s, "ended SUCCESS") {
			results++
		}
	}
	if results != 1 {
		t.Fatalf("%d result replies: %q", results, e.thread(msg))
	}
	if r := e.onlyRequest(); r.State != approvals.Succeeded {
		t.Fatalf("state %s", r.State)
	}
	if n := len(e.dcs.KillAlls()); n != 1 {
		t.Fatalf("%d kill-all calls", n)
	}
}

// However DCS's ListClients filters by addr (the guard asks for its
// targets alone), end to end: a target still there is killed; one whose
// address a new client took since the request is not, and the thread
// says so.
func TestGuardAcrossAddrFilters(t *testing.T) {
	for _, f := range []struct {
		name string
		mode fakedcs.AddrFilter
	}{
		{"contains", fakedcs.FilterContains}, {"exact", fakedcs.FilterExact}, {"prefix", fakedcs.FilterPrefix},
		{"host", fakedcs.FilterHost}, {"ignored", fakedcs.FilterIgnored}, {"refused", fakedcs.FilterRefused},
	} {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t)
			e.dcs.SetAddrFilter(f.mode)
			e.start()
			kept := e.request("kill orders-prod " + nodeID + " 10.0.0.1:5000")
			reused := e.request("kill orders-prod " + nodeID + " 10.0.0.7:41000")
			e.dcs.ReplaceClient(instanceID, nodeID, "10.0.0.7:41000",
				fakedcs.Client{ID: "777", Peer: "10.0.0.7:41000", Name: "billing", Age: 0})

			e.mustClick(approver1, kept, "dcs_approve")
			e.threadHas(kept, "DCS accepted")
			e.mustClick(approver1, reused, "dcs_approve")
			e.threadHas(reused, "reused by a new connection (client id 777, was 103)")

			kills := e.dcs.Kills()
			if len(kills) != 1 || strings.Join(kills[0].Addrs, " ") != "10.0.0.1:5000" {
				t.Fatalf("kills %+v, want 10.0.0.1:5000 alone", kills)
			}
			var byAddr int
			for _, q := range e.dcs.ListQueries() {
				if q.Get("addr") != "" {
					byAddr++
				}
			}
			if byAddr == 0 {
				t.Fatal("the guard never asked DCS for its address alone")
			}
		})
	}
}
