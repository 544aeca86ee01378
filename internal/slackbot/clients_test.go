package slackbot

import (
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// The line under /dcs clients is a /dcs kill command that asks for the
// sessions shown: by the selectors when they chose exactly those, by
// their addresses otherwise; pasted, it parses to that request.
func TestClientsKillLine(t *testing.T) {
	const node = "ff80808190c1a2b30190c1a2b3c40001"
	shown := []approvals.Session{{Addr: "10.0.0.1:5000"}, {Addr: "[2001:db8::51]:47105"}}
	view := func(matched int) *approvals.ClientsView {
		return &approvals.ClientsView{Instance: approvals.Instance{Alias: "orders-prod"}, NodeID: node, Sessions: shown, Matched: matched, Total: 9}
	}
	sel := commands.Selectors{Name: "billing", IP: "10.", Cmd: "keys", IdleOver: 90 * time.Minute}
	tests := []struct {
		name string
		v    *approvals.ClientsView
		c    commands.Clients
		want string // the command, "" for none
	}{
		{"selectors choosing what is shown", view(2), commands.Clients{Select: sel},
			"/dcs kill orders-prod " + node + " --name billing --ip 10. --cmd keys --idle-over 1h30m"},
		{"a name filter reads as --name", view(2), commands.Clients{Filter: "Worker", Select: commands.Selectors{Cmd: "get"}},
			"/dcs kill orders-prod " + node + " --name Worker --cmd get"},
		{"a name filter alone", view(2), commands.Clients{Filter: "worker"}, "/dcs kill orders-prod " + node + " --name worker"},
		{"more matched than shown", view(80), commands.Clients{Select: sel}, "/dcs kill orders-prod " + node + " 10.0.0.1:5000 [2001:db8::51]:47105"},
		{"an address filter", view(2), commands.Clients{Filter: "10.0.", Select: sel}, "/dcs kill orders-prod " + node + " 10.0.0.1:5000 [2001:db8::51]:47105"},
		{"a name filter beside --name", view(2), commands.Clients{Filter: "w", Select: sel}, "/dcs kill orders-prod " + node + " 10.0.0.1:5000 [2001:db8::51]:47105"},
		{"no selector", view(2), commands.Clients{}, "/dcs kill orders-prod " + node + " 10.0.0.1:5000 [2001:db8::51]:47105"},
		{"nothing shown", &approvals.ClientsView{NodeID: node}, commands.Clients{Select: sel}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(killLine(tt.v, tt.c))
			if tt.want == "" {
				if got != "" {
					t.Fatalf("line %q, want none", got)
				}
				return
			}
			if !strings.HasSuffix(got, "`"+tt.want+"`") {
				t.Fatalf("line %q, want it to end with `%s`", got, tt.want)
			}
			cmd, err := commands.Parse(strings.TrimPrefix(tt.want, "/dcs "), commands.Options{MaxAddrs: 50})
			if err != nil {
				t.Fatalf("the line does not parse: %v", err)
			}
			k := cmd.(commands.Kill)
			rest := strings.TrimPrefix(tt.want, "/dcs kill orders-prod "+node+" ")
			switch {
			case k.Node.ID != node || k.AllNodes:
				t.Fatalf("parses to %+v", k)
			case len(k.Addrs) > 0 && (!k.Select.IsZero() || strings.Join(k.Addrs, " ") != "10.0.0.1:5000 [2001:db8::51]:47105"):
				t.Fatalf("parses to addresses %v and selectors %+v", k.Addrs, k.Select)
			case len(k.Addrs) == 0 && selector(k.Select).String() != rest:
				t.Fatalf("parses to selectors %q, want %q", selector(k.Select).String(), rest)
			}
		})
	}
}
