package slackbot

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// fullService provides every interface a handler declares.
type fullService struct {
	killRequester
	canceller
	clientsReader
	nodesLister
	statusReader
	historyReader
	overviewReader
	permalinker
}

// History resolves the ambiguity between statusReader and historyReader,
// which both declare CheckChannel.
func (fullService) CheckChannel(string) error { return nil }

func TestRouterRoutesEverySubcommand(t *testing.T) {
	rt, err := newRouter(&Commands{}, fullService{})
	if err != nil {
		t.Fatal(err)
	}
	want := commands.Names()
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(rt.routes)); !slices.Equal(got, want) {
		t.Fatalf("routes %v, want the table's %v", got, want)
	}
	for _, text := range []string{"help", "kill x #0 10.0.0.1:1", "kill-all x #0", "clients x", "nodes x", "status 7K2QFM", "cancel 7K2QFM", "history", "pending"} {
		c, err := commands.Parse(text, commands.Options{MaxAddrs: 50})
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if _, ok := rt.routes[c.Name()]; !ok {
			t.Errorf("%s: no handler", text)
		}
	}
}

// Providers that lack what a handler needs are refused when the router is
// built, not when a user first types the command.
func TestRouterRefusesAServiceThatLacksAHandlersNeeds(t *testing.T) {
	_, err := newRouter(&Commands{}, struct{ canceller }{})
	if err == nil {
		t.Fatal("router built over providers that cannot list nodes")
	}
	for _, name := range []string{"Nodes", "nodesLister"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// A subcommand of the table without a handler is refused when the router
// is built.
func TestRouterRefusesAnUnhandledSubcommand(t *testing.T) {
	err := unhandled(map[string]bool{"help": true, "kill": true}, []string{"kill", "ping", "help", "pong"})
	if err == nil || !strings.Contains(err.Error(), "ping, pong") {
		t.Fatalf("error %v, want one naming ping and pong", err)
	}
	if err := unhandled(map[string]bool{"help": true}, []string{"help"}); err != nil {
		t.Fatal(err)
	}
}

type nodesOnly struct{}

func (nodesOnly) Nodes(context.Context, string, string) (*approvals.NodesView, error) {
	return &approvals.NodesView{Instance: approvals.Instance{Alias: "orders-prod"}}, nil
}

// The handler receives, through its declared interface, the first provider
// that satisfies it.
func TestRouterPassesTheService(t *testing.T) {

	rt := &router{routes: map[string]route{}}
	name, r, ok, err := bind(reflectMethod(t, &Commands{}, "Nodes"), []any{struct{ canceller }{}, nodesOnly{}})
	if err != nil || !ok || name != "nodes" {
		t.Fatalf("bind: %q %v %v", name, ok, err)
	}
	rt.routes[name] = r
	ans, ok := rt.dispatch(Input{Channel: "C1"}, commands.Nodes{Instance: "orders-prod"})
	if !ok || ans.Later == nil {
		t.Fatalf("dispatch: %v %+v", ok, ans)
	}
	got, err := ans.Later(context.Background())
	if err != nil || !strings.Contains(string(got), "orders-prod") {
		t.Fatalf("answer %q, %v", got, err)
	}
}

func reflectMethod(t *testing.T, h *Commands, name string) reflect.Value {
	t.Helper()
	m := reflect.ValueOf(h).MethodByName(name)
	if !m.IsValid() {
		t.Fatalf("no method %s", name)
	}
	return m
}
