package main

// These tests build the real binary and run it as its own process against
// the Slack and DCS fakes, to see what only a process shows: a SIGKILL
// mid-kill, a SIGTERM mid-kill, exit codes, what reaches stderr.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/store/sqlite"
	"dcsbot/internal/testkit"
)

const (
	appToken   = "xapp-1-A0FAKE-cmd-app-token-value"
	botToken   = "xoxb-cmd-bot-token-value"
	accessKey  = "CMDACCESSKEYVALUE0001"
	secretKey  = "cmd-secret-key-value-never-printed"
	projectID  = "0123456789abcdef0123456789abcdef"
	instanceID = "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f"
	nodeID     = "8ea1b9d4d8d7c0e5a1b2c3d4e5f60718"
	channel    = "CINCIDENT1"
	requester  = "UREQUESTER"
	approver   = "UAPPROVER1"
	// The bot's shutdown_timeout in these tests.
	shutdownTimeout = 5 * time.Second
)

var secrets = map[string]string{
	"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken,
	"CLOUD_SDK_AK": accessKey, "CLOUD_SDK_SK": secretKey,
}

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.Cleanup()
	os.Exit(code)
}

// world is the fakes and the files a bot process runs with.
type world struct {
	t        *testing.T
	bin      string
	slack    *fakeslack.Server
	dcs      *fakedcs.Server
	dir      string
	dbPath   string
	config   string
	lastConn int
	cur      *proc // the process started last
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:     t,
		bin:   testkit.BotBinary(t),
		slack: fakeslack.New(t, fakeslack.Options{AppToken: appToken, BotToken: botToken}),
		dcs:   fakedcs.New(t, fakedcs.Options{AK: accessKey, SK: secretKey, ProjectID: projectID}),
		dir:   t.TempDir(),
	}
	w.dbPath = filepath.Join(w.dir, "dcsbot.db")
	w.config = w.writeConfig("config.yaml", fmt.Sprintf(`slack:
  api_url: %s
huaweicloud:
  region: cn-north-4
  project_id: %s
  endpoint: %s
  timeout: 10s
instances:
  orders-prod:
    id: %s
policy:
  channels: [%s]
  approvers: [%s]
  approvals_required: 1
  ttl: 15m
store:
  driver: sqlite
  dsn: %s
http:
  listen: ""
schedule:
  sweep: "@every 1s"
log:
  level: debug
  format: json
shutdown_timeout: %s
`, w.slack.APIURL(), projectID, w.dcs.URL, instanceID, channel, approver, w.dbPath, shutdownTimeout))
	return w
}

func (w *world) writeConfig(name, body string) string {
	w.t.Helper()
	path := filepath.Join(w.dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// proc is one bot process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
	done   chan struct{}
}

// command returns the bot command with args, its environment holding only
// PATH and the secrets in env.
func (w *world) command(env map[string]string, args ...string) (*exec.Cmd, *testkit.SyncBuffer) {
	cmd := exec.Command(w.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &testkit.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// start runs the bot on the world's config and waits for its socket.
func (w *world) start() *proc {
	w.t.Helper()
	cmd, out := w.command(secrets, "-config", w.config)
	p := &proc{t: w.t, cmd: cmd, stderr: out, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	w.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	seen := w.lastConn
	err := w.slack.WaitFor(w.ctx(), func(s *fakeslack.Server) bool {
		ids := s.ConnIDs()
		return len(ids) > 0 && ids[len(ids)-1] > seen
	})
	if err != nil {
		w.t.Fatalf("bot did not connect: %v\n%s", err, out)
	}
	ids := w.slack.ConnIDs()
	w.lastConn = ids[len(ids)-1]
	w.cur = p
	return p
}

// stop signals the process and waits up to within for it to exit; it
// returns the exit code and how long the exit took.
func (p *proc) stop(sig os.Signal, within time.Duration) (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(within):
		p.t.Fatalf("bot still running %v after %v\n%s", within, sig, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// request runs /dcs kill of addr and returns the approval message. The
// address is a live session on the node first.
func (w *world) request(addr string) fakeslack.Message {
	w.t.Helper()
	w.dcs.SetClients(instanceID, nodeID, append(w.dcs.Clients(instanceID, nodeID),
		fakedcs.Client{ID: fmt.Sprint(len(addr)), Addr: addr, Peer: addr, Age: 600, Idle: 5, Name: "app"}))
	n := len(w.slack.Messages())
	if _, err := w.slack.SendSlashCommand(w.ctx(), fakeslack.SlashCommand{UserID: requester, ChannelID: channel,
		Command: "/dcs", Text: "kill orders-prod " + nodeID + " " + addr}); err != nil {
		w.t.Fatal(err)
	}
	if err := w.slack.WaitFor(w.ctx(), func(s *fakeslack.Server) bool {
		ms := s.Messages()
		return len(ms) > n && strings.Contains(string(ms[n].Blocks), `"dcs_approve"`)
	}); err != nil {
		w.t.Fatalf("approval message with its buttons: %v", err)
	}
	return w.slack.Messages()[n]
}

func (w *world) approve(m fakeslack.Message) {
	w.t.Helper()
	if _, err := w.slack.SendBlockAction(w.ctx(), fakeslack.BlockAction{UserID: approver, ChannelID: m.Channel,
		MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve"}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.dcs.WaitKills(w.ctx(), 1); err != nil {
		out := ""
		if w.cur != nil {
			out = w.cur.stderr.String()
			if len(out) > 6000 {
				out = out[len(out)-6000:]
			}
		}
		w.t.Fatalf("%v\nbot output (end):\n%s", err, out)
	}
}

func (w *world) threadHas(m fakeslack.Message, fragment string) {
	w.t.Helper()
	err := w.slack.WaitFor(w.ctx(), func(s *fakeslack.Server) bool {
		for _, r := range s.Thread(m.Channel, m.TS) {
			if strings.Contains(r.Text, fragment) {
				return true
			}
		}
		return false
	})
	if err != nil {
		var got []string
		for _, r := range w.slack.Thread(m.Channel, m.TS) {
			got = append(got, r.Text)
		}
		w.t.Fatalf("no thread reply containing %q: %v", fragment, got)
	}
}

// stored reads the only request from the SQLite file (the bot is stopped).
func (w *world) stored() *approvals.Request {
	w.t.Helper()
	st, err := sqlite.Open(context.Background(), w.dbPath, nil, sqlite.Options{StatementTimeout: 10 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	rs, err := st.List(context.Background(), approvals.ListFilter{})
	if err != nil || len(rs) != 1 {
		w.t.Fatalf("stored requests: %d, %v", len(rs), err)
	}
	return rs[0]
}

func noSecrets(t *testing.T, out string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(out, v) {
			t.Errorf("the output shows a secret (%.6s…)", v)
		}
	}
}

// SIGKILL after the kill reached DCS and before its answer: restarted on
// the same file, the bot marks the request unknown and says so in the
// thread; it does not send the kill again.
func TestSIGKILLMidKillRecoversAsUnknown(t *testing.T) {
	w := newWorld(t)
	w.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	p := w.start()
	m := w.request("10.0.0.1:5000")
	w.approve(m)
	p.stop(syscall.SIGKILL, 5*time.Second)
	w.dcs.SetKill(nil)

	p = w.start()
	w.threadHas(m, "outcome is *unknown*")
	if err := w.slack.WaitFor(w.ctx(), func(s *fakeslack.Server) bool {
		cur, _ := s.Message(m.Channel, m.TS)
		return strings.Contains(string(cur.Blocks), "Outcome unknown") && !strings.Contains(string(cur.Blocks), `"actions"`)
	}); err != nil {
		t.Fatalf("message not redrawn as unknown: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // a sweep runs every second: it must not resend either
	if code, _ := p.stop(syscall.SIGTERM, shutdownTimeout+5*time.Second); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	if r := w.stored(); r.State != approvals.Unknown {
		t.Fatalf("request %s, want unknown", r.State)
	}
	if n := len(w.dcs.Kills()); n != 1 {
		t.Fatalf("fakedcs saw %d kills, want 1", n)
	}
	noSecrets(t, p.stderr.String(), appToken, botToken, accessKey, secretKey)
}

// SIGTERM while DCS takes 2 s to answer a kill: the process waits for the
// answer, records and reports it, and exits 0 within shutdown_timeout.
func TestSIGTERMMidKillFinishesIt(t *testing.T) {
	w := newWorld(t)
	w.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 2 * time.Second} })
	p := w.start()
	m := w.request("10.0.0.1:5000")
	w.approve(m)
	code, took := p.stop(syscall.SIGTERM, shutdownTimeout+5*time.Second)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	if took > shutdownTimeout {
		t.Fatalf("exit took %v, more than shutdown_timeout %v", took, shutdownTimeout)
	}
	if r := w.stored(); r.State != approvals.Succeeded {
		t.Fatalf("request %s, want succeeded", r.State)
	}
	w.threadHas(m, "DCS accepted the kill")
	if n := len(w.dcs.Kills()); n != 1 {
		t.Fatalf("fakedcs saw %d kills, want 1", n)
	}
	noSecrets(t, p.stderr.String(), appToken, botToken, accessKey, secretKey)
}

// -check-config: 0 on a valid file; 2 on an invalid one, with every
// problem listed by key and no secret's value shown.
func TestCheckConfig(t *testing.T) {
	w := newWorld(t)
	cmd, out := w.command(secrets, "-check-config", "-config", w.config)
	if err := cmd.Run(); err != nil {
		t.Fatalf("valid config: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "valid") {
		t.Errorf("valid config: %q", out)
	}
	noSecrets(t, out.String(), appToken, botToken, accessKey, secretKey)

	const dbPassword = "hunter2-db-password-value"
	bad := w.writeConfig("bad.yaml", `slack:
  api_url: "not a url"
huaweicloud:
  region: ""
  project_id: nope
  timeout: soon
instances:
  orders-prod:
    id: not-a-uuid
policy:
  channels: [general]
  approvers: [UAPPROVER1]
  ttl: -5m
store:
  driver: mysql
  dsn: "postgres://dcsbot:`+dbPassword+`@db.example.com:5432/dcsbot"
log:
  level: loud
unknown_key: 1
`)
	badApp := "xoxb-wrong-kind-of-token-secret-value"
	env := map[string]string{"SLACK_APP_TOKEN": badApp, "SLACK_BOT_TOKEN": botToken, "CLOUD_SDK_AK": accessKey}
	cmd, out = w.command(env, "-check-config", "-config", bad)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("invalid config: %v, want exit code 2\n%s", err, out)
	}
	for _, key := range []string{"slack.api_url", "huaweicloud.region", "huaweicloud.project_id", "huaweicloud.timeout",
		"instances.orders-prod.id", "policy.channels[0]", "policy.ttl", "store.driver", "log.level", "unknown_key",
		"SLACK_APP_TOKEN", "CLOUD_SDK_SK"} {
		if !strings.Contains(out.String(), key) {
			t.Errorf("no problem listed for %s", key)
		}
	}
	noSecrets(t, out.String(), dbPassword, badApp, botToken, accessKey)
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// -check-config prints the warnings of a valid configuration, and still
// exits 0.
func TestCheckConfigWarnings(t *testing.T) {
	w := newWorld(t)
	body := strings.Replace(mustRead(t, w.config), "  approvals_required: 1\n",
		"  approvals_required: 2\n  kill_all:\n    approvals_required: 1\n", 1)
	cfg := w.writeConfig("warn.yaml", strings.Replace(body, "approvers: ["+approver+"]", "approvers: ["+approver+", SONCALL001]", 1))
	cmd, out := w.command(secrets, "-check-config", "-config", cfg)
	if err := cmd.Run(); err != nil {
		t.Fatalf("config with warnings: %v\n%s", err, out)
	}
	for _, want := range []string{"is valid", "warnings:", "policy.kill_all.approvals_required: 1 is lower than approvals_required (2)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// -check-config on config.example.yaml as copied, with the secrets as the
// README writes them (SLACK_APP_TOKEN=xapp-…): valid, exit 0, and a warning
// at each placeholder, by key.
func TestCheckConfigPlaceholders(t *testing.T) {
	w := newWorld(t)
	env := map[string]string{"SLACK_APP_TOKEN": "xapp-…", "SLACK_BOT_TOKEN": "xoxb-…", "CLOUD_SDK_AK": "…", "CLOUD_SDK_SK": "changeme"}
	cmd, out := w.command(env, "-check-config", "-config", filepath.Join("..", "..", "config.example.yaml"))
	if err := cmd.Run(); err != nil {
		t.Fatalf("the example with placeholder secrets: %v, want exit 0\n%s", err, out)
	}
	for _, want := range []string{"is valid", "warnings:",
		"SLACK_APP_TOKEN: the value looks like a placeholder (an ellipsis)",
		"SLACK_BOT_TOKEN: the value looks like a placeholder (an ellipsis)",
		"CLOUD_SDK_AK: the value looks like a placeholder (an ellipsis)",
		"CLOUD_SDK_SK: the value looks like a placeholder (a word such as changeme)",
		`huaweicloud.project_id: "0123456789abcdef0123456789abcdef" is the placeholder from config.example.yaml`,
		`instances.orders-prod.id: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" is the placeholder`,
		`instances.payments-prod.id: "7c9e6679-7425-40de-944b-e07fc1f90ae7" is the placeholder`,
		`policy.channels[0]: "C0123ABCD" is the placeholder`,
		`policy.approvers[0]: "U0123ABCD" is the placeholder`,
		`policy.approvers[1]: "S0123ABCD" is the placeholder`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
