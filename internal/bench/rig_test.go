package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// The same identities as the end-to-end harness in internal/app.
const (
	appToken   = "xapp-1-A0FAKE-bench-app-token-value"
	botToken   = "xoxb-bench-bot-token-value"
	accessKey  = "BENCHACCESSKEYVALUE01"
	secretKey  = "bench-secret-key-value-never-logged"
	projectID  = "0123456789abcdef0123456789abcdef"
	instanceID = "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f"
	nodeID     = "8ea1b9d4d8d7c0e5a1b2c3d4e5f60718"
	channel    = "CINCIDENT1"
	approver   = "UAPPROVER1"
)

// env is the process environment the bot reads its secrets from.
var env = map[string]string{
	config.EnvSlackAppToken: appToken, config.EnvSlackBotToken: botToken,
	config.EnvAccessKey: accessKey, config.EnvSecretKey: secretKey,
}

func lookupEnv(name string) (string, bool) { v, ok := env[name]; return v, ok }

// addr is the i-th client address: every request kills its own session, so
// kills can be told apart and each address is a live session when asked for.
func addr(i int) string {
	return fmt.Sprintf("10.%d.%d.%d:5000", (i>>16)&255, (i>>8)&255, i&255)
}

// rig is one bot with its fakes: the real slack-go socket-mode client talks
// to fakeslack over a websocket on loopback, the real Huawei SDK to fakedcs,
// and requests live in a SQLite file.
type rig struct {
	tb     testing.TB
	slack  *fakeslack.Server
	dcs    *fakedcs.Server
	dbPath string

	lastConn int                          // highest socket-mode connection ID seen
	failed   int                          // commands answered with an ephemeral so far
	messages map[string]fakeslack.Message // approval messages by address
	commits  *commits                     // SQLite commits of the bot's database
	nodeOf   map[string]string            // the node of each address seeded elsewhere than nodeID

	cancel context.CancelFunc
	done   chan error
	app    *app.App
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	r := &rig{
		tb: tb,
		slack: fakeslack.New(tb, fakeslack.Options{AppToken: appToken, BotToken: botToken,
			// Under load an ack may be late; record it rather than fail.
			AckDeadline: -1, DefaultTimeout: time.Minute}),
		dcs:      fakedcs.New(tb, fakedcs.Options{AK: accessKey, SK: secretKey, ProjectID: projectID}),
		dbPath:   filepath.Join(tb.TempDir(), "dcsbot.db"),
		messages: map[string]fakeslack.Message{},
		nodeOf:   map[string]string{},
	}
	r.commits = countCommitsOf(tb, r.dbPath)
	return r
}

// configYAML is the bot's configuration for this rig; listen is the HTTP
// address ("127.0.0.1:0" for any).
func (r *rig) configYAML(listen string) string {
	return fmt.Sprintf(`slack:
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
  ttl: 1h
  max_pending_per_user: 10000
store:
  driver: sqlite
  dsn: %s
http:
  listen: "%s"
schedule:
  sweep: "@every 1s"
log:
  level: info
  format: json
shutdown_timeout: 10s
`, r.slack.APIURL(), projectID, r.dcs.URL, instanceID, channel, approver, r.dbPath, listen)
}

// seed makes the addresses live sessions on the node, besides those it
// has.
func (r *rig) seed(addrs []string) { r.seedOn(nodeID, addrs) }

// seedOn makes the addresses live sessions on node, besides those it has;
// requests for them name node.
func (r *rig) seedOn(node string, addrs []string) {
	cs := r.dcs.Clients(instanceID, node)
	for _, a := range addrs {
		cs = append(cs, fakedcs.Client{ID: fmt.Sprint(len(cs) + 1), Addr: a, Peer: a, Age: 600, Idle: 5, Name: "app", Cmd: "get"})
		if node != nodeID {
			r.nodeOf[a] = node
		}
	}
	r.dcs.SetClients(instanceID, node, cs)
}

// start runs the bot in this process until its socket is connected. It
// logs as production does (JSON, info), to nowhere.
func (r *rig) start() {
	r.tb.Helper()
	cfg, err := config.Parse([]byte(r.configYAML("127.0.0.1:0")), lookupEnv)
	if err != nil {
		r.tb.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		cancel()
		r.tb.Fatalf("app.New: %v", err)
	}
	before := r.slack.Connections()
	r.app, r.cancel, r.done = a, cancel, make(chan error, 1)
	go func() { r.done <- a.Run(ctx) }()
	r.tb.Cleanup(r.stop)
	if err := r.slack.WaitConnections(r.ctx(), before+1); err != nil {
		r.tb.Fatalf("bot did not connect: %v", err)
	}
}

func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.tb.Error("bot did not stop within 30s")
	}
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r.tb.Cleanup(cancel)
	return ctx
}

// killText is the /dcs command that asks to kill the session at a.
func (r *rig) killText(a string) string {
	node, ok := r.nodeOf[a]
	if !ok {
		node = nodeID
	}
	return "kill orders-prod " + node + " " + a
}

// requestMessages sends one /dcs kill per address, from users at a time,
// and returns the approval messages by address once every command has been
// answered (a message posted, or an ephemeral to its user).
func (r *rig) requestMessages(addrs []string, users int) map[string]fakeslack.Message {
	r.tb.Helper()
	before := len(r.slack.Messages())
	r.slashAll(addrs, users, nil)
	r.settle(before, len(addrs))
	// Match messages to addresses through the store: the request a message
	// shows is the one whose message_ts it is (recorded just after the post,
	// and followed by the redraw that adds the buttons).
	out := map[string]fakeslack.Message{}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		rs, err := r.app.Store().List(r.ctx(), approvals.ListFilter{Limit: 1000})
		if err != nil {
			r.tb.Fatal(err)
		}
		byTS := map[string]string{}
		for _, q := range rs {
			if q.State == approvals.Pending && len(q.Addrs) > 0 {
				byTS[q.MessageTS] = q.Addrs[0]
			}
		}
		clear(out)
		msgs := r.slack.Messages()[before:]
		for _, m := range msgs {
			if a, ok := byTS[m.TS]; ok && strings.Contains(string(m.Blocks), `"dcs_approve"`) {
				out[a] = m
			}
		}
		if len(out) == len(msgs) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return out
}

// settle waits until n commands sent after the before-th message are all
// answered: an approval message each, or an ephemeral to a bench user
// (a refusal or a fault). It returns how many got no message.
func (r *rig) settle(before, n int) int {
	r.tb.Helper()
	failed := func(s *fakeslack.Server) int {
		k := 0
		for _, e := range s.Ephemerals() {
			if strings.HasPrefix(e.User, "UBENCH") {
				k++
			}
		}
		return k - r.failed
	}
	if err := r.slack.WaitFor(r.ctx(), func(s *fakeslack.Server) bool {
		return len(s.Messages())-before+failed(s) >= n
	}); err != nil {
		r.tb.Fatalf("commands not answered: %v", err)
	}
	k := failed(r.slack)
	if k > 0 {
		es := r.slack.Ephemerals()
		r.tb.Logf("%d of %d commands got no approval message; the last said: %s", k, n, es[len(es)-1].Text)
	}
	r.failed += k
	return k
}

// slashAll sends `/dcs kill` for each address, spread over users that each
// wait for their ack before the next command, and records each ack's latency.
func (r *rig) slashAll(addrs []string, users int, acks *Sample) {
	r.tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := u; i < len(addrs); i += users {
				ack, err := r.slack.SendSlashCommand(r.ctx(), fakeslack.SlashCommand{
					UserID: fmt.Sprintf("UBENCH%04d", u), ChannelID: channel, Command: "/dcs", Text: r.killText(addrs[i]),
				})
				if err != nil {
					errs <- err
					return
				}
				if len(ack.Payload) > 0 {
					errs <- fmt.Errorf("kill of %s refused: %s", addrs[i], ack.Payload)
					return
				}
				if acks != nil {
					acks.Add(ack.Latency)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		r.tb.Fatal(err)
	}
}
