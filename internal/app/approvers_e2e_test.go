package app_test

import (
	"strings"
	"testing"

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
