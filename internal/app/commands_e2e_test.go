package app_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
)

// reply runs /dcs text and returns what the user alone was shown: the ack's
// text, or the follow-up through the command's response_url.
func (e *env) reply(user, text string) string {
	e.t.Helper()
	before := len(e.slack.Ephemerals())
	ack := e.slash(user, channel, text)
	if s, _ := ack.PayloadMap()["text"].(string); s != "" {
		return s
	}
	var got string
	e.waitFor("reply to /dcs "+text, func() bool {
		eph := e.slack.Ephemerals()
		for _, m := range eph[before:] {
			if m.User == user {
				got = m.Text
				return true
			}
		}
		return false
	})
	return got
}

func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestNodesAndClients(t *testing.T) {
	e := newEnv(t)
	e.start()
	nodes := e.reply(requester, "nodes orders-prod")
	mustContain(t, "/dcs nodes", nodes, nodeID, "#0", "#1", "192.168.0.10:6379", "master")

	clients := e.reply(requester, "clients orders-prod #0")
	mustContain(t, "/dcs clients", clients, "10.0.0.1:5000", "orders-worker", "[fe80::1]:6379", "billing", "3 of 3 shown")
	// Most idle first by default: [fe80::1] (40 s idle) before the others.
	if strings.Index(clients, "[fe80::1]:6379") > strings.Index(clients, "10.0.0.1:5000") {
		t.Errorf("not sorted by idle:\n%s", clients)
	}
	byAge := e.reply(requester, "clients orders-prod "+nodeID+" --sort age")
	if strings.Index(byAge, "[fe80::1]:6379") > strings.Index(byAge, "10.0.0.7:41000") || !strings.Contains(byAge, "long-lived") {
		t.Errorf("not sorted by age:\n%s", byAge)
	}
	named := e.reply(requester, "clients orders-prod 192.168.0.10:6379 billing")
	mustContain(t, "/dcs clients with a name filter", named, "10.0.0.7:41000", "1 of 1 shown")
	if strings.Contains(named, "10.0.0.1:5000") {
		t.Errorf("filter let another client through:\n%s", named)
	}
	prefix := e.reply(requester, "clients orders-prod #0 10.0.")
	mustContain(t, "/dcs clients with an address filter", prefix, "10.0.0.1:5000", "10.0.0.7:41000", "2 of 2 shown")

	// Two nodes and none named: the user is asked to pick one.
	mustContain(t, "/dcs clients without a node", e.reply(requester, "clients orders-prod"), "has 2 session nodes")
	mustContain(t, "/dcs clients #7", e.reply(requester, "clients orders-prod #7"), "has no node #7")
	if n := len(e.topLevel()); n != 0 {
		t.Fatalf("read-only commands posted %d messages", n)
	}
}

func TestClientsPagesAtFifty(t *testing.T) {
	e := newEnv(t)
	var many []fakedcs.Client
	for i := range 1234 {
		addr := "10.5." + itoa(i/250) + "." + itoa(i%250+1) + ":7000"
		many = append(many, fakedcs.Client{ID: itoa(5000 + i), Addr: addr, Peer: addr, Age: 100, Idle: i})
	}
	e.dcs.SetClients(instanceID, nodeID, many)
	e.start()
	out := e.reply(requester, "clients orders-prod #0")
	mustContain(t, "/dcs clients", out, "50 of 1234 shown", "1184 more not shown", "10.5.4.234:7000")
	table, line, _ := strings.Cut(out, "To ask for the kill of these 50 sessions, copy:")
	if rows := strings.Count(table, ":7000"); rows != 50 {
		t.Fatalf("%d rows shown, want 50", rows)
	}
	// The line to copy names the 50 sessions shown, not the 1184 others.
	if n := strings.Count(line, ":7000"); n != 50 || !strings.Contains(line, "`/dcs kill orders-prod "+nodeID+" 10.5.4.234:7000 ") {
		t.Fatalf("the kill line names %d addresses: %s", n, line)
	}
}

func TestApprovalMessageShowsTargets(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 10.0.0.1:5000 10.0.0.99:1234 --reason \"KEYS * storm\"")
	text := blocksText(t, msg.Blocks)
	mustContain(t, "approval message", text, "orders-worker", "age 1h00m", "last `keys`", "`10.0.0.99:1234`: :warning: *not connected now*", "KEYS * storm")

	// The node may be named by its index or address; the message shows its ID.
	byIndex := e.request("kill orders-prod #0 10.0.0.7:41000")
	mustContain(t, "approval message for node #0", blocksText(t, byIndex.Blocks), "*Node*\n`"+nodeID+"`")
	byAddr := e.request("kill orders-prod 192.168.0.10:6379 [fe80::1]:6379")
	mustContain(t, "approval message for node 192.168.0.10:6379", blocksText(t, byAddr.Blocks), "*Node*\n`"+nodeID+"`")

	// Every address absent: refused at once, nothing posted.
	out := e.reply(requester, "kill orders-prod "+nodeID+" 10.0.0.98:1 10.0.0.99:2")
	mustContain(t, "all-absent refusal", out, "None of the addresses is connected", "nothing was requested")
	if n := len(e.topLevel()); n != 3 {
		t.Fatalf("%d approval messages, want 3", n)
	}
}

func TestProxyAddressWarning(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetClients(instanceID, nodeID, []fakedcs.Client{
		{ID: "1", Addr: "198.19.0.5:4000", Peer: "198.19.0.5:4000", Age: 60},
		{ID: "2", Addr: "198.19.3.9:4001", Peer: "198.19.3.9:4001", Age: 60},
	})
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 198.19.0.5:4000")
	mustContain(t, "approval message", blocksText(t, msg.Blocks), "198.19.x.x", "proxy")
}

func TestStaleTargetIsNotKilled(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 10.0.0.1:5000 10.0.0.7:41000")
	// Between the request and the approval, 10.0.0.1:5000 disconnects and
	// a new client reuses the address.
	if !e.dcs.ReplaceClient(instanceID, nodeID, "10.0.0.1:5000", fakedcs.Client{ID: "999", Peer: "10.0.0.1:5000", Name: "orders-worker", Age: 2}) {
		t.Fatal("no session to replace")
	}
	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kills[0].Addrs, []string{"10.0.0.7:41000"}) {
		t.Fatalf("killed %v; the reused address must be held back", kills[0].Addrs)
	}
	e.threadHas(msg, "`10.0.0.1:5000`: reused by a new connection")
	e.threadHas(msg, "DCS accepted the kill of 1 session")

	// When nothing is left, DCS is not called.
	e.seedSessions()
	msg2 := e.request("kill orders-prod " + nodeID + " [fe80::1]:6379")
	e.dcs.ReplaceClient(instanceID, nodeID, "[fe80::1]:6379", fakedcs.Client{ID: "1000", Peer: "[fe80::1]:6379", Age: 1})
	e.mustClick(approver1, msg2, "dcs_approve")
	e.threadHas(msg2, "every address changed")
	time.Sleep(200 * time.Millisecond)
	if n := len(e.dcs.Kills()); n != 1 {
		t.Fatalf("%d kills, want 1", n)
	}
}

func TestPostKillCheck(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		// The client comes straight back from the same IP on a new port.
		e.dcs.SetClients(instanceID, nodeID, append(e.dcs.Clients(instanceID, nodeID),
			fakedcs.Client{ID: "777", Addr: "10.0.0.1:5999", Peer: "10.0.0.1:5999", Name: "orders-worker", Age: 0}))
		return fakedcs.Reply{}
	})
	e.start()
	msg := e.request("kill orders-prod " + nodeID + " 10.0.0.1:5000 10.0.0.7:41000")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "`10.0.0.1:5000`: reconnected (from 10.0.0.1:5999)")
	e.threadHas(msg, "`10.0.0.7:41000`: killed")
}

func TestKillAllNeedsTwoApprovers(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  kill_all:\n    enabled: true\n"))
	e.start()
	msg := e.request("kill-all orders-prod " + nodeID + " --reason \"connection leak\"")
	mustContain(t, "kill-all message", blocksText(t, msg.Blocks), "EVERY client connection", "0 of 2", "3 sessions now")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "approved (1 of 2)")
	if n := len(e.dcs.KillAlls()); n != 0 {
		t.Fatal("kill-all ran after one approval")
	}
	e.mustClick(approver2, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted the kill of *all* sessions")
	ka := e.dcs.KillAlls()
	if len(ka) != 1 || ka[0].NodeID != nodeID || ka[0].AllNodes {
		t.Fatalf("kill-all calls %+v", ka)
	}
	all := e.request("kill-all orders-prod --all-nodes --reason \"failover\"")
	mustContain(t, "all-nodes message", blocksText(t, all.Blocks), "every node of the instance")
}

func TestKillAllDisabledByDefault(t *testing.T) {
	e := newEnv(t)
	e.start()
	mustContain(t, "kill-all refusal", e.reply(requester, "kill-all orders-prod "+nodeID), "disabled")
	if len(e.topLevel()) != 0 {
		t.Fatal("a disabled kill-all was posted")
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	mustContain(t, "cancel by another", e.reply(approver1, "cancel "+id), "Only <@"+requester+">")
	mustContain(t, "cancel", e.reply(requester, "cancel "+strings.ToLower(id)), "is cancelled")
	e.waitFor("message shows cancelled", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Cancelled") })
	e.threadHas(msg, "Withdrawn by <@"+requester+">")
	if e.onlyRequest().State != approvals.Cancelled || len(e.dcs.Kills()) != 0 {
		t.Fatal("cancel did not end the request")
	}
}

func TestPerInstancePolicy(t *testing.T) {
	const paymentsID = "11111111-2222-4333-8444-555555555555"
	e := newEnv(t, withExtra("instances", "  payments-prod:\n    id: "+paymentsID+"\n    policy:\n      approvals_required: 2\n      require_reason: true\n"))
	e.dcs.SetClients(paymentsID, nodeID, seeded)
	e.start()
	mustContain(t, "missing reason", e.reply(requester, "kill payments-prod "+nodeID+" 10.0.0.1:5000"), "A reason is required")
	msg := e.request("kill payments-prod " + nodeID + " 10.0.0.1:5000 --reason 'INC-7: stuck BLPOP'")
	mustContain(t, "payments-prod message", blocksText(t, msg.Blocks), "0 of 2", "INC-7: stuck BLPOP")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "1 of 2")
	// The other instance keeps the global policy: one approval, no reason.
	msg2 := e.request(killText)
	mustContain(t, "orders-prod message", blocksText(t, msg2.Blocks), "0 of 1")
}

func TestDryRun(t *testing.T) {
	e := newEnv(t, withExtra("huaweicloud", "  dry_run: true\n"))
	e.start()
	msg := e.request(killText)
	mustContain(t, "dry-run message", blocksText(t, msg.Blocks), "[DRY RUN]")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "Dry run: would have killed 2 sessions")
	e.waitFor("message final", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Dry run done") })
	time.Sleep(200 * time.Millisecond)
	if n := len(e.dcs.Kills()); n != 0 {
		t.Fatalf("dry run sent %d kills", n)
	}
}

func TestStatusAndHistory(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText + " --reason \"hot key\"")
	id := e.onlyRequest().ID
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted")
	st := e.reply(requester, "status "+id)
	mustContain(t, "/dcs status", st, id, "<@"+requester+">", "hot key", "Audit trail", "approval by <@"+approver1+">", "succeeded", "DCS accepted the kill")
	h := e.reply(requester, "history orders-prod --limit 5")
	mustContain(t, "/dcs history", h, id, "executed", "approved by <@"+approver1+">")
	mustContain(t, "/dcs status unknown", e.reply(requester, "status ZZZZZZ"), "There is no request `ZZZZZZ`")
}

func TestReminderOnce(t *testing.T) {
	e := newEnv(t, withExtra("schedule", "  remind: \"@every 1s\"\n"))
	e.start()
	msg := e.request(killText)
	time.Sleep(1500 * time.Millisecond)
	if len(e.thread(msg)) != 0 {
		t.Fatal("reminded before half the TTL")
	}
	e.clock.Advance(8 * time.Minute)
	e.threadHas(msg, "<!subteam^"+group+">")
	time.Sleep(2500 * time.Millisecond)
	if n := len(e.thread(msg)); n != 1 {
		t.Fatalf("%d reminders, want 1: %q", n, e.thread(msg))
	}
}

func TestDCSErrorAdvice(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Error(400, "DCS.3053", "Invalid node ID.") })
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "`DCS.3053`")
	e.threadHas(msg, "`/dcs nodes &lt;instance&gt;` lists the right ones")
}

func itoa(i int) string { return strconv.Itoa(i) }

// A DCS that cannot list sessions (an older API, a gateway error) still
// lets a kill through, with the message saying what it could not check.
func TestKillWithoutSessionList(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetReply(fakedcs.APIScanClients, func(int) fakedcs.Reply { return fakedcs.Error(404, "APIGW.0101", "The API does not exist.") })
	e.start()
	msg := e.request(killText)
	mustContain(t, "approval message", blocksText(t, msg.Blocks), "could not be read", "APIGW.0101", "10.0.0.1:5000")
	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kills[0].Addrs, []string{"10.0.0.1:5000", "[fe80::1]:6379"}) {
		t.Fatalf("killed %v", kills[0].Addrs)
	}
	e.threadHas(msg, "DCS accepted the kill of 2 sessions")
}
