package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/testkit"
)

const (
	appToken   = "xapp-1-A0FAKE-e2e-app-token-value"
	botToken   = "xoxb-e2e-bot-token-value"
	accessKey  = "E2EACCESSKEYVALUE0001"
	secretKey  = "e2e-secret-key-value-never-logged"
	projectID  = "0123456789abcdef0123456789abcdef"
	instanceID = "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f"
	nodeID     = "8ea1b9d4d8d7c0e5a1b2c3d4e5f60718"
	channel    = "CINCIDENT1"
	requester  = "UREQUESTER"
	approver1  = "UAPPROVER1"
	approver2  = "UAPPROVER2"
	groupMate  = "UGROUPMATE"
	outsider   = "UOUTSIDER1"
	group      = "SONCALL001"
)

// env is one bot under test with its fakes: the real slack-go socket-mode
// client talks to fakeslack over a websocket, the real Huawei SDK to fakedcs,
// and requests live in a real SQLite file (or PostgreSQL).
type env struct {
	t      *testing.T
	slack  *fakeslack.Server
	dcs    *fakedcs.Server
	dbPath string
	yaml   string
	clock  *clock
	logs   *testkit.SyncBuffer
	// extraEnv are more environment variables, set before start.
	extraEnv map[string]string
	// tune, if set before start, changes the bot's tuning; staleAfter,
	// if set, how long a request without a lease may sit.
	tune       func(*config.Tuning)
	staleAfter time.Duration

	mu      sync.Mutex
	running []*running
	app     *app.App // the first replica started
}

// running is one bot process (a replica) of the env.
type running struct {
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

type envOption func(*envConfig)

type envConfig struct {
	policy  string // extra lines under policy:
	timeout string
	store   string // whole store: block
	sweep   string
	extra   map[string]string // more lines under a top-level key: "huaweicloud", "instances", "schedule"
	// initialOmitted: the fake Slack leaves initial values out of view
	// states (fakeslack.Options.InitialValuesOmitted).
	initialOmitted bool
}

// withInitialValuesOmitted makes the fake Slack leave the initial values
// of a view's inputs out of its state until the user touches them.
func withInitialValuesOmitted(omitted bool) envOption {
	return func(c *envConfig) { c.initialOmitted = omitted }
}

// withExtra adds lines (indented as they go) under a top-level key.
func withExtra(key, lines string) envOption {
	return func(c *envConfig) {
		if c.extra == nil {
			c.extra = map[string]string{}
		}
		c.extra[key] += lines
	}
}

func withPolicy(lines string) envOption { return func(c *envConfig) { c.policy = lines } }
func withTimeout(d string) envOption    { return func(c *envConfig) { c.timeout = d } }
func withStore(block string) envOption  { return func(c *envConfig) { c.store = block } }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	c := envConfig{policy: "  approvals_required: 1\n", timeout: "3s", sweep: "@every 1s"}
	for _, o := range opts {
		o(&c)
	}
	e := &env{
		t:     t,
		slack: fakeslack.New(t, fakeslack.Options{AppToken: appToken, BotToken: botToken, InitialValuesOmitted: c.initialOmitted}),
		dcs:   fakedcs.New(t, fakedcs.Options{AK: accessKey, SK: secretKey, ProjectID: projectID}),
		clock: &clock{},
		logs:  &testkit.SyncBuffer{},
	}
	e.slack.SetUsergroup(group, groupMate)
	e.seedSessions()
	e.dbPath = filepath.Join(t.TempDir(), "dcsbot.db")
	if c.store == "" {
		c.store = fmt.Sprintf("  driver: sqlite\n  dsn: %s\n", e.dbPath)
	}
	e.yaml = fmt.Sprintf(`slack:
  api_url: %s
huaweicloud:
  region: cn-north-4
  project_id: %s
  endpoint: %s
  timeout: %s
%sinstances:
  orders-prod:
    id: %s
%spolicy:
  channels: [%s]
  approvers: [%s, %s, %s, %s]
  ttl: 15m
%sstore:
%shttp:
  listen: 127.0.0.1:0
schedule:
  sweep: "%s"
%slog:
  level: debug
  format: json
shutdown_timeout: 10s
`, e.slack.APIURL(), projectID, e.dcs.URL, c.timeout, c.extra["huaweicloud"], instanceID, c.extra["instances"],
		channel, approver1, approver2, requester, group, c.policy, c.store, c.sweep, c.extra["schedule"])
	return e
}

// The sessions connected to the test node, as the fake DCS lists them.
var seeded = []fakedcs.Client{
	{ID: "101", Addr: "10.0.0.1:5000", Peer: "10.0.0.1:5000", Name: "orders-worker", User: "default", DB: "0", Cmd: "keys", Age: 3600, Idle: 2},
	{ID: "102", Addr: "[fe80::1]:6379", Peer: "[fe80::1]:6379", Name: "", User: "default", DB: "0", Cmd: "get", Age: 7200, Idle: 40},
	{ID: "103", Addr: "10.0.0.7:41000", Peer: "10.0.0.7:41000", Name: "billing", User: "default", DB: "1", Cmd: "hgetall", Age: 600, Idle: 1},
}

// uniqueKill seeds one more session, at 10.9.x.y:6000+i, and returns a
// kill command for it: for tests that make many requests, each killing
// its own session.
func (e *env) uniqueKill(i int) string {
	e.t.Helper()
	addr := fmt.Sprintf("10.9.%d.%d:%d", i/200, i%200+1, 6000+i)
	cs := e.dcs.Clients(instanceID, nodeID)
	cs = append(cs, fakedcs.Client{ID: fmt.Sprint(9000 + i), Addr: addr, Peer: addr, Name: "batch", Age: 900, Idle: 30})
	e.dcs.SetClients(instanceID, nodeID, cs)
	return "kill orders-prod " + nodeID + " " + addr
}

// submitDeny plays the approver filling in the deny dialog the bot opened.
func (e *env) submitDeny(user, requestID, reason string) {
	e.t.Helper()
	payload := map[string]any{
		"type": "view_submission",
		"user": map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T0FAKE"},
		"team": map[string]any{"id": "T0FAKE"},
		"view": map[string]any{
			"id": "V0DENY", "type": "modal", "callback_id": "dcs_deny_dialog", "private_metadata": requestID,
			"state": map[string]any{"values": map[string]any{
				"dcs_deny_reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}},
			}},
		},
	}
	if _, err := e.slack.SendEnvelope(e.ctx(), "interactive", payload); err != nil {
		e.t.Fatalf("view_submission: %v", err)
	}
}

func (e *env) seedSessions() {
	e.dcs.SetClients(instanceID, nodeID, seeded)
	e.dcs.SetNodes(instanceID, []fakedcs.Node{
		{NodeID: nodeID, LogicalNodeID: "5d4c3b2a19080706f5e4d3c2b1a09f8e", Name: "redis-0", NodeRole: "redis-server", NodeType: "master", NodeIP: "192.168.0.10", NodePort: "6379", Status: "Active"},
		{NodeID: "1f2e3d4c5b6a79881f2e3d4c5b6a7988", LogicalNodeID: "6e5d4c3b2a1908070f6e5d4c3b2a1908", Name: "redis-1", NodeRole: "redis-server", NodeType: "slave", NodeIP: "192.168.0.11", NodePort: "6379", Status: "Active"},
	})
}

func (e *env) env(name string) (string, bool) {
	if v, ok := e.extraEnv[name]; ok {
		return v, true
	}
	v, ok := map[string]string{
		"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken,
		"CLOUD_SDK_AK": accessKey, "CLOUD_SDK_SK": secretKey,
	}[name]
	return v, ok
}

// start builds the app from the YAML through the real config loader and
// runs it until the socket is connected.
func (e *env) start() {
	e.t.Helper()
	before := e.slack.Connections()
	e.launch()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := e.slack.WaitConnections(wctx, before+1); err != nil {
		e.t.Fatalf("bot did not connect: %v", err)
	}
}

// launch builds the app as start does and runs it, without waiting for
// anything.
func (e *env) launch() {
	e.t.Helper()
	cfg, err := config.Parse([]byte(e.yaml), e.env)
	if err != nil {
		e.t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The app's own logger (debug, JSON, redacting), slack-go's debug
	// output included.
	a, err := app.New(ctx, cfg, app.Options{LogOutput: e.logs, Now: e.clock.Now, Tune: e.tune, StaleAfter: e.staleAfter})
	if err != nil {
		cancel()
		e.t.Fatalf("app.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e.mu.Lock()
	if len(e.running) == 0 {
		e.app = a
	}
	e.running = append(e.running, &running{app: a, cancel: cancel, done: done})
	e.mu.Unlock()
	e.t.Cleanup(func() { e.stop() })
}

// stop shuts every replica down gracefully and returns the first error
// Run returned.
func (e *env) stop() error {
	e.mu.Lock()
	rs := e.running
	e.running = nil
	e.mu.Unlock()
	for _, r := range rs {
		r.cancel()
	}
	var first error
	for _, r := range rs {
		select {
		case err := <-r.done:
			if first == nil {
				first = err
			}
		case <-time.After(20 * time.Second):
			e.t.Fatal("bot did not stop within 20s")
		}
	}
	return first
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

// slash runs /dcs with text as user in channel and returns the ack.
func (e *env) slash(user, ch, text string) fakeslack.Ack {
	e.t.Helper()
	ack, err := e.slack.SendSlashCommand(e.ctx(), fakeslack.SlashCommand{UserID: user, ChannelID: ch, Command: "/dcs", Text: text})
	if err != nil {
		e.t.Fatalf("/dcs %s: %v", text, err)
	}
	return ack
}

// request runs a kill and returns the approval message it produced.
func (e *env) request(text string) fakeslack.Message {
	e.t.Helper()
	n := len(e.topLevel())
	ack := e.slash(requester, channel, text)
	if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		e.t.Fatalf("kill acked with a reply: %s", ack.Payload)
	}
	e.waitFor("approval message posted with its buttons", func() bool {
		top := e.topLevel()
		return len(top) > n && hasButtons(e.t, top[n].Blocks)
	})
	return e.topLevel()[n]
}

func (e *env) topLevel() []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.slack.Messages() {
		if m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) message(m fakeslack.Message) fakeslack.Message {
	cur, ok := e.slack.Message(m.Channel, m.TS)
	if !ok {
		e.t.Fatalf("message %s vanished", m.TS)
	}
	return cur
}

func (e *env) thread(m fakeslack.Message) []string {
	var out []string
	for _, r := range e.slack.Thread(m.Channel, m.TS) {
		out = append(out, r.Text)
	}
	return out
}

// click presses a button of the approval message as user.
func (e *env) click(user string, m fakeslack.Message, action string) error {
	_, err := e.slack.SendBlockAction(e.ctx(), fakeslack.BlockAction{
		UserID: user, ChannelID: m.Channel, MessageTS: m.TS, BlockID: "dcs_decision", ActionID: action,
	})
	return err
}

func (e *env) mustClick(user string, m fakeslack.Message, action string) {
	e.t.Helper()
	if err := e.click(user, m, action); err != nil {
		e.t.Fatalf("%s clicks %s: %v", user, action, err)
	}
}

// staleClick presses a button the message no longer shows, as a user whose
// Slack client still has the old copy would (the original value is kept).
func (e *env) staleClick(user string, m fakeslack.Message, action string) {
	e.t.Helper()
	_, err := e.slack.SendBlockAction(e.ctx(), fakeslack.BlockAction{UserID: user, ChannelID: m.Channel, MessageTS: m.TS,
		BlockID: "dcs_decision", ActionID: action, Value: e.onlyRequest().ID, Force: true})
	if err != nil {
		e.t.Fatalf("%s clicks %s: %v", user, action, err)
	}
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			e.t.Fatalf("timed out waiting for: %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// ephemeralTo waits for an ephemeral message to user containing fragment.
func (e *env) ephemeralTo(user, fragment string) {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("ephemeral to %s containing %q", user, fragment), func() bool {
		for _, m := range e.slack.Ephemerals() {
			if m.User == user && strings.Contains(m.Text, fragment) {
				return true
			}
		}
		return false
	})
}

func (e *env) threadHas(m fakeslack.Message, fragment string) {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("thread reply containing %q", fragment), func() bool {
		for _, s := range e.thread(m) {
			if strings.Contains(s, fragment) {
				return true
			}
		}
		return false
	})
}

// blocksText is every text of a message's blocks, for assertions.
func blocksText(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString(s + "\n")
			}
			for _, k := range []string{"text", "fields", "elements", "confirm", "title", "confirm", "deny"} {
				if c, ok := x[k]; ok {
					if _, isStr := c.(string); !isStr {
						walk(c)
					}
				}
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return b.String()
}

func hasButtons(t *testing.T, raw json.RawMessage) bool {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		if b["type"] == "actions" {
			return true
		}
	}
	return false
}

// clock is real time plus an offset the test can push forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
