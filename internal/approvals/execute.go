package approvals

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"dcsbot/internal/logging"
)

// execute runs an approved request that no worker holds (the sweep found
// its worker gone): claim it (approved -> executing), then run it as
// executeClaimed does. Only the caller that wins the claim reaches DCS.
func (s *Service) execute(ctx context.Context, id, actor string) {
	s.inflight.Add()
	sent := s.kill()
	recorded := sync.OnceFunc(func() { sent(); s.inflight.Done() })
	defer recorded()
	ctx = logging.WithRequestID(context.WithoutCancel(ctx), id)
	r, ok := s.claim(ctx, id, actor)
	if !ok {
		return
	}
	s.executeClaimed(ctx, r, actor, time.Now(), recorded, nil)
}

// executeClaimed runs r, which the caller has claimed (executing, with
// its lease): call DCS once, record the outcome, report it. A session
// scan started at or after since may serve the stale-target guard; early,
// if not nil, is that guard, started already.
// recorded is called once the outcome is stored (or left to the sweep),
// before anything waits on Slack. The kill and what follows it are not
// cancelled with ctx: an in-flight kill finishes and is recorded even
// during shutdown. A kill-all that DCS accepted as a job has its job
// recorded while the lease is held, and its outcome when the job ends
// (accepted).
func (s *Service) executeClaimed(ctx context.Context, r *Request, actor string, since time.Time, recorded func(), early *pendingGuard) {
	ctx = logging.WithRequestID(context.WithoutCancel(ctx), r.ID)
	// Tell the channel beside the kill, not before it: Slack's latency
	// stays off the kill's path, and the note waits until the kills on
	// their way are sent (killsFirst). The result's report waits for this
	// note, so the thread reads in order.
	announced := make(chan struct{})
	go func() {
		defer close(announced)
		s.notify(ctx, r, Note{Kind: NoteExecuting, Actor: actor})
	}()

	start := time.Now()
	release := s.holdLease(ctx, r.ID)
	out := s.run(ctx, r, since, early)
	if out.job != "" {
		s.accepted(ctx, r, out.job, start, release, recorded, announced)
		return
	}
	release()
	s.record(ctx, r, out, start, recorded, announced)
}

// record stores the outcome of r's kill (recordOutcome) and reports it
// once announced is closed; a kill that succeeded is then checked against
// the sessions. The report and the check may go on after record returns
// (afterward).
func (s *Service) record(ctx context.Context, r *Request, out ran, start time.Time, recorded func(), announced <-chan struct{}) {
	to, res := out.to, out.res
	s.p.Observer.KillDone(to, time.Since(start))
	s.log.InfoContext(ctx, "kill finished", "outcome", to, "sent", len(res.Killed), "held_back", len(res.Skipped), "dry_run", res.DryRun)
	var check func()
	if to == Succeeded && !res.DryRun && !r.IsKillAll() && len(res.Killed) > 0 {
		check = func() { s.verify(ctx, r, res, start, out.at) }
	}
	if report := s.recordOutcome(ctx, r, to, res, recorded, announced, check); report != nil {
		s.afterward(ctx, report)
	}
}

// recordOutcome stores to and res as the outcome of executing request r,
// retrying while the store fails (applyHard), and calls recorded once it
// is stored or given up on, before anything waits on Slack. It returns the
// report to make then: once noted is closed (at once when nil), reply in
// the thread with the outcome and, if it was stored, run then (if not
// nil). When another caller recorded an outcome first (the sweep took the
// request for abandoned), that outcome stands and was reported by that
// caller: the report is nil, so that the thread does not contradict the
// record.
func (s *Service) recordOutcome(ctx context.Context, r *Request, to State, res *Result, recorded func(), noted <-chan struct{}, then func()) (report func()) {
	err := s.applyHard(ctx, r.ID, Transition{From: Executing, To: to, At: s.p.Now().UTC(), Result: res})
	recorded()
	switch {
	case errors.Is(err, errNotInState):
		s.log.WarnContext(ctx, "another caller recorded the outcome of the kill first; it stands",
			"outcome", to, "detail", res.Detail)
		return nil
	case err != nil:
		s.log.ErrorContext(ctx, "record kill outcome", "outcome", to, "err", err)
		// Still tell the humans what DCS said; the record will be
		// recovered as unknown by the sweep.
		told := *r
		told.State, told.Result = to, res
		return func() {
			waitNoted(noted)
			s.notify(ctx, &told, Note{Kind: NoteResult})
		}
	}
	s.finished(Executing, to)
	return func() {
		waitNoted(noted)
		s.reloadAndNotify(ctx, r.ID, Note{Kind: NoteResult})
		if then != nil {
			then()
		}
	}
}

// waitNoted waits until noted is closed; a nil noted is no wait.
func waitNoted(noted <-chan struct{}) {
	if noted != nil {
		<-noted
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

// verify looks at the sessions again after a kill that DCS answered at
// killed: did the clients go, or come back? It reads them from a scan
// started after the kill (shared with the checks of other kills on the
// node), and reports per address in the thread.
func (s *Service) verify(ctx context.Context, r *Request, res *Result, start, killed time.Time) {
	if s.p.Sessions == nil {
		return
	}
	s.killsFirst.wait()
	if r.PerNode() {
		s.verifyNodes(ctx, r, res, start, killed)
		return
	}
	after, err := s.p.Sessions.SessionsSince(ctx, r.Instance, r.NodeID, killed)
	if err != nil {
		s.log.WarnContext(ctx, "read sessions after the kill", "err", err)
		return
	}
	s.reportChecks(ctx, r.ID, Verify(res.Killed, r.Preview, after, time.Since(start)))
}

// reportChecks posts what the sessions look like after a kill in the
// request's thread.
func (s *Service) reportChecks(ctx context.Context, id string, checks []Check) {
	cur, err := s.p.Store.Get(ctx, id)
	if err != nil {
		s.log.ErrorContext(ctx, "reload request to report the check", "err", err)
		return
	}
	if err := s.p.Notifier.Thread(ctx, cur, Note{Kind: NoteVerified, Checks: checks}); err != nil {
		s.log.ErrorContext(ctx, "reply in thread", "note", NoteVerified, "err", err)
	}
}

// ran is what running a request did.
type ran struct {
	to  State
	res *Result
	job string // a kill-all's DCS job, accepted: follow it to learn the outcome
	// at is when DCS answered the (last) kill: the check after it reads a
	// scan started later.
	at time.Time
}

// run performs an executing request once: re-checks the targets, then
// calls DCS (or, in a dry run, does not), and says what happened. A
// kill-all that DCS accepted returns its job instead, to follow. A scan
// started at or after since may serve the re-check, or early's if given.
func (s *Service) run(ctx context.Context, r *Request, since time.Time, early *pendingGuard) ran {
	if r.PerNode() {
		return s.runNodes(ctx, r, since)
	}
	if r.IsKillAll() {
		to, res, job := s.runKillAll(ctx, r)
		return ran{to: to, res: res, job: job, at: time.Now()}
	}
	var g guarded
	if early != nil {
		g = early.wait()
	} else {
		g = s.guard(ctx, r, since)
	}
	defer g.done()
	to, res := s.killGuarded(ctx, r, r.NodeID, g)
	return ran{to: to, res: res, at: time.Now()}
}

// killGuarded sends the kill of r's addresses on node nodeID that the
// guard let through (g), once, and says what happened; in a dry run
// (Service.dryRun, decided now) it sends nothing.
func (s *Service) killGuarded(ctx context.Context, r *Request, nodeID string, g guarded) (State, *Result) {
	if g.failed != nil {
		return Failed, g.failed
	}
	if s.dryRun(r) {
		return Succeeded, &Result{DryRun: true, Killed: g.targets, Skipped: g.skipped, Detail: dryRunDetail}
	}
	to, res := outcome(s.p.Killer.Kill(ctx, r.Instance, nodeID, g.send))
	res.Killed, res.Skipped = g.targets, g.skipped
	return to, res
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

// guarded is what the stale-target guard decided for one node: the
// addresses still held by the sessions the approvers saw (targets), what
// to send DCS for them (each session's peer address), the ones held back,
// or a failed result when nothing may be killed. done must be called once
// the kill has been sent (or will not be): until then the node's next
// session scan waits, so that it does not hold up the kill.
type guarded struct {
	targets, send []string
	skipped       []Skip
	failed        *Result
	done          func()
}

// guard re-reads the node's sessions, from a scan started at or after
// since, and keeps the addresses still held by the sessions the approvers
// saw.
func (s *Service) guard(ctx context.Context, r *Request, since time.Time) guarded {
	if s.p.Sessions == nil || !r.Preview.Usable() {
		return guarded{targets: r.Addrs, send: r.Addrs, done: func() {}}
	}
	// Bounded as the scan it reads is, so that a kill never waits longer
	// than a scan of a busy node may take.
	rctx, cancel := context.WithTimeout(ctx, s.p.ScanBound)
	now, done, err := s.p.Sessions.SessionsBeforeKill(rctx, r.Instance, r.NodeID, since, guardAddrs(r.Preview))
	cancel()
	if err != nil {
		// Without a fresh look the guard cannot vouch for any address:
		// kill nothing rather than a stranger's session.
		_, res := outcome(err)
		res.Detail = "the sessions could not be re-read just before the kill, so nothing was killed; ask again. " + res.Detail
		return guarded{failed: res, done: func() {}}
	}
	g := guarded{done: done}
	g.targets, g.skipped = Guard(r.Preview, now, s.p.Now().UTC())
	if len(g.targets) == 0 {
		done()
		return guarded{skipped: g.skipped, done: func() {},
			failed: &Result{Skipped: g.skipped, Detail: "every address changed since the request was made, so nothing was killed"}}
	}
	// DCS's kill API takes the session's peer address, which differs from
	// the address CLIENT LIST shows behind some proxies.
	g.send = make([]string, len(g.targets))
	for i, a := range g.targets {
		g.send[i] = a
		if x := findSession(now, a); x != nil && x.Peer != "" {
			g.send[i] = x.Peer
		}
	}
	return g
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
