package slackbot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
)

// bigRequest has n addresses, each with a session whose fields are as long
// as DCS lets them be.
func bigRequest(n int, preview bool) *approvals.Request {
	r := sampleRequest(approvals.Pending)
	r.Addrs = nil
	var targets []approvals.Target
	for i := range n {
		addr := fmt.Sprintf("[fd00:1234:5678:9abc:def0:1234:%04x:%04x]:%d", i/65536, i%65536, 40000+i%20000)
		r.Addrs = append(r.Addrs, addr)
		long := strings.Repeat("&<w", 40)
		targets = append(targets, approvals.Target{Addr: addr, Session: &approvals.Session{ID: fmt.Sprint(i), Addr: addr,
			Name: long, User: long, DB: long, Cmd: long, Age: 1000 * time.Hour, Idle: 999 * time.Hour}})
	}
	if preview {
		r.Preview = &approvals.Preview{At: r.CreatedAt, Sessions: n, Targets: targets}
	}
	r.Reason = strings.Repeat("&", 500)
	return r
}

// The approval message fits Slack's limits whatever the request holds: 50
// connected addresses with long client fields, max_addrs' largest value,
// a reason of 500 ampersands; in every state.
func TestApprovalMessageFitsSlack(t *testing.T) {
	for _, n := range []int{29, 50, 51, 1000} {
		for _, preview := range []bool{true, false} {
			for _, st := range []approvals.State{approvals.Pending, approvals.Denied, approvals.Succeeded} {
				r := bigRequest(n, preview)
				r.State = st
				b, err := json.Marshal(approvalBlocks(r))
				if err != nil {
					t.Fatal(err)
				}
				if err := fakeslack.CheckBlocks(b); err != nil {
					t.Errorf("%d addresses, preview %v, %s: Slack would refuse it: %v", n, preview, st, err)
				}
			}
		}
	}
}

// Every golden approval message is one Slack accepts.
func TestGoldenMessagesFitSlack(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "approval_*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := fakeslack.CheckBlocks(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A kill on every node fits Slack's limits too: many nodes, some
// unreadable with long reasons, 1000 chosen sessions with long client
// fields, in every state; and so does its thread report.
func TestPerNodeMessageFitsSlack(t *testing.T) {
	long := strings.Repeat("&<w", 40)
	r := bigRequest(1000, true)
	r.AllNodes, r.NodeID, r.Selectors = true, "", "--name "+strings.Repeat("n", 64)+" --ip 2001:db8:: --cmd keys --idle-over 720h"
	targets := r.Preview.Targets
	r.Preview = nil
	res := &approvals.Result{Detail: long, Killed: r.Addrs}
	for i := range 64 {
		n := approvals.NodeTargets{NodeID: fmt.Sprintf("ff80808190c1a2b30190c1a2b3c4%04d", i)}
		switch {
		case i%3 == 0:
			n.Unreadable = long
		default:
			part := targets[:min(len(targets), 20)]
			targets = targets[len(part):]
			n.Preview = &approvals.Preview{Sessions: 5000, ProxyOnly: true, Targets: part}
			for _, x := range part {
				n.Addrs = append(n.Addrs, x.Addr)
			}
			res.Nodes = append(res.Nodes, approvals.NodeResult{NodeID: n.NodeID, State: approvals.Failed, Result: approvals.Result{Code: long, Message: long,
				HTTPStatus: 400, DCSRequestID: long, Killed: n.Addrs, Skipped: []approvals.Skip{{Addr: n.Addrs[0], Reason: approvals.SkipOtherName, Name: long, WasName: long}}}})
		}
		r.Nodes = append(r.Nodes, n)
	}
	for _, st := range []approvals.State{approvals.Pending, approvals.Failed, approvals.Unknown, approvals.Succeeded} {
		r.State, r.Result = st, res
		b, err := json.Marshal(approvalBlocks(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := fakeslack.CheckBlocks(b); err != nil {
			t.Errorf("%s: Slack would refuse it: %v", st, err)
		}
		if n := len([]rune(string(resultText(r)))); n > 40000 {
			t.Errorf("%s: the thread report is %d characters", st, n)
		}
	}
}
