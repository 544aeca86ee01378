package app_test

import (
	"strings"
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
)

// An approver group Slack cannot resolve (deleted, or failing) does not
// lock out the members of the other groups; the group is logged, and a
// user in no group is refused with the group that could not be checked.
func TestBrokenApproverGroupDoesNotBlockOthers(t *testing.T) {
	const deleted = "SDELETED01"
	e := newEnv(t, withExtra("instances", "    policy:\n      approvers: ["+approver1+", "+deleted+", "+group+"]\n"))
	e.slack.SetUsergroupFault(deleted, fakeslack.APIError(0, "no_such_subteam"))
	e.start()
	msg := e.request(killText)
	e.mustClick(groupMate, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatalf("the group member's approval did not go through: %v", err)
	}
	e.threadHas(msg, "Approved by <@"+groupMate+">")
	if !strings.Contains(e.logs.String(), `"group":"`+deleted+`"`) {
		t.Errorf("the failing group is not logged")
	}

	msg = e.request(e.uniqueKill(1))
	e.mustClick(outsider, msg, "dcs_approve")
	e.ephemeralTo(outsider, "approver group `"+deleted+"`")
}

// An approval counts only while its approver is one: after a restart with
// an approver taken off the list, their earlier approval no longer counts,
// the request stays pending, and the thread says why.
func TestApprovalOfFormerApproverDoesNotCount(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 2\n"))
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "approved (1 of 2)")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.yaml = strings.Replace(e.yaml, "approvers: ["+approver1+", ", "approvers: [", 1)
	e.start()

	e.mustClick(approver2, msg, "dcs_approve")
	e.threadHas(msg, "Not counted: <@"+approver1+">, no longer an approver")
	if len(e.dcs.Kills()) != 0 || e.onlyRequest().State != approvals.Pending {
		t.Fatal("a former approver's approval counted")
	}
	e.mustClick(groupMate, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
}

// A kill-all configured to need fewer approvals than a kill needs as many
// as a kill, and the bot warns about the setting at start.
func TestKillAllNeedsAsManyApprovalsAsAKill(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 2\n  kill_all:\n    enabled: true\n    approvals_required: 1\n"))
	e.start()
	if !strings.Contains(e.logs.String(), `"key":"policy.kill_all.approvals_required"`) {
		t.Errorf("no warning about kill_all.approvals_required at start")
	}
	msg := e.request("kill-all orders-prod " + nodeID)
	mustContain(t, "kill-all message", blocksText(t, msg.Blocks), "0 of 2")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "approved (1 of 2)")
	if n := len(e.dcs.KillAlls()); n != 0 {
		t.Fatal("kill-all ran after one approval, fewer than a kill needs")
	}
	e.mustClick(approver2, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted the kill of *all* sessions")
}
