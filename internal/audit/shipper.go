package audit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"time"
)

// Source reads recorded audit events in the order they were recorded.
type Source interface {
	// RecordsAfter returns up to limit records whose Seq is greater than
	// after, in increasing Seq. A record returned is final: no record with
	// a smaller Seq appears later.
	RecordsAfter(ctx context.Context, after int64, limit int) ([]Record, error)
}

// Cursor keeps, per sink, the Seq of the last record the sink accepted, and a
// lease that lets one shipper at a time ship to the sink.
type Cursor interface {
	// Lease takes or renews sink's lease for owner until now+ttl, if it is
	// free, expired, or owner's already, and returns the sink's cursor (0
	// for a new sink). held is false when another owner holds the lease.
	Lease(ctx context.Context, sink, owner string, now time.Time, ttl time.Duration) (cursor int64, held bool, err error)
	// Advance moves sink's cursor from from to to if owner holds the lease
	// and the cursor is still from, and reports whether it did.
	Advance(ctx context.Context, sink, owner string, from, to int64) (bool, error)
	// Release gives up owner's lease on sink, so another shipper can take
	// it at once.
	Release(ctx context.Context, sink, owner string) error
}

// Observer hears how shipping goes, e.g. to export metrics. Its methods must
// not block.
type Observer interface {
	// Shipped says the sink accepted n records, up to last.
	Shipped(n int, last Record)
	// Failed says an attempt to read, lease or send failed.
	Failed(err error)
}

// ShipperParams configures a Shipper. Source, Cursor, Sink, SinkKey, Batch
// and the durations are required.
type ShipperParams struct {
	Source Source
	Cursor Cursor
	Sink   Sink
	// SinkKey names the sink's cursor and lease (Spec.Key).
	SinkKey string
	// Owner names this shipper in the lease; it must differ between
	// replicas. Empty means the host name and a random suffix.
	Owner  string
	Logger *slog.Logger // nil discards
	// Observer may be nil.
	Observer Observer

	Batch int           // records per Send
	Poll  time.Duration // how often to look for records without a Notify
	// Linger is how long the shipper waits after a Notify before it
	// reads: records committed meanwhile ship in the same batch (with one
	// store write for the cursor), and the shipping stays out of the way
	// of the kill that follows a deciding approval. Zero ships at once.
	Linger time.Duration
	// LeaseTTL is how long a lease lasts unless renewed. The shipper
	// renews it when less than half is left, so half of it must exceed
	// the time one Send can take (the webhook's timeout) and the clock
	// skew between replicas. A dead shipper's sink waits up to this long.
	LeaseTTL   time.Duration
	MinBackoff time.Duration // the first retry's delay; it doubles, with jitter,
	MaxBackoff time.Duration // up to this
	// FlushTimeout bounds the last shipping attempt when Run's ctx ends.
	FlushTimeout time.Duration
	// StoreTimeout bounds each call to the Source or the Cursor.
	StoreTimeout time.Duration

	// Now and After are the clock; nil means the real one.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Shipper ships the records of a Source to a Sink, in order, at least once.
//
// It takes the sink's lease only when there is something to ship, and keeps
// it without a store write while at least half of LeaseTTL is left: a batch
// is read after the cursor as last seen, which can only lag the store's (a
// cursor only moves on), so an empty read means nothing to ship and no
// lease is needed. An idle shipper writes nothing, and a busy one writes an
// Advance per batch and a Lease per half TTL. A replica that last saw an
// older cursor (another one shipped since) tries the lease at each wake
// until the holder's runs out, at most LeaseTTL after the holder's last
// batch; the lease tells it the cursor, and it writes nothing more while
// idle. Advance moves the cursor only for the lease's owner and from the
// cursor the batch was read after, so a shipper that lost its lease cannot
// move it.
type Shipper struct {
	p    ShipperParams
	log  *slog.Logger
	wake chan struct{}

	// Run's goroutine alone uses these.
	cursor int64     // the sink's cursor as last seen; exact while the lease is held
	until  time.Time // when this shipper's lease ends; zero when it holds none
}

// NewShipper returns a shipper; Run starts it.
func NewShipper(p ShipperParams) (*Shipper, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if p.Owner == "" {
		p.Owner = defaultOwner()
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopObserver{}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.After == nil {
		p.After = time.After
	}
	log := p.Logger.With("audit_sink", p.SinkKey, "audit_owner", p.Owner)
	return &Shipper{p: p, log: log, wake: make(chan struct{}, 1)}, nil
}

// check returns every required field of p that is missing.
func (p ShipperParams) check() error {
	var errs []error
	if p.Source == nil || p.Cursor == nil || p.Sink == nil || p.SinkKey == "" {
		errs = append(errs, errors.New("audit shipper: needs a source, a cursor, a sink and its key"))
	}
	if p.Batch <= 0 {
		errs = append(errs, fmt.Errorf("audit shipper: batch is %d, want a positive number", p.Batch))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"poll", p.Poll}, {"lease TTL", p.LeaseTTL}, {"min backoff", p.MinBackoff}, {"max backoff", p.MaxBackoff},
		{"flush timeout", p.FlushTimeout}, {"store timeout", p.StoreTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("audit shipper: %s is %s, want a positive duration", d.name, d.v))
		}
	}
	if p.MaxBackoff < p.MinBackoff {
		errs = append(errs, fmt.Errorf("audit shipper: max backoff %s is below min backoff %s", p.MaxBackoff, p.MinBackoff))
	}
	return errors.Join(errs...)
}

func defaultOwner() string {
	host, _ := os.Hostname()
	return host + "-" + rand.Text()[:8]
}

// Notify tells the shipper that events were recorded. It never blocks.
func (s *Shipper) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run ships until ctx ends, then makes one bounded attempt to ship what is
// left, gives up the lease, and returns nil.
func (s *Shipper) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		more, err := s.ship(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			delay := s.backoff(failures)
			failures++
			s.log.Warn("audit shipping failed; will retry", "err", err, "retry_in", delay)
			s.p.Observer.Failed(err)
			s.sleep(ctx, delay)
		case err == nil:
			failures = 0
			if !more {
				s.idle(ctx)
			}
		}
	}
	s.flush(context.WithoutCancel(ctx))
	return nil
}

// idle waits for a Notify, then Linger, or the poll interval, or the end
// of ctx.
func (s *Shipper) idle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.wake:
		if s.p.Linger > 0 {
			select {
			case <-ctx.Done():
			case <-s.p.After(s.p.Linger):
			}
		}
	case <-s.p.After(s.p.Poll):
	}
}

// flush ships what it can within FlushTimeout, sending each batch once, and
// releases the lease; the advance and the release each have StoreTimeout.
func (s *Shipper) flush(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, s.p.FlushTimeout)
	defer cancel()
	for {
		more, err := s.shipOnce(fctx)
		if err != nil {
			s.log.Warn("audit: records left unshipped at shutdown; the next start ships them", "err", err)
			break
		}
		if !more {
			break
		}
	}
	// Not bounded by fctx: a last attempt that used it up still gives the lease up.
	rctx, rcancel := context.WithTimeout(ctx, s.p.StoreTimeout)
	defer rcancel()
	if err := s.p.Cursor.Release(rctx, s.p.SinkKey, s.p.Owner); err != nil {
		s.log.Warn("audit: release the sink's lease", "err", err)
	}
	s.until = time.Time{}
}

// ship ships one batch, retrying its Send until it is accepted, the lease
// is lost or ctx ends. more says another batch may wait.
func (s *Shipper) ship(ctx context.Context) (more bool, err error) {
	cursor, batch, err := s.next(ctx)
	if err != nil || len(batch) == 0 {
		return false, err
	}
	for attempt := 0; ; attempt++ {
		err := s.p.Sink.Send(ctx, batch)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		s.p.Observer.Failed(err)
		delay := s.backoff(attempt)
		s.log.Warn("audit sink refused a batch; sending it again", "err", err,
			"first_seq", batch[0].Seq, "attempt", attempt+1, "retry_in", delay)
		if !s.sleep(ctx, delay) {
			return false, ctx.Err()
		}
		// Renew the lease before sending again if it runs low; if another
		// shipper took it meanwhile, the batch is its to send.
		if s.holds() {
			continue
		}
		held, err := s.lease(ctx)
		if err != nil {
			return false, fmt.Errorf("renew lease: %w", err)
		}
		if !held || s.cursor != cursor {
			s.log.Info("audit: another shipper took the sink over")
			return false, nil
		}
	}
	return s.advance(ctx, cursor, batch)
}

// shipOnce is ship with a single Send.
func (s *Shipper) shipOnce(ctx context.Context) (more bool, err error) {
	cursor, batch, err := s.next(ctx)
	if err != nil || len(batch) == 0 {
		return false, err
	}
	if err := s.p.Sink.Send(ctx, batch); err != nil {
		return false, err
	}
	return s.advance(ctx, cursor, batch)
}

// next returns the batch after the sink's cursor, taking or renewing the
// lease first if there is one and the lease is not held with at least
// half its TTL left; none if the lease is another's.
func (s *Shipper) next(ctx context.Context) (int64, []Record, error) {
	batch, err := s.read(ctx, s.cursor)
	if err != nil || len(batch) == 0 || s.holds() {
		return s.cursor, batch, err
	}
	seen := s.cursor
	held, err := s.lease(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("lease: %w", err)
	}
	if !held {
		return s.cursor, nil, nil
	}
	if s.cursor != seen {
		batch, err = s.read(ctx, s.cursor)
	}
	return s.cursor, batch, err
}

// holds reports whether this shipper holds the lease with at least half
// its TTL left.
func (s *Shipper) holds() bool {
	return !s.until.IsZero() && s.until.Sub(s.p.Now()) >= s.p.LeaseTTL/2
}

// lease takes or renews the sink's lease and learns its cursor; held is
// false when another shipper holds it.
func (s *Shipper) lease(ctx context.Context) (held bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.p.StoreTimeout)
	defer cancel()
	now := s.p.Now()
	cursor, held, err := s.p.Cursor.Lease(ctx, s.p.SinkKey, s.p.Owner, now, s.p.LeaseTTL)
	if err != nil || !held {
		s.until = time.Time{}
		return false, err
	}
	s.cursor, s.until = cursor, now.Add(s.p.LeaseTTL)
	return true, nil
}

// read returns the batch after cursor, checked to be in order.
func (s *Shipper) read(ctx context.Context, cursor int64) ([]Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.p.StoreTimeout)
	defer cancel()
	batch, err := s.p.Source.RecordsAfter(ctx, cursor, s.p.Batch)
	if err != nil {
		return nil, fmt.Errorf("read records after %d: %w", cursor, err)
	}
	prev := cursor
	for _, r := range batch {
		if r.Seq <= prev {
			return nil, fmt.Errorf("source returned record %d after %d", r.Seq, prev)
		}
		prev = r.Seq
	}
	return batch, nil
}

// advance moves the cursor past batch, which the sink accepted. When it
// cannot tell that it did, the lease is taken again before the next batch,
// which reads the cursor afresh. A stop that came during the Send does not
// cancel it (StoreTimeout still bounds it): the batch is out, and a cursor
// left behind would send it again.
func (s *Shipper) advance(ctx context.Context, cursor int64, batch []Record) (more bool, err error) {
	last := batch[len(batch)-1]
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.p.StoreTimeout)
	defer cancel()
	ok, err := s.p.Cursor.Advance(ctx, s.p.SinkKey, s.p.Owner, cursor, last.Seq)
	if err != nil {
		// The batch will be sent again: at least once.
		s.until = time.Time{}
		return false, fmt.Errorf("advance cursor to %d: %w", last.Seq, err)
	}
	if !ok {
		s.until = time.Time{}
		s.log.Info("audit: another shipper took the sink over")
		return false, nil
	}
	s.cursor = last.Seq
	s.p.Observer.Shipped(len(batch), last)
	return len(batch) == s.p.Batch, nil
}

// backoff is the delay before retry attempt+1: MinBackoff doubled attempt
// times, capped at MaxBackoff, then jittered down by up to half.
func (s *Shipper) backoff(attempt int) time.Duration {
	d := s.p.MinBackoff
	for range attempt {
		if d >= s.p.MaxBackoff/2 {
			d = s.p.MaxBackoff
			break
		}
		d *= 2
	}
	d = min(d, s.p.MaxBackoff)
	return d/2 + mrand.N(d/2+1)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func (s *Shipper) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-s.p.After(d):
		return true
	}
}

type nopObserver struct{}

func (nopObserver) Shipped(int, Record) {}
func (nopObserver) Failed(error)        {}
