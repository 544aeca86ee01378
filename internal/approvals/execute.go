package approvals

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"dcsbot/internal/logging"
)

// execute runs an approved request: claim it (approved -> executing), call
// DCS once, record the outcome, report it. Only the caller that wins the
// claim reaches DCS. The kill and what follows it are not cancelled with
// ctx: an in-flight kill finishes and is recorded even during shutdown. A
// kill-all that DCS accepted as a job is recorded and reported when the
// job ends (follow).
func (s *Service) execute(ctx context.Context, id, actor string) {
	s.inflight.Add(1)
	recorded := sync.OnceFunc(s.inflight.Done)
	defer recorded()
	ctx = logging.WithRequestID(context.WithoutCancel(ctx), id)
	r, ok := s.claim(ctx, id, actor)
	if !ok {
		return
	}
	// Tell the channel while the kill goes out, not before it: Slack's
	// latency stays off the kill's path, and the outcome is recorded
	// before anything waits on Slack. The result's report waits for this
	// note, so the thread reads in order.
	announced := make(chan struct{})
	go func() {
		defer close(announced)
		s.notify(ctx, r, Note{Kind: NoteExecuting, Actor: actor})
	}()

	start := time.Now()
	release := s.holdLease(ctx, id)
	to, res, job := s.run(ctx, r)
	release()
	if job != "" {
		// The follower holds the lease and records the outcome; it is
		// counted in flight before this kill stops being.
		s.inflight.Add(1)
		recorded()
		<-announced
		s.accepted(ctx, r, job, start)
		return
	}
	s.record(ctx, r, to, res, start, func() {
		recorded()
		<-announced
	})
}

// record stores the outcome of r's kill and reports it; a kill that
// succeeded is then checked against the sessions. recorded is called once
// the outcome is stored, before anything waits on Slack.
func (s *Service) record(ctx context.Context, r *Request, to State, res *Result, start time.Time, recorded func()) {
	s.p.Observer.KillDone(to, time.Since(start))
	s.log.InfoContext(ctx, "kill finished", "outcome", to, "sent", len(res.Killed), "held_back", len(res.Skipped), "dry_run", res.DryRun)
	t := Transition{From: Executing, To: to, At: s.p.Now().UTC(), Result: res}
	err := s.applyHard(ctx, r.ID, t)
	recorded()
	if err != nil {
		s.log.ErrorContext(ctx, "record kill outcome", "outcome", to, "err", err)
		// Still tell the humans what DCS said; the record will be
		// recovered as unknown by the sweep.
		r.State, r.Result = to, res
		s.notify(ctx, r, Note{Kind: NoteResult})
		return
	}
	s.finished(Executing, to)
	s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteResult})
	if to == Succeeded && !res.DryRun && !r.IsKillAll() && len(res.Killed) > 0 {
		s.verify(ctx, r, res, start)
	}
}

// claim moves id from approved to executing and returns the request; ok
// is false when another caller won the claim or the store failed.
func (s *Service) claim(ctx context.Context, id, actor string) (*Request, bool) {
	now := s.p.Now().UTC()
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Approved, To: Executing, At: now, Actor: actor, LeaseUntil: now.Add(s.p.Lease)})
	if err != nil {
		// Left approved; the sweep picks it up once it is stale.
		s.log.ErrorContext(ctx, "claim approved request for execution", "err", err)
		return nil, false
	}
	if !won {
		return nil, false
	}
	r, err := s.p.Store.Get(ctx, id)
	if err != nil {
		// Recorded as executing: without the request we cannot call DCS;
		// the sweep will mark it unknown. Better than a blind call.
		s.log.ErrorContext(ctx, "reload request before kill", "err", err)
		return nil, false
	}
	return r, true
}

// verify looks at the sessions again after a kill: did the clients go, or
// come back? It reports per address in the thread.
func (s *Service) verify(ctx context.Context, r *Request, res *Result, start time.Time) {
	if s.p.Sessions == nil {
		return
	}
	if r.PerNode() {
		s.verifyNodes(ctx, r, res, start)
		return
	}
	after, err := s.p.Sessions.Sessions(ctx, r.Instance, r.NodeID)
	if err != nil {
		s.log.WarnContext(ctx, "read sessions after the kill", "err", err)
		return
	}
	checks := Verify(res.Killed, r.Preview, after, time.Since(start))
	cur, err := s.p.Store.Get(ctx, r.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "reload request to report the check", "err", err)
		return
	}
	if err := s.p.Notifier.Thread(ctx, cur, Note{Kind: NoteVerified, Checks: checks}); err != nil {
		s.log.ErrorContext(ctx, "reply in thread", "note", NoteVerified, "err", err)
	}
}

// guardReadTimeout bounds the re-read of the sessions before a kill.
const guardReadTimeout = 30 * time.Second

// run performs an executing request once: re-checks the targets, then
// calls DCS (or, in a dry run, does not), and says what happened. A
// kill-all that DCS accepted returns its job instead, to follow.
func (s *Service) run(ctx context.Context, r *Request) (State, *Result, string) {
	if r.PerNode() {
		to, res := s.runNodes(ctx, r)
		return to, res, ""
	}
	if r.IsKillAll() {
		return s.runKillAll(ctx, r)
	}
	targets, send, skipped, res := s.guard(ctx, r)
	if res != nil {
		return Failed, res, ""
	}
	if s.dryRun(r) {
		return Succeeded, &Result{DryRun: true, Killed: targets, Skipped: skipped, Detail: dryRunDetail}, ""
	}
	to, res := outcome(s.p.Killer.Kill(ctx, r.Instance, r.NodeID, send))
	res.Killed, res.Skipped = targets, skipped
	return to, res, ""
}

// runKillAll sends a kill-all, or in a dry run does not. DCS runs it as a
// job: its end, not its acceptance, is the outcome, so an accepted
// kill-all returns its job; one DCS accepted without naming a job has an
// outcome the bot cannot learn.
func (s *Service) runKillAll(ctx context.Context, r *Request) (State, *Result, string) {
	if s.dryRun(r) {
		return Succeeded, &Result{DryRun: true, Detail: dryRunDetail}, ""
	}
	job, err := s.p.Killer.KillAll(ctx, r.Instance, r.NodeID, r.AllNodes)
	switch {
	case err != nil:
		to, res := outcome(err)
		return to, res, ""
	case job == "":
		return Unknown, &Result{Detail: "DCS accepted the kill-all but named no job, so the bot cannot tell whether it finished"}, ""
	}
	return "", nil, job
}

const dryRunDetail = "dry run: no DCS write call was made"

// guard re-reads the sessions and keeps the addresses still held by the
// sessions the approvers saw. It returns those addresses, what to send DCS
// for them (each session's peer address), the ones held back, and a failed
// result when nothing may be killed.
func (s *Service) guard(ctx context.Context, r *Request) (targets, send []string, skipped []Skip, failed *Result) {
	if s.p.Sessions == nil || !r.Preview.Usable() {
		return r.Addrs, r.Addrs, nil, nil
	}
	// Bounded, so that a kill never waits long on a stale view.
	rctx, cancel := context.WithTimeout(ctx, guardReadTimeout)
	now, err := s.p.Sessions.Sessions(rctx, r.Instance, r.NodeID)
	cancel()
	if err != nil {
		// Without a fresh look the guard cannot vouch for any address:
		// kill nothing rather than a stranger's session.
		_, res := outcome(err)
		res.Detail = "the sessions could not be re-read just before the kill, so nothing was killed; ask again. " + res.Detail
		return nil, nil, nil, res
	}
	targets, skipped = Guard(r.Preview, now, s.p.Now().UTC())
	if len(targets) == 0 {
		return nil, nil, nil, &Result{Skipped: skipped, Detail: "every address changed since the request was made, so nothing was killed"}
	}
	// DCS's kill API takes the session's peer address, which differs from
	// the address CLIENT LIST shows behind some proxies.
	send = make([]string, len(targets))
	for i, a := range targets {
		send[i] = a
		if x := findSession(now, a); x != nil && x.Peer != "" {
			send[i] = x.Peer
		}
	}
	return targets, send, skipped, nil
}

// errNotInState is a transition that found the request in another state:
// another caller moved it first.
var errNotInState = errors.New("request no longer in the state the transition leaves")

// applyHard retries a transition that must not be lost (the outcome of a
// kill) while the store is failing, for a bounded time.
func (s *Service) applyHard(ctx context.Context, id string, t Transition) error {
	delay := 100 * time.Millisecond
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var ok bool
		ok, err = s.p.Store.Apply(ctx, id, t)
		if err == nil {
			if !ok {
				return fmt.Errorf("request %s was no longer %s: %w", id, t.From, errNotInState)
			}
			return nil
		}
		time.Sleep(delay)
		delay = min(2*delay, 3*time.Second)
	}
	return err
}
