package approvals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Params are what a Service needs. Every number and duration must be set:
// the defaults live in internal/config.
type Params struct {
	Store     Store
	Killer    Killer
	Notifier  Notifier
	Directory Directory
	// Sessions reads live sessions and nodes; nil turns off the preview,
	// the stale-target guard and the post-kill check.
	Sessions SessionReader
	// Policy is the global policy; Policies the effective policy of each
	// instance alias that has its own. Both must be complete.
	Policy   Policy
	Policies map[string]Policy
	// DryRun: no request runs the DCS write calls while it is set, whatever
	// the configuration was when the request was made.
	DryRun bool
	// Instances are the configured DCS instances by alias: the allow-list.
	Instances map[string]Instance
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Lease is how long the worker that takes a request on (approved,
	// executing) is known alive without renewing its lease; it renews it
	// every quarter of that while the kill runs. The sweep takes a request
	// for abandoned only once its lease has expired: approved ones are
	// then executed, executing ones become unknown.
	Lease time.Duration
	// StaleAfter is the same for a request without a lease (recorded by
	// a release without leases): how long it may sit approved or
	// executing, unchanged, before the sweep decides its worker died
	// (executing ones become unknown or, with a DCS job, have their job
	// followed again). It must exceed the longest time a live worker can
	// keep a request executing, JobTimeout included.
	StaleAfter time.Duration
	// JobTimeout is how long the bot follows a kill-all's DCS job before it
	// calls the outcome unknown.
	JobTimeout time.Duration
	// ScanBound is the longest one session scan may take, busy node
	// included (config.HuaweiCloud.ScanBound): the stale-target guard
	// waits that long for its re-read before it gives up on the kill.
	ScanBound time.Duration
	Logger    *slog.Logger // nil discards
	// Observer, if set, is told about outcomes (metrics).
	Observer Observer
	// Approvers reaches approvers by direct message; required when a
	// policy's Notify is NotifyDM.
	Approvers ApproverMessenger
	// OverviewWindow is how long after a user last looked at their
	// overview it is kept up to date (OverviewWatchers).
	OverviewWindow time.Duration
}

// Observer is told about what the Service does, for metrics.
type Observer interface {
	Finished(from, to State) // a request entered a final state
	Decision(kind string)    // "approval", "denial"
	KillDone(outcome State, d time.Duration)
}

// Service runs the request lifecycle. Every state change goes through the
// store's conditional Apply, so concurrent callers (two approvers, a
// redelivered click, another replica, the sweep) agree on one winner, and
// only the winner talks to DCS or redraws the message.
type Service struct {
	p         Params
	log       *slog.Logger
	inflight  inFlight
	following sync.Map      // IDs of the requests whose job this process follows
	stopping  chan struct{} // closed by Wait: stop following jobs
	stopOnce  sync.Once
	killsFirst
}

// NewService checks p and returns a Service. It refuses missing ports and
// unset numbers rather than filling in defaults of its own.
func NewService(p Params) (*Service, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("approvals service: %w", err)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopObserver{}
	}
	return &Service{p: p, log: p.Logger, stopping: make(chan struct{})}, nil
}

func (p *Params) check() error {
	var errs []error
	if p.Store == nil {
		errs = append(errs, errors.New("missing Store"))
	}
	if p.Killer == nil {
		errs = append(errs, errors.New("missing Killer"))
	}
	if p.Notifier == nil {
		errs = append(errs, errors.New("missing Notifier"))
	}
	if len(p.Instances) == 0 {
		errs = append(errs, errors.New("no instances"))
	}
	if err := p.Policy.check(); err != nil {
		errs = append(errs, fmt.Errorf("policy: %w", err))
	}
	for alias, pol := range p.Policies {
		if err := pol.check(); err != nil {
			errs = append(errs, fmt.Errorf("policy of %s: %w", alias, err))
		}
	}
	if p.StaleAfter <= 0 {
		errs = append(errs, fmt.Errorf("stale-after is %s, want a positive duration", p.StaleAfter))
	}
	if p.OverviewWindow <= 0 {
		errs = append(errs, fmt.Errorf("overview window is %s, want a positive duration", p.OverviewWindow))
	}
	if p.Approvers == nil && p.notifiesByDM() {
		errs = append(errs, errors.New("a policy notifies approvers by direct message, but there is no ApproverMessenger"))
	}
	if p.Lease <= 0 {
		errs = append(errs, fmt.Errorf("lease is %s, want a positive duration", p.Lease))
	}
	if p.JobTimeout <= 0 {
		errs = append(errs, fmt.Errorf("job timeout is %s, want a positive duration", p.JobTimeout))
	}
	if p.ScanBound <= 0 {
		errs = append(errs, fmt.Errorf("scan bound is %s, want a positive duration", p.ScanBound))
	}
	return errors.Join(errs...)
}

// notifiesByDM reports whether any policy has Notify NotifyDM.
func (p *Params) notifiesByDM() bool {
	if p.Policy.Notify == NotifyDM {
		return true
	}
	for _, pol := range p.Policies {
		if pol.Notify == NotifyDM {
			return true
		}
	}
	return false
}

type nopObserver struct{}

func (nopObserver) Finished(State, State)         {}
func (nopObserver) Decision(string)               {}
func (nopObserver) KillDone(State, time.Duration) {}

// Wait stops following DCS jobs (their requests stay executing with their
// job, which the next start follows again) and blocks until the outcome of
// every kill in flight has been recorded (reporting it to Slack may still
// go on), or ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopping) })
	return s.inflight.Wait(ctx)
}

// PolicyFor returns the policy of the instance with alias.
func (s *Service) PolicyFor(alias string) Policy {
	if p, ok := s.p.Policies[alias]; ok {
		return p
	}
	return s.p.Policy
}

// resolveInstance finds a configured instance by alias or instance ID.
func (s *Service) resolveInstance(name string) (Instance, error) {
	if inst, ok := s.p.Instances[name]; ok {
		return inst, nil
	}
	for _, inst := range s.p.Instances {
		if strings.EqualFold(inst.ID, name) {
			return inst, nil
		}
	}
	known := make([]string, 0, len(s.p.Instances))
	for alias := range s.p.Instances {
		known = append(known, alias)
	}
	slices.Sort(known)
	return Instance{}, &Refusal{Code: RefuseUnknownInstance, Instance: name, Known: known}
}

// Viewable returns the instance named as typed (alias or ID) if channel
// may see it, and refuses otherwise: sessions, nodes and requests of an
// instance are shown only in its own channels.
func (s *Service) Viewable(channel, instance string) (Instance, error) {
	inst, err := s.resolveInstance(instance)
	if err != nil {
		return Instance{}, err
	}
	pol := s.PolicyFor(inst.Alias)
	if !slices.Contains(pol.Channels, channel) {
		return Instance{}, &Refusal{Code: RefuseChannel, Instance: inst.Alias, Channels: pol.Channels}
	}
	return inst, nil
}

// CheckChannel refuses a channel where no instance allows /dcs.
func (s *Service) CheckChannel(channel string) error {
	if slices.Contains(s.p.Policy.Channels, channel) {
		return nil
	}
	for _, p := range s.p.Policies {
		if slices.Contains(p.Channels, channel) {
			return nil
		}
	}
	return &Refusal{Code: RefuseChannel}
}

func (s *Service) finished(from, to State) { s.p.Observer.Finished(from, to) }

// dryRun reports whether r runs without the DCS write calls: it runs for
// real only if neither its creation nor the configuration now is a dry run.
func (s *Service) dryRun(r *Request) bool { return r.DryRun || s.p.DryRun }
