package bench

import (
	"fmt"
	"sync"
	"testing"
	"time"

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

func reportLatency(b *testing.B, name string, s *Sample) {
	b.ReportMetric(Ms(s.Quantile(0.5)), name+"-p50-ms")
	b.ReportMetric(Ms(s.Quantile(0.99)), name+"-p99-ms")
	b.ReportMetric(Ms(s.Max()), name+"-max-ms")
}
