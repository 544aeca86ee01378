package app

import (
	"context"
	"sync"
)

// startLoops runs the audit shipper and the Home tab's refresher, each on
// its own goroutine, and returns how to stop them. Stopping waits for the
// shipper's last bounded attempt to ship what is recorded (so call it once
// kills in flight are recorded) and for its lease to be given up. ctx
// only stops them: the shipper bounds each store call itself (the audit
// tuning's StoreTimeout).
func (a *App) startLoops() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = a.shipper.Run(ctx) // always nil: failures are retried and logged
	}()
	go func() {
		defer wg.Done()
		a.home.Run(ctx)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
