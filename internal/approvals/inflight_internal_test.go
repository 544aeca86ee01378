package approvals

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Wait returns once the count is back to zero; a count that starts from
// zero while Wait runs is waited for too, without the misuse panic a
// WaitGroup may raise; a ctx that ends stops the wait.
func TestInFlight(t *testing.T) {
	var f inFlight
	if err := f.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with nothing in flight = %v", err)
	}

	f.Add()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := f.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with one in flight and an ending ctx = %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- f.Wait(context.Background()) }()
	f.Done()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}

	// Counts that go to zero and start again from zero while waiters
	// wait, many times over.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = f.Wait(context.Background())
			}
		})
	}
	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for range 2000 {
				f.Add()
				f.Done()
			}
		})
	}
	workers.Wait()
	close(stop)
	wg.Wait()
	if err := f.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}

	defer func() {
		if recover() == nil {
			t.Error("Done without Add did not panic")
		}
	}()
	f.Done()
}
