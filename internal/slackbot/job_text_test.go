package slackbot

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"dcsbot/internal/approvals"
)

// killAllIn is a kill-all of one node in state, its job recorded.
func killAllIn(state approvals.State, res *approvals.Result) *approvals.Request {
	r := sampleRequest(state)
	r.Kind, r.Addrs, r.JobID, r.Result = approvals.KindKillAll, nil, "ff8080<job>", res
	r.Approvals = []approvals.Approval{{User: "UAPPROVER1"}}
	return r
}

// The thread follows a kill-all's job: accepted and running, then its end.
// A failed job is reported as failed, with DCS's reason, and never as
// done; the job's ID is shown, escaped, wherever the request is.
func TestKillAllJobTexts(t *testing.T) {
	running := killAllIn(approvals.Executing, nil)
	ok := killAllIn(approvals.Succeeded, &approvals.Result{JobStatus: approvals.JobSuccess, Detail: "DCS job ff8080<job> ended SUCCESS"})
	failed := killAllIn(approvals.Failed, &approvals.Result{JobStatus: approvals.JobFail, FailReason: "<b>node restarting</b>",
		Detail: "DCS job ff8080<job> ended FAIL: <b>node restarting</b>"})
	late := killAllIn(approvals.Unknown, &approvals.Result{JobStatus: approvals.JobRunning,
		Detail: "DCS job ff8080<job> had not ended (status RUNNING) after 2m0s, when the bot stopped following it"})
	cases := []struct {
		name          string
		text          string
		want, mustNot []string
	}{
		{"executing", string(threadText(running, approvals.Note{Kind: approvals.NoteExecuting})),
			[]string{"Killing *all* sessions on `orders-prod` node"}, []string{"0 sessions"}},
		{"running", string(threadText(running, approvals.Note{Kind: approvals.NoteJobRunning})),
			[]string{"DCS accepted the job to kill *all* sessions", "job `ff8080&lt;job&gt;` is running", "how it ends"},
			[]string{"Done", ":white_check_mark:", "DCS accepted the kill"}},
		{"running message", string(stateLine(running)), []string{"DCS job `ff8080&lt;job&gt;` is running"}, []string{"killing now"}},
		{"success", string(threadText(ok, approvals.Note{Kind: approvals.NoteResult})),
			[]string{"Done. DCS accepted the kill of *all* sessions", "job `ff8080&lt;job&gt;` ended SUCCESS"}, nil},
		{"success message", string(stateLine(ok)), []string{"*Executed*", "ended SUCCESS"}, nil},
		{"fail", string(threadText(failed, approvals.Note{Kind: approvals.NoteResult})),
			[]string{"The kill failed", "ended FAIL: &lt;b&gt;node restarting&lt;/b&gt;"}, []string{"Done", ":white_check_mark:", "<b>", "Nothing was killed"}},
		{"fail message", string(stateLine(failed)), []string{"*Failed*", "ended FAIL"}, []string{"Executed", "<b>"}},
		{"unknown", string(threadText(late, approvals.Note{Kind: approvals.NoteResult})),
			[]string{"Outcome unknown", "had not ended (status RUNNING) after 2m0s"}, []string{"Done"}},
		{"status", string(statusText(failed, nil)), []string{"DCS job `ff8080&lt;job&gt;`: ended FAIL"}, nil},
		{"status running", string(statusText(running, nil)), []string{"running; the bot follows it"}, nil},
		{"status late", string(statusText(late, nil)), []string{"RUNNING when the bot stopped following it"}, nil},
	}
	for _, c := range cases {
		for _, w := range c.want {
			if !strings.Contains(c.text, w) {
				t.Errorf("%s: %q lacks %q", c.name, c.text, w)
			}
		}
		for _, w := range c.mustNot {
			if strings.Contains(c.text, w) {
				t.Errorf("%s: %q says %q", c.name, c.text, w)
			}
		}
	}
	if s := string(statusText(sampleRequest(approvals.Succeeded), nil)); strings.Contains(s, "DCS job") {
		t.Errorf("a kill's status names a job: %q", s)
	}
}

// /dcs nodes marks a node without a node ID and gives it no index.
func TestNodesWithoutID(t *testing.T) {
	a := approvals.Node{ID: "8ea1b9d4d8d7c0e5a1b2c3d4e5f60718", Role: "redis-server", Type: "master", IP: "192.168.0.10", Port: "6379"}
	b := approvals.Node{LogicalID: "l-1", Role: "redis-server", Type: "slave", IP: "192.168.0.11", Port: "6379"}
	c := approvals.Node{LogicalID: "l-2", Role: "redis-server", Type: "slave", IP: "192.168.0.12", Port: "6379"}
	all := []approvals.Node{a, b, c}
	got := string(nodesText(&approvals.NodesView{Instance: approvals.Instance{Alias: "orders-prod"}, Nodes: all, Session: approvals.SessionNodes(all)}))
	for _, w := range []string{"#0  8ea1b9d4", "#1  -", "#2  -", "NODE ID is `-`"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
}

// A read that failed for a reason the DCS client can say in words (a scan
// job that failed) is told as that, not as the bot's own fault.
func TestExplainedReadFailure(t *testing.T) {
	err := fmt.Errorf("read: %w", explainedErr{"the session scan on DCS failed: <Redis busy>"})
	got := string(userMessage(slog.New(slog.DiscardHandler), err))
	if !strings.Contains(got, "the session scan on DCS failed: &lt;Redis busy&gt;") || strings.Contains(got, "bot's side") {
		t.Fatalf("%q", got)
	}
	if got := string(userMessage(slog.New(slog.DiscardHandler), errors.New("boom"))); !strings.Contains(got, "bot's side") {
		t.Fatalf("a fault reads %q", got)
	}
}

type explainedErr struct{ text string }

func (e explainedErr) Error() string   { return "scan failed" }
func (e explainedErr) Explain() string { return e.text }
