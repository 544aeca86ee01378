package bench

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// approveRun is one way of approving requests.
type approveRun struct {
	name  string
	nodes int // nodes the requests are spread over, evenly
	round int // requests made before each round of approvals
	group int // requests approved at the same instant (1: one after another)
	// rounds of round requests, each approved group by group: every
	// group's clicks are sent at once, and the next group waits until
	// the last group's results and checks are posted.
	rounds  int
	latency time.Duration // how long the fake DCS holds every answer
	scan    time.Duration // how long its scans run
}

var approveRuns = []approveRun{
	{name: "one-at-a-time", nodes: 1, round: 100, group: 1, rounds: 5},
	{name: "20-at-once", nodes: 1, round: 100, group: 20, rounds: 5},
	{name: "100-at-once-5-nodes", nodes: 5, round: 100, group: 100, rounds: 5},
	{name: "dcs-30ms-scan-500ms/20-at-once", nodes: 1, round: 20, group: 20, rounds: 3,
		latency: 30 * time.Millisecond, scan: 500 * time.Millisecond},
}

// BenchmarkApproveKill measures, for each approveRun:
//   - approve click sent -> HangUpClients received by fakedcs (KillCall.At);
//   - kill received by fakedcs -> the result reply's chat.postMessage
//     received by fakeslack (Call.At);
//   - the DCS session scans started for a group of approvals, from its
//     first click until the check after each of its kills is posted (the
//     largest of any group, and the mean);
//   - the bot's SQLite commits per approval over the same spans: those of
//     the request lifecycle, and all of them (the audit shipper's cursor
//     included).
//
// Each node has as many other sessions as a round has requests, besides
// their targets. Every group is approved within the stale-target guard's
// 10 s of age slack (the fake's sessions do not age).
func BenchmarkApproveKill(b *testing.B) {
	for _, run := range approveRuns {
		b.Run(run.name, func(b *testing.B) { benchApproveKill(b, run) })
	}
}

// nodeName is the i-th node's ID (the first is nodeID).
func nodeName(i int) string {
	if i == 0 {
		return nodeID
	}
	return fmt.Sprintf("%s%02d", nodeID[:30], i)
}

func benchApproveKill(b *testing.B, run approveRun) {
	r := newRig(b)
	r.dcs.SetLatency(run.latency)
	r.dcs.SetScanDelay(run.scan)
	var mu sync.Mutex
	received := map[string]time.Time{} // address -> when fakedcs got the kill
	r.dcs.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		mu.Lock()
		for _, a := range k.Addrs {
			received[a] = time.Now()
		}
		mu.Unlock()
		return fakedcs.Reply{}
	})
	for n := range run.nodes {
		others := make([]string, run.round/run.nodes)
		for i := range others {
			others[i] = addr(1<<20 + n<<12 + i)
		}
		r.seedOn(nodeName(n), others)
	}
	r.start()
	var toKill, toReply Sample
	var scans []int // started per group
	var commits commitCount
	var cpu time.Duration // the process's, while groups were approved
	next, asked, approved := 0, 0, 0
	for b.Loop() {
		for range run.rounds {
			byNode := make([][]string, run.nodes)
			var addrs []string
			for i := range run.round {
				a := addr(next)
				next++
				byNode[i%run.nodes] = append(byNode[i%run.nodes], a)
				addrs = append(addrs, a)
			}
			for n, as := range byNode {
				r.seedOn(nodeName(n), as)
			}
			msgs := r.requestMessages(addrs, 10)
			asked += len(msgs)
			for g := 0; g < len(addrs); g += run.group {
				group := addrs[g:min(g+run.group, len(addrs))]
				s0, c0, cpu0 := r.dcs.ScansTotal(), r.commits.read(), cpuTime()
				approved += r.approveGroup(msgs, group, &toKill)
				cpu += cpuTime() - cpu0
				scans = append(scans, r.dcs.ScansTotal()-s0)
				c := r.commits.read().since(c0)
				commits.lifecycle += c.lifecycle
				commits.other += c.other
			}
		}
	}
	results := r.resultsPosted()
	for a, m := range r.messages {
		mu.Lock()
		got := received[a]
		mu.Unlock()
		if at, ok := results[m.TS]; ok && !got.IsZero() {
			toReply.Add(at.Sub(got))
		}
	}
	b.ReportMetric(float64(next-asked), "failed-commands")
	b.ReportMetric(float64(asked-toReply.Len()), "failed-kills")
	reportLatency(b, "approve-kill", &toKill)
	reportLatency(b, "kill-reply", &toReply)
	b.ReportMetric(float64(slices.Max(scans)), "scans-per-group-max")
	b.ReportMetric(float64(sum(scans))/float64(len(scans)), "scans-per-group-mean")
	b.ReportMetric(Ms(cpu)/float64(max(approved, 1)), "cpu-ms/approval")
	b.ReportMetric(float64(commits.lifecycle)/float64(max(approved, 1)), "lifecycle-commits/approval")
	b.ReportMetric(float64(commits.lifecycle+commits.other)/float64(max(approved, 1)), "all-commits/approval")
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// approveGroup sends an approve click for each address's request at the
// same instant, waits until every one shows its result and the check
// after its kill, and records click -> kill received at DCS. It returns
// how many it approved.
func (r *rig) approveGroup(msgs map[string]fakeslack.Message, group []string, toKill *Sample) int {
	r.tb.Helper()
	clicked := make([]time.Time, len(group))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range group {
		m := msgs[a]
		r.messages[a] = m
		wg.Go(func() {
			<-start
			clicked[i] = time.Now()
			if _, err := r.slack.SendBlockAction(r.ctx(), fakeslack.BlockAction{UserID: approver,
				ChannelID: m.Channel, MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve"}); err != nil {
				r.tb.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	// Polled, not on every change of the fake: the bench's own looking
	// must not compete with the bot for the CPU while the kills go out.
	left := slices.Clone(group)
	deadline := time.Now().Add(time.Minute)
	for len(left) > 0 {
		if time.Now().After(deadline) {
			r.tb.Fatalf("%d approvals not carried through to their check", len(left))
		}
		time.Sleep(5 * time.Millisecond)
		left = slices.DeleteFunc(left, func(a string) bool {
			m := msgs[a]
			// The buttons, then executing and result: three redraws;
			// then the check after the kill.
			cur, _ := r.slack.Message(m.Channel, m.TS)
			return cur.Updates >= 3 && hasReply(r.slack, m, "After the kill")
		})
	}
	at := map[string]time.Time{}
	for _, k := range r.dcs.Kills() {
		for _, a := range k.Addrs {
			at[a] = k.At
		}
	}
	n := 0
	for i, a := range group {
		if k, ok := at[a]; ok {
			toKill.Add(k.Sub(clicked[i]))
			n++
		}
	}
	return n
}

// hasReply reports whether m's thread has a reply containing text.
func hasReply(s *fakeslack.Server, m fakeslack.Message, text string) bool {
	for _, x := range s.Thread(m.Channel, m.TS) {
		if strings.Contains(x.Text, text) {
			return true
		}
	}
	return false
}

// resultsPosted returns when fakeslack received each result reply, by
// the ts of the approval message it replies to.
func (r *rig) resultsPosted() map[string]time.Time {
	out := map[string]time.Time{}
	for _, c := range r.slack.Calls("chat.postMessage") {
		if ts := c.Form.Get("thread_ts"); ts != "" && strings.Contains(c.Form.Get("text"), "DCS accepted") {
			out[ts] = c.At
		}
	}
	return out
}

// cpuTime is the CPU time this process (the bot, the fakes and the load
// generator) has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
