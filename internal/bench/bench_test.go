package bench

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// Load sizes: each ack run sends commandsPerRun /dcs kill commands spread
// over its users (slowScanCommands when the fake's scans take time); the
// node has nodeSessions client sessions, and the commands name them in turn
// (the bot reads them all before it posts).
const (
	commandsPerRun   = 2000
	slowScanCommands = 200
	nodeSessions     = 200
)

// scanDelays are how long the fake DCS's session scan jobs take: at once,
// and 300 ms, closer to a real node.
var scanDelays = []time.Duration{0, 300 * time.Millisecond}

func scanName(d time.Duration) string { return fmt.Sprintf("scan=%dms", d.Milliseconds()) }

// BenchmarkAck measures envelope sent -> ack received (fakeslack's
// Ack.Latency) for /dcs kill, with 1, 20 and 100 users each sending their
// next command as soon as the last one is acked. Every kill is also carried
// through to its approval message (session read at DCS, store write,
// chat.postMessage), so the acks compete with that work for the CPU, as
// they would in production.
func BenchmarkAck(b *testing.B) {
	for _, scan := range scanDelays {
		commands := commandsPerRun
		if scan > 0 {
			commands = slowScanCommands
		}
		for _, users := range []int{1, 20, 100} {
			b.Run(fmt.Sprintf("%s/users=%d", scanName(scan), users), func(b *testing.B) {
				benchAck(b, scan, users, commands)
			})
		}
	}
	b.Run("help/users=100", func(b *testing.B) {
		r := newRig(b)
		r.start()
		var acks Sample
		var wg sync.WaitGroup
		for b.Loop() {
			for u := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range commandsPerRun / 100 {
						ack, err := r.slack.SendSlashCommand(r.ctx(), fakeslack.SlashCommand{
							UserID: fmt.Sprintf("UBENCH%04d", u), ChannelID: channel, Command: "/dcs", Text: "help",
						})
						if err != nil {
							b.Error(err)
							return
						}
						acks.Add(ack.Latency)
					}
				}()
			}
			wg.Wait()
		}
		reportLatency(b, "ack", &acks)
	})
}

// benchAck sends commands /dcs kill commands from users, the fake's scans
// taking scan, and reports the acks' latency and how many requests per
// second reached an approval message.
func benchAck(b *testing.B, scan time.Duration, users, commands int) {
	r := newRig(b)
	r.dcs.SetScanDelay(scan)
	population := make([]string, nodeSessions)
	for i := range population {
		population[i] = addr(i)
	}
	r.seed(population)
	r.start()
	var acks Sample
	start := time.Now()
	sent := 0
	for b.Loop() {
		addrs := make([]string, commands)
		for i := range addrs {
			addrs[i] = population[(sent+i)%nodeSessions]
		}
		r.slashAll(addrs, users, &acks)
		sent += len(addrs)
	}
	failed := r.settle(0, sent)
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "requests/s")
	b.ReportMetric(float64(failed), "failed-commands")
	reportLatency(b, "ack", &acks)
}

// BenchmarkApproveKill measures, for requests approved one after another
// (clickers=1) or 20 at a time:
//   - approve click sent -> HangUpClients received by fakedcs (KillCall.At);
//   - kill answered by fakedcs -> the result reply's chat.postMessage
//     received by fakeslack (Call.At).
//
// Requests come in batches of batchSize on a node with as many other
// sessions besides their targets: five of 100; when the fake's scans take
// 300 ms, four of five one at a time and one of 20 for 20 at once, so that
// every batch is approved within the stale-target guard's 10 s of age slack
// (the fake's sessions do not age).
// Each clicker waits for its request's message to show the result before
// its next click.
func BenchmarkApproveKill(b *testing.B) {
	for _, scan := range scanDelays {
		for _, clickers := range []int{1, 20} {
			batches, batchSize := 5, 100
			switch {
			case scan > 0 && clickers == 1:
				batches, batchSize = 4, 5
			case scan > 0:
				batches, batchSize = 1, clickers
			}
			b.Run(fmt.Sprintf("%s/clickers=%d", scanName(scan), clickers), func(b *testing.B) {
				benchApproveKill(b, scan, clickers, batches, batchSize)
			})
		}
	}
}

// benchApproveKill approves batches of batchSize requests, clickers at a
// time, the fake's scans taking scan.
func benchApproveKill(b *testing.B, scan time.Duration, clickers, batches, batchSize int) {
	r := newRig(b)
	r.dcs.SetScanDelay(scan)
	var mu sync.Mutex
	answered := map[string]time.Time{} // address -> when fakedcs answered
	r.dcs.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		mu.Lock()
		for _, a := range k.Addrs {
			answered[a] = time.Now()
		}
		mu.Unlock()
		return fakedcs.Reply{}
	})
	bystanders := make([]string, batchSize)
	for i := range bystanders {
		bystanders[i] = addr(1<<20 + i)
	}
	r.seed(bystanders)
	r.start()
	var toKill, toReply Sample
	next, asked := 0, 0
	for b.Loop() {
		for range batches {
			b.StopTimer()
			addrs := make([]string, batchSize)
			for i := range addrs {
				addrs[i] = addr(next)
				next++
			}
			r.seed(addrs)
			msgs := r.requestMessages(addrs, 10)
			b.StartTimer()
			asked += len(msgs)
			r.approveAll(msgs, clickers, &toKill)
		}
	}
	results := map[string]time.Time{} // thread ts -> result reply received
	for _, c := range r.slack.Calls("chat.postMessage") {
		if ts := c.Form.Get("thread_ts"); ts != "" && strings.Contains(c.Form.Get("text"), "DCS accepted") {
			results[ts] = c.At
		}
	}
	for a, m := range r.messages {
		mu.Lock()
		ans := answered[a]
		mu.Unlock()
		if at, ok := results[m.TS]; ok && !ans.IsZero() {
			toReply.Add(at.Sub(ans))
		}
	}
	b.ReportMetric(float64(next-asked), "failed-commands")
	b.ReportMetric(float64(asked-toReply.Len()), "failed-kills")
	reportLatency(b, "approve-kill", &toKill)
	reportLatency(b, "kill-reply", &toReply)
}

// approveAll approves each request, clickers at a time, each clicker
// waiting for the result before its next click, and records click ->
// kill received at DCS.
func (r *rig) approveAll(msgs map[string]fakeslack.Message, clickers int, toKill *Sample) {
	r.tb.Helper()
	addrs := make([]string, 0, len(msgs))
	for a, m := range msgs {
		addrs = append(addrs, a)
		r.messages[a] = m
	}
	clicked := make([]time.Time, len(addrs))
	var wg sync.WaitGroup
	for c := range clickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < len(addrs); i += clickers {
				m := msgs[addrs[i]]
				clicked[i] = time.Now()
				if _, err := r.slack.SendBlockAction(r.ctx(), fakeslack.BlockAction{UserID: approver,
					ChannelID: m.Channel, MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve"}); err != nil {
					r.tb.Error(err)
					return
				}
				// The buttons, then executing and result: three redraws
				// of the message.
				if err := r.slack.WaitFor(r.ctx(), func(s *fakeslack.Server) bool {
					cur, _ := s.Message(m.Channel, m.TS)
					return cur.Updates >= 3
				}); err != nil {
					r.tb.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	at := map[string]time.Time{}
	for _, k := range r.dcs.Kills() {
		for _, a := range k.Addrs {
			at[a] = k.At
		}
	}
	for i, a := range addrs {
		if k, ok := at[a]; ok {
			toKill.Add(k.Sub(clicked[i]))
		}
	}
}

func reportLatency(b *testing.B, name string, s *Sample) {
	b.ReportMetric(Ms(s.Quantile(0.5)), name+"-p50-ms")
	b.ReportMetric(Ms(s.Quantile(0.99)), name+"-p99-ms")
	b.ReportMetric(Ms(s.Max()), name+"-max-ms")
}
