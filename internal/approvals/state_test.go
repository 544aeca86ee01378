package approvals_test

import (
	"testing"

	"dcsbot/internal/approvals"
)

func TestEventDetail(t *testing.T) {
	for _, c := range []struct {
		t    approvals.Transition
		want string
	}{
		{approvals.Transition{}, ""},
		{approvals.Transition{Note: "wrong node"}, "wrong node"},
		{approvals.Transition{Result: &approvals.Result{}}, ""},
		{approvals.Transition{Result: &approvals.Result{Code: "DCS.4800", Message: "no such client", HTTPStatus: 400, DCSRequestID: "r-1"}},
			"HTTP 400 DCS.4800 no such client request id r-1"},
		{approvals.Transition{Note: "recovered", Result: &approvals.Result{Detail: "timed out"}}, "recovered; timed out"},
	} {
		if got := c.t.AuditDetail(); got != c.want {
			t.Errorf("AuditDetail(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}
