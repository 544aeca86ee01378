package app_test

import (
	"slices"
	"strings"
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
)

// withBatch is the seeded node plus one more session, for selectors that
// choose more than one.
var withBatch = append(slices.Clone(seeded),
	fakedcs.Client{ID: "104", Addr: "10.0.0.8:6100", Peer: "10.0.0.8:6100", Name: "Batch-Import", User: "default", DB: "0", Cmd: "KEYS", Age: 900, Idle: 500})

// killChosen asks for text, checks what the approval message shows, has it
// approved, and returns the addresses DCS was asked to kill.
func (e *env) killChosen(text string, shows ...string) []string {
	e.t.Helper()
	e.dcs.SetClients(instanceID, nodeID, withBatch)
	before := len(e.dcs.Kills())
	msg := e.request(text)
	mustContain(e.t, "approval message for /dcs "+text, blocksText(e.t, msg.Blocks), shows...)
	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), before+1)
	if err != nil {
		e.t.Fatal(err)
	}
	e.threadHas(msg, "DCS accepted the kill")
	return kills[before].Addrs
}

// Each selector chooses the sessions it says, at request time; the
// approval message states the selectors and lists the sessions; exactly
// those are killed.
func TestKillBySelectors(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  max_addrs: 2\n"))
	e.start()
	node := " " + nodeID + " "
	for _, tt := range []struct {
		text  string
		shows []string
		want  []string
	}{
		{"kill orders-prod" + node + "--name BILLING", []string{"*Chosen by*\n`--name BILLING`", "`10.0.0.7:41000`: *billing*"}, []string{"10.0.0.7:41000"}},
		{"kill orders-prod" + node + "--name batch", []string{"*Batch-Import*"}, []string{"10.0.0.8:6100"}},
		{"kill orders-prod #0 --ip FE80::", []string{"`--ip fe80::`", "`[fe80::1]:6379`"}, []string{"[fe80::1]:6379"}},
		{"kill orders-prod #0 --ip fe80::1", []string{"`--ip fe80::1`"}, []string{"[fe80::1]:6379"}},
		{"kill orders-prod #0 --ip 10.0.0.1", []string{"`--ip 10.0.0.1`"}, []string{"10.0.0.1:5000"}},
		// Most idle first.
		{"kill orders-prod #0 --cmd keys", []string{"`--cmd keys`", "Kill 2 client sessions"}, []string{"10.0.0.8:6100", "10.0.0.1:5000"}},
		{"kill orders-prod #0 --idle-over 30s", []string{"`--idle-over 30s`"}, []string{"10.0.0.8:6100", "[fe80::1]:6379"}},
		{"kill orders-prod #0 --ip 10.0.0. --cmd keys --idle-over 5s", []string{"`--ip 10.0.0. --cmd keys --idle-over 5s`"}, []string{"10.0.0.8:6100"}},
		// Addresses given as well are added, first.
		{"kill orders-prod" + node + "10.0.0.7:41000 --cmd get --reason \"KEYS storm\"", []string{"KEYS storm", "`--cmd get`"}, []string{"10.0.0.7:41000", "[fe80::1]:6379"}},
	} {
		if got := e.killChosen(tt.text, tt.shows...); !slices.Equal(got, tt.want) {
			t.Errorf("/dcs %s killed %v, want %v", tt.text, got, tt.want)
		}
	}

	// No match: refused with what was searched; too many: refused with the
	// count; neither reaches DCS or the channel.
	e.dcs.SetClients(instanceID, nodeID, withBatch)
	kills, posted := len(e.dcs.Kills()), len(e.topLevel())
	out := e.reply(requester, "kill orders-prod #0 --name nobody --cmd get")
	mustContain(t, "no-match refusal", out, "No session matches `--name nobody --cmd get` on node `"+nodeID+"` of `orders-prod` (4 sessions searched)", "Nothing was requested")
	out = e.reply(requester, "kill orders-prod #0 --ip 10.0.0.")
	mustContain(t, "too-many refusal", out, "`--ip 10.0.0.` chooses 3 sessions", "at most 2")
	if len(e.dcs.Kills()) != kills || len(e.topLevel()) != posted {
		t.Fatal("a refused request reached DCS or the channel")
	}

	// /dcs clients takes the same selectors, and its line to copy asks for
	// the sessions it shows.
	out = e.reply(requester, "clients orders-prod #0 --cmd keys")
	mustContain(t, "/dcs clients --cmd keys", out, "chosen by `--cmd keys`", "2 of 2 shown", "`/dcs kill orders-prod "+nodeID+" --cmd keys`")
	if strings.Contains(out, "10.0.0.7:41000") {
		t.Errorf("/dcs clients --cmd keys shows another session:\n%s", out)
	}
}

// withProxyCluster makes the instance a Proxy Cluster: two proxies with
// their own sessions.
func withProxyCluster(e *env) fakedcs.Cluster {
	c := fakedcs.ProxyCluster()
	e.dcs.SetCluster(instanceID, c)
	return c
}

// scanFault makes every session scan of one node fail with a DCS error.
func scanFault(e *env, node string, rep fakedcs.Reply) {
	e.dcs.SetReply(fakedcs.APIScanClients, func(n int) fakedcs.Reply {
		if body := e.dcs.Bodies(fakedcs.APIScanClients)[n-1]; strings.Contains(string(body), node) {
			return rep
		}
		return fakedcs.Reply{}
	})
}

// A node that cannot be read when the request is made is named in the
// message and left alone; the other nodes' sessions are requested and
// killed, one kill per node.
func TestKillAllNodesWithOneUnreadable(t *testing.T) {
	e := newEnv(t)
	withProxyCluster(e)
	scanFault(e, fakedcs.ProxyNode2, fakedcs.Error(403, "DCS.2003", "Permission denied."))
	e.start()
	msg := e.request(`kill orders-prod --all-nodes --name ORDERS --reason "retry storm"`)
	text := blocksText(t, msg.Blocks)
	mustContain(t, "approval message", text, "*Node*\n*every node*", "*Chosen by*\n`--name ORDERS`",
		"*Node `"+fakedcs.ProxyNode1+"`*: 2 sessions (of 5)", "`10.20.1.12:52002`: *orders-worker*", "`10.20.1.11:52001`: *orders-worker*",
		"*Node `"+fakedcs.ProxyNode2+"`* could not be read (DCS answered DCS.2003 (HTTP 403)): nothing is killed there.")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "Done on every node")
	kills := e.dcs.Kills()
	if len(kills) != 1 || kills[0].NodeID != fakedcs.ProxyNode1 || !slices.Equal(kills[0].Addrs, []string{"10.20.1.12:52002", "10.20.1.11:52001"}) {
		t.Fatalf("kills %+v: want one, of proxy 1's two orders-worker sessions", kills)
	}
	e.threadHas(msg, "Node `"+fakedcs.ProxyNode2+"`: not read when the request was made, so nothing was killed there.")
	e.threadHas(msg, "After the kill")
	survivors := 0
	for _, c := range e.dcs.Clients(instanceID, fakedcs.ProxyNode2) {
		if c.ID == "201" || c.ID == "202" {
			survivors++
		}
	}
	if survivors != 2 {
		t.Fatalf("%d of proxy 2's orders-worker sessions left, want both", survivors)
	}
}

// On every node, one kill per node in turn; the request fails if any
// node's kill failed, and the thread says which.
func TestKillAllNodesPerNodeOutcome(t *testing.T) {
	e := newEnv(t)
	withProxyCluster(e)
	e.start()
	msg := e.request("kill orders-prod --all-nodes --cmd get")
	mustContain(t, "approval message", blocksText(t, msg.Blocks), "Kill 2 client sessions", "`10.20.1.11:52001`", "`10.20.1.13:52102`")
	e.dcs.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		if k.NodeID == fakedcs.ProxyNode2 {
			return fakedcs.Error(400, "DCS.4800", "Invalid parameter.")
		}
		return fakedcs.Reply{}
	})
	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if kills[0].NodeID != fakedcs.ProxyNode1 || !slices.Equal(kills[0].Addrs, []string{"10.20.1.11:52001"}) ||
		kills[1].NodeID != fakedcs.ProxyNode2 || !slices.Equal(kills[1].Addrs, []string{"10.20.1.13:52102"}) {
		t.Fatalf("kills %+v", kills)
	}
	e.threadHas(msg, "Not every node's kill went through: DCS accepted the kill on 1 of 2 node(s); failed on 1")
	e.threadHas(msg, "Node `"+fakedcs.ProxyNode1+"`: :white_check_mark: DCS accepted the kill of 1 session: `10.20.1.11:52001`")
	e.threadHas(msg, "Node `"+fakedcs.ProxyNode2+"`: :x: DCS answered `DCS.4800`")
	e.waitFor("message in its final state", func() bool {
		return strings.Contains(blocksText(t, e.message(msg).Blocks), "*Failed*: DCS accepted the kill on 1 of 2 node(s); failed on 1")
	})
	if r := e.onlyRequest(); r.State != approvals.Failed || len(r.Result.Nodes) != 2 {
		t.Fatalf("stored %s with %+v", r.State, r.Result)
	}
	out := e.reply(requester, "status "+e.onlyRequest().ID)
	mustContain(t, "/dcs status", out, "on every node", "Node `"+fakedcs.ProxyNode1+"`: `10.20.1.11:52001`", "Chosen by `--cmd get`")
}
