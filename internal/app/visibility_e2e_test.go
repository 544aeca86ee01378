package app_test

import (
	"strings"
	"testing"
)

// replyIn runs /dcs text in channel ch and returns what the user alone was
// shown.
func (e *env) replyIn(user, ch, text string) string {
	e.t.Helper()
	before := len(e.slack.Ephemerals())
	ack := e.slash(user, ch, text)
	if s, _ := ack.PayloadMap()["text"].(string); s != "" {
		return s
	}
	var got string
	e.waitFor("reply to /dcs "+text, func() bool {
		for _, m := range e.slack.Ephemerals()[before:] {
			if m.User == user {
				got = m.Text
				return true
			}
		}
		return false
	})
	return got
}

// /dcs status and /dcs history show only the requests of instances the
// channel they are typed in may see: in another instance's channel, a
// request's requester, addresses and reason stay hidden.
func TestStatusAndHistoryStayInTheirChannels(t *testing.T) {
	const payments = "CPAYMENTS1"
	e := newEnv(t, withExtra("instances", "  payments-prod:\n    id: 7c9e6679-7425-40de-944b-e07fc1f90ae7\n    policy:\n      channels: ["+payments+"]\n"))
	e.start()
	e.request(killText + " --reason \"orders secret\"")
	id := e.onlyRequest().ID

	mustContain(t, "status in its channel", e.replyIn(requester, channel, "status "+id), "orders secret", "10.0.0.1:5000")
	mustContain(t, "history in its channel", e.replyIn(requester, channel, "history"), id)
	for _, c := range []struct{ what, cmd string }{
		{"status", "status " + id},
		{"history", "history"},
		{"history of the instance", "history orders-prod"},
	} {
		got := e.replyIn(outsider, payments, c.cmd)
		for _, secret := range []string{id, "orders secret", "10.0.0.1", "<@" + requester + ">"} {
			if strings.Contains(got, secret) {
				t.Errorf("%s in another instance's channel shows %q:\n%s", c.what, secret, got)
			}
		}
	}
	mustContain(t, "status elsewhere", e.replyIn(outsider, payments, "status "+id), "not enabled for `orders-prod` in this channel")
}
