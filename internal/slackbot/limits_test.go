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
