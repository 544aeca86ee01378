package sqlstore

import (
	"testing"

	"dcsbot/internal/approvals"
)

func TestRebind(t *testing.T) {
	q := `UPDATE t SET a = ?, b = ? WHERE id = ? AND state IN (?, ?)`
	if got := (Dialect{}).rebind(q); got != q {
		t.Errorf("rebind without numbered params changed the query: %s", got)
	}
	want := `UPDATE t SET a = $1, b = $2 WHERE id = $3 AND state IN ($4, $5)`
	if got := (Dialect{NumberedParams: true}).rebind(q); got != want {
		t.Errorf("rebind = %s, want %s", got, want)
	}
}

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
		if got := eventDetail(c.t); got != c.want {
			t.Errorf("eventDetail(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}
