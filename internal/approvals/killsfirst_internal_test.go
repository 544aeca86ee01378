package approvals

import (
	"testing"
	"time"
)

// A report waits while a kill is on its way, and goes once it is sent;
// with none on its way it does not wait; a kill never sent holds reports
// back for reportDelay at most.
func TestKillsFirst(t *testing.T) {
	var k killsFirst
	k.wait() // nothing on its way: returns at once

	sent := k.kill()
	waited := make(chan struct{})
	go func() { k.wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("a report went while a kill was on its way")
	case <-time.After(reportDelay / 4):
	}
	sent()
	sent() // twice is harmless
	<-waited

	k.kill() // never sent
	done := make(chan struct{})
	go func() { k.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * reportDelay):
		t.Fatal("a report waited past reportDelay for a kill never sent")
	}
}
