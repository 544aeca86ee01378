package slackbot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleRequest(state approvals.State) *approvals.Request {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	r := &approvals.Request{
		ID: "7K2QFM", Requester: "UREQUESTER", ChannelID: "CINCIDENT1", MessageTS: "1700000000.000100",
		Instance: approvals.Instance{Alias: "orders-prod", ID: "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f"},
		NodeID:   "8ea1b9d4d8d7c0e5a1b2c3d4e5f60718", Addrs: []string{"10.0.0.1:5000", "[fe80::1]:6379"},
		ApprovalsRequired: 1, State: state, CreatedAt: at, ExpiresAt: at.Add(15 * time.Minute), UpdatedAt: at,
	}
	switch state {
	case approvals.Succeeded, approvals.Failed, approvals.Unknown:
		r.Approvals = []approvals.Approval{{User: "UAPPROVER1", At: at}}
		r.DecidedBy = "UAPPROVER1"
	case approvals.Denied:
		r.DecidedBy, r.Note = "UAPPROVER1", "wrong node"
	}
	switch state {
	case approvals.Succeeded:
		r.Result = &approvals.Result{Detail: "DCS accepted the kill"}
	case approvals.Failed:
		r.Result = &approvals.Result{Code: "DCS.3053", Message: "Invalid node ID.", HTTPStatus: 400, DCSRequestID: "req-1"}
	case approvals.Unknown:
		r.Result = &approvals.Result{Detail: "no answer within 20 s"}
	}
	return r
}

// variants are requests beyond the plain kill, drawn pending.
func variants() map[string]*approvals.Request {
	preview := sampleRequest(approvals.Pending)
	preview.Reason = "KEYS * storm <from> batch & co"
	preview.Preview = &approvals.Preview{At: preview.CreatedAt, Sessions: 2, Targets: []approvals.Target{
		{Addr: "10.0.0.1:5000", Session: &approvals.Session{ID: "7", Addr: "10.0.0.1:5000", Name: "orders-worker", User: "default", DB: "0", Cmd: "keys", Age: time.Hour, Idle: 2 * time.Second}},
		{Addr: "[fe80::1]:6379"},
	}}
	killAll := sampleRequest(approvals.Pending)
	killAll.Kind, killAll.Addrs, killAll.ApprovalsRequired = approvals.KindKillAll, nil, 2
	killAll.Preview = &approvals.Preview{Sessions: 37, ProxyOnly: true}
	dry := sampleRequest(approvals.Pending)
	dry.DryRun, dry.AllNodes, dry.Kind, dry.NodeID, dry.Addrs = true, true, approvals.KindKillAll, "", nil
	blind := sampleRequest(approvals.Pending)
	blind.Preview = &approvals.Preview{At: blind.CreatedAt, Unavailable: "DCS answered APIGW.0101 (HTTP 404)"}
	chosen := sampleRequest(approvals.Pending)
	chosen.Selectors = "--name worker --cmd keys --idle-over 10m"
	chosen.Preview = preview.Preview
	return map[string]*approvals.Request{"preview": preview, "killall": killAll, "dryrun_allnodes": dry, "nopreview": blind,
		"selectors": chosen, "pernode": perNodeRequest(approvals.Pending, "billing-api"), "pernode_failed": perNodeRequest(approvals.Failed, "billing-api")}
}

// TestApprovalBlocksGolden pins the Block Kit JSON of the approval message
// in each state. Run with -update after an intended change and review the diff.
func TestApprovalBlocksGolden(t *testing.T) {
	for _, st := range []approvals.State{approvals.Pending, approvals.Succeeded, approvals.Failed, approvals.Unknown, approvals.Denied, approvals.Expired} {
		t.Run(string(st), func(t *testing.T) {
			got, err := json.MarshalIndent(approvalBlocks(sampleRequest(st)), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "approval_"+string(st)+".json", got)
			hasActions := strings.Contains(string(got), `"type": "actions"`)
			if hasActions != (st == approvals.Pending) {
				t.Errorf("buttons present=%v in state %s", hasActions, st)
			}
		})
	}
	for name, r := range variants() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(approvalBlocks(r), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "approval_"+name+".json", got)
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func TestFailureText(t *testing.T) {
	cases := []struct {
		res  approvals.Result
		want []string
	}{
		{approvals.Result{Code: "DCS.3053", Message: "Invalid node ID.", HTTPStatus: 400, DCSRequestID: "r1"},
			[]string{"`DCS.3053`", "HTTP 400", "Invalid node ID", "`r1`", "/dcs nodes"}},
		{approvals.Result{Code: "DCS.4957", HTTPStatus: 400}, []string{"session list job"}},
		{approvals.Result{Code: "DCS.4848", HTTPStatus: 400}, []string{"does not support session management"}},
		{approvals.Result{Code: "DCS.1002", HTTPStatus: 401}, []string{"CLOUD_SDK_AK"}},
		{approvals.Result{Code: "APIGW.0301", HTTPStatus: 401}, []string{"credentials"}},
		{approvals.Result{Code: "DCS.2003", HTTPStatus: 403}, []string{"dcs:clients:kill"}},
		{approvals.Result{Code: "APIG.0308", HTTPStatus: 429}, []string{"throttling"}},
		{approvals.Result{Code: "DCS.5000", HTTPStatus: 500}, []string{"internal error", "ticket"}},
		{approvals.Result{Code: "DCS.9999", Message: "Something new", HTTPStatus: 400}, []string{"`DCS.9999`", "Something new"}},
		{approvals.Result{Detail: "could not reach DCS: connection refused"}, []string{"could not reach DCS"}},
	}
	for _, c := range cases {
		got := string(failureSummary(&c.res))
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", c.res, got, w)
			}
		}
	}
}

func TestOutsideTextIsEscaped(t *testing.T) {
	res := &approvals.Result{Code: "APIGW.0101", HTTPStatus: 502,
		Message: "<html><body>Bad gateway <!channel> & `boom`\n</body></html>", DCSRequestID: "r`1"}
	got := string(failureSummary(res))
	for _, bad := range []string{"<!channel>", "<html>", "\n", "`boom`"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q survives in %q", bad, got)
		}
	}
	if strings.Contains(got, "Nothing was killed") {
		t.Errorf("a 5xx answer must not claim nothing was killed: %q", got)
	}
}

// The notification text of the approval message says what the request
// kills, a kill of every session included.
func TestApprovalText(t *testing.T) {
	vs := variants()
	for r, want := range map[*approvals.Request]string{
		sampleRequest(approvals.Pending): "Kill request 7K2QFM: 2 sessions on orders-prod node 8ea1b9d4d8d7c0e5a1b2c3d4e5f60718, waiting for approval",
		vs["killall"]:                    "Kill request 7K2QFM: all sessions on orders-prod node 8ea1b9d4d8d7c0e5a1b2c3d4e5f60718, waiting for approval",
		vs["dryrun_allnodes"]:            "Kill request 7K2QFM: all sessions on every node of orders-prod, waiting for approval",
	} {
		if got := approvalText(r); got != want {
			t.Errorf("approvalText = %q, want %q", got, want)
		}
	}
}

// clause ends without a period, for the bot's sentence to add its own.
func TestClause(t *testing.T) {
	for in, want := range map[string]text{"timed out.": "timed out", "timed <out>\n": "timed &lt;out&gt;", " ": "-", "3.5 s": "3.5 s"} {
		if got := outside(in).clause(capLine, "-"); got != want {
			t.Errorf("clause(%q) = %q, want %q", in, got, want)
		}
	}
	r := sampleRequest(approvals.Unknown)
	r.Result = &approvals.Result{Detail: "no answer.", HTTPStatus: 504}
	if got := unknownDetail(r.Result); got != "no answer (HTTP 504)" {
		t.Errorf("unknownDetail = %q", got)
	}
}
