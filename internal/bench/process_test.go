package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/store/sqlite"
	"dcsbot/internal/testkit"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testkit.Cleanup()
	os.Exit(code)
}

// proc is the bot running as its own process.
type proc struct {
	tb   testing.TB
	cmd  *exec.Cmd
	log  string // its stderr
	done chan error
}

// startProcess runs the built bot on the rig's config and returns once it
// is connected, with the time from process start to connected socket.
func (r *rig) startProcess(bin, listen string) (*proc, time.Duration) {
	r.tb.Helper()
	dir := r.tb.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(r.configYAML(listen)), 0o600); err != nil {
		r.tb.Fatal(err)
	}
	p := &proc{tb: r.tb, log: filepath.Join(dir, "stderr.log"), done: make(chan error, 1)}
	logf, err := os.Create(p.log)
	if err != nil {
		r.tb.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, "-config", cfg)
	p.cmd.Stderr = logf
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	seen := r.lastConn
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		r.tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	r.tb.Cleanup(p.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Connection IDs only grow: a higher one than any seen is this process's
	// (a socket of the process stopped before may not be forgotten yet).
	if err := r.slack.WaitFor(ctx, func(s *fakeslack.Server) bool {
		ids := s.ConnIDs()
		return len(ids) > 0 && ids[len(ids)-1] > seen
	}); err != nil {
		r.tb.Fatalf("bot process did not connect: %v\n%s", err, p.stderr())
	}
	d := time.Since(start)
	ids := r.slack.ConnIDs()
	r.lastConn = ids[len(ids)-1]
	return p, d
}

func (p *proc) stderr() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// stop sends SIGTERM and waits for the process to exit.
func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			p.tb.Errorf("bot process: %v\n%s", err, p.stderr())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.tb.Errorf("bot process did not stop on SIGTERM within 30s")
	}
}

// memory returns VmHWM (peak resident set) and VmRSS in MiB.
func (p *proc) memory() (hwm, rss float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		p.tb.Fatalf("memory of the bot process: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch {
		case err != nil:
		case k == "VmHWM":
			hwm = kb / 1024
		case k == "VmRSS":
			rss = kb / 1024
		}
	}
	return hwm, rss
}

// seedPending stores n pending requests, each with its approval message, and
// expired more already past their TTL, straight through the store.
func (r *rig) seedPending(n, expired int) {
	r.tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, r.dbPath, nil, sqlite.Options{StatementTimeout: 10 * time.Second})
	if err != nil {
		r.tb.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for i := range n + expired {
		created := now
		if i >= n {
			created = now.Add(-2 * time.Hour)
		}
		q := &approvals.Request{
			ID:        fmt.Sprintf("P%05d", i),
			Requester: fmt.Sprintf("UBENCH%04d", i%100), ChannelID: channel,
			MessageTS: fmt.Sprintf("1700000000.%06d", i),
			Instance:  approvals.Instance{Alias: "orders-prod", ID: instanceID},
			NodeID:    nodeID, Addrs: []string{addr(i), addr(i + 1<<20)},
			Reason:            "load test",
			ApprovalsRequired: 1, State: approvals.Pending,
			CreatedAt: created, UpdatedAt: created, ExpiresAt: created.Add(time.Hour),
		}
		if err := st.Create(ctx, q); err != nil {
			r.tb.Fatal(err)
		}
	}
}

// freePort returns a loopback address no one listens on now.
func freePort(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// BenchmarkProcess runs the built bot as a separate process on a SQLite file
// holding 10,000 pending requests (and 500 past their TTL, which the sweep at
// start expires and reports), and measures its memory from /proc: VmHWM once
// connected, again after the start-up sweep, two scheduled sweeps and a
// /metrics scrape (whose pending gauge reads up to 1,000 requests), and again
// after 1,000 more /dcs kill commands from 100 users at once. Then it
// restarts the bot and measures process start -> socket connected, on that
// database and on an empty one.
func BenchmarkProcess(b *testing.B) {
	bin := testkit.BotBinary(b)
	const pending, expired, starts = 10000, 500, 5
	for b.Loop() {
		r := newRig(b)
		r.seedPending(pending, expired)
		listen := freePort(b)
		p, _ := r.startProcess(bin, listen)
		hwmConnected, _ := p.memory()
		// The sweep at start expires the 500 and redraws their messages.
		if err := r.slack.WaitFor(r.ctx(), func(s *fakeslack.Server) bool {
			return len(s.Calls("chat.update")) >= expired
		}); err != nil {
			b.Fatalf("expired requests not reported: %v", err)
		}
		time.Sleep(2200 * time.Millisecond) // two scheduled sweeps ("@every 1s")
		resp, err := http.Get("http://" + listen + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "dcsbot_requests_pending 1000") {
			b.Errorf("pending gauge not at its 1000 cap:\n%s", grep(string(body), "dcsbot_requests_pending"))
		}
		hwmSwept, _ := p.memory()

		// Then 1,000 more kill requests from 100 users at once.
		population := make([]string, nodeSessions)
		for i := range population {
			population[i] = addr(1<<21 + i)
		}
		r.seed(population)
		addrs := make([]string, 1000)
		for i := range addrs {
			addrs[i] = population[i%nodeSessions]
		}
		var acks Sample
		before := len(r.slack.Messages())
		r.slashAll(addrs, 100, &acks)
		r.settle(before, len(addrs))
		hwmLoad, rss := p.memory()
		p.stop()
		b.ReportMetric(hwmConnected, "VmHWM-connected-MiB")
		b.ReportMetric(hwmSwept, "VmHWM-swept-MiB")
		b.ReportMetric(hwmLoad, "VmHWM-loaded-MiB")
		b.ReportMetric(rss, "VmRSS-end-MiB")
		reportLatency(b, "process-ack", &acks)

		var full, empty Sample
		for range starts {
			p, d := r.startProcess(bin, "127.0.0.1:0")
			full.Add(d)
			p.stop()
		}
		e := newRig(b)
		for i := range starts {
			p, d := e.startProcess(bin, "127.0.0.1:0")
			empty.Add(d)
			if i == 0 {
				hwm, _ := p.memory()
				b.ReportMetric(hwm, "VmHWM-empty-connected-MiB")
			}
			p.stop()
		}
		b.ReportMetric(Ms(full.Quantile(0.5)), "startup-10k-p50-ms")
		b.ReportMetric(Ms(full.Max()), "startup-10k-max-ms")
		b.ReportMetric(Ms(empty.Quantile(0.5)), "startup-empty-p50-ms")
		b.ReportMetric(Ms(empty.Max()), "startup-empty-max-ms")
	}
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
