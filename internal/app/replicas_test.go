package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/store/pgtest"
)

// TestReplicasExecuteOnce runs two bots on one PostgreSQL database behind
// one fake Slack that spreads envelopes across both sockets. Every click is
// delivered to both replicas at once, by several approvers at once: each
// request must be killed once, reach its final state once, and get exactly
// one result reply.
func TestReplicasExecuteOnce(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	e := newEnv(t, withStore(fmt.Sprintf("  driver: postgres\n  dsn: %q\n", dsn)),
		withPolicy("  approvals_required: 1\n  max_pending_per_user: 12\n"))
	e.start()
	e.start()
	if n := e.slack.Connections(); n != 2 {
		t.Fatalf("%d sockets open, want 2", n)
	}

	const requests = 12
	var msgs []fakeslack.Message
	for i := range requests {
		msgs = append(msgs, e.request(e.uniqueKill(i))) // round-robin across the replicas
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		for _, u := range []string{approver1, approver2, groupMate} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ack, err := e.slack.SendBlockAction(e.ctx(), fakeslack.BlockAction{
					UserID: u, ChannelID: m.Channel, MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve",
				}, fakeslack.ToAll())
				if err != nil {
					t.Error(err)
					return
				}
				// Both replicas got the click and acked it.
				e.waitFor("both replicas ack", func() bool {
					conns := map[int]bool{}
					for _, a := range e.slack.Acks(ack.EnvelopeID) {
						conns[a.ConnID] = true
					}
					return len(conns) == 2
				})
			}()
		}
	}
	wg.Wait()
	for _, m := range msgs {
		e.threadHas(m, "DCS accepted the kill")
	}
	time.Sleep(500 * time.Millisecond) // room for a wrong second kill or reply

	if n := len(e.dcs.Kills()); n != requests {
		t.Fatalf("%d kills for %d requests", n, requests)
	}
	rs, err := e.app.Store().List(context.Background(), approvals.ListFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.State != approvals.Succeeded {
			t.Errorf("request %s is %s", r.ID, r.State)
		}
	}
	for _, m := range msgs {
		replies := e.thread(m)
		var executing, results int
		for _, s := range replies {
			switch {
			case strings.Contains(s, "Killing"):
				executing++
			case strings.Contains(s, "DCS accepted the kill"):
				results++
			}
		}
		if executing != 1 || results != 1 || len(replies) != 3 || !strings.Contains(replies[2], "After the kill") {
			t.Errorf("message %s thread: %q", m.TS, replies)
		}
		// Drawn once with its buttons, once as approved/killing, once final.
		if got := e.message(m).Updates; got != 3 {
			t.Errorf("message %s updated %d times, want 3", m.TS, got)
		}
	}
}

// TestReplicasSweepOnce: with two replicas sweeping the same database,
// an expired request is marked and reported once.
func TestReplicasSweepOnce(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	e := newEnv(t, withStore(fmt.Sprintf("  driver: postgres\n  dsn: %q\n", dsn)))
	e.start()
	e.start()
	var msgs []fakeslack.Message
	for range 5 {
		msgs = append(msgs, e.request(killText))
	}
	e.clock.Advance(16 * time.Minute)
	for _, m := range msgs {
		e.threadHas(m, "Expired")
	}
	time.Sleep(2500 * time.Millisecond) // two more sweeps on each replica
	for _, m := range msgs {
		if n := len(e.thread(m)); n != 1 {
			t.Errorf("message %s: %d thread replies, want 1: %q", m.TS, n, e.thread(m))
		}
		if got := e.message(m).Updates; got != 2 { // its buttons, then expired
			t.Errorf("message %s updated %d times, want 2", m.TS, got)
		}
	}
}

// TestReplicaRecoversStuckExecuting: a request left executing by a replica
// that died is recovered by another one after the stale timeout, as
// unknown, and never executed again.
func TestReplicaRecoversStuckExecuting(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	e := newEnv(t, withStore(fmt.Sprintf("  driver: postgres\n  dsn: %q\n", dsn)))
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	now := e.clock.Now()
	for _, tr := range [][2]approvals.State{{approvals.Pending, approvals.Approved}, {approvals.Approved, approvals.Executing}} {
		if ok, err := e.app.Store().Apply(context.Background(), id, approvals.Transition{From: tr[0], To: tr[1], At: now, Actor: approver1}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	// Not stale yet: a shared store must not recover it at once.
	time.Sleep(1500 * time.Millisecond)
	if r := e.onlyRequest(); r.State != approvals.Executing {
		t.Fatalf("recovered too early: %s", r.State)
	}
	// Past huaweicloud.timeout + 1 minute, the sweep recovers it.
	e.clock.Advance(5 * time.Minute)
	e.threadHas(msg, "outcome is *unknown*")
	if r := e.onlyRequest(); r.State != approvals.Unknown {
		t.Fatalf("state %s", r.State)
	}
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("a stuck request was executed again")
	}
}
