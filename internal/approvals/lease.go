package approvals

import (
	"context"
	"time"
)

// holdLease keeps renewing the lease of executing request id, every
// quarter of Params.Lease, until release is called: as long as this
// worker lives, the sweep of any replica leaves the request alone,
// however long the kill takes. A renewal that fails is logged and tried
// again at the next tick; one that finds the request no longer executing
// means the sweep took it for abandoned (the lease lapsed while the store
// was failing), which is logged.
func (s *Service) holdLease(ctx context.Context, id string) (release func()) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(s.p.Lease / 4)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ok, err := s.p.Store.RenewLease(ctx, id, Executing, s.p.Now().UTC().Add(s.p.Lease))
			select {
			case <-stop:
				return // the outcome may be recorded already
			default:
			}
			switch {
			case err != nil:
				s.log.WarnContext(ctx, "renew the lease of an executing request", "err", err)
			case !ok:
				s.log.ErrorContext(ctx, "an executing request was taken for abandoned while its kill ran")
				return
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}
