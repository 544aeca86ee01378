package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"dcsbot/internal/logging"
)

// execute runs an approved request: claim it (approved -> executing), call
// DCS once, record the outcome, report it. Only the caller that wins the
// claim reaches DCS. The kill and what follows it are not cancelled with
// ctx: an in-flight kill finishes and is recorded even during shutdown.
func (s *Service) execute(ctx context.Context, id, actor string) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	ctx = logging.WithRequestID(context.WithoutCancel(ctx), id)
	log := s.log.With("request_id", id)

	won, err := s.p.Store.Apply(ctx, id, Transition{From: Approved, To: Executing, At: s.p.Now().UTC(), Actor: actor})
	if err != nil {
		// Left approved; the sweep picks it up once it is stale.
		log.Error("claim approved request for execution", "err", err)
		return
	}
	if !won {
		return
	}
	r, err := s.p.Store.Get(ctx, id)
	if err != nil {
		log.Error("reload request before kill", "err", err)
		// Recorded as executing: without the request we cannot call DCS;
		// the sweep will mark it unknown. Better than a blind call.
		return
	}
	// Tell the channel while the kill goes out, not before it: Slack's
	// latency stays off the kill's path. The result waits for this note, so
	// the thread reads in order.
	announced := make(chan struct{})
	go func() {
		defer close(announced)
		s.notify(ctx, r, Note{Kind: NoteExecuting, Actor: actor})
	}()

	start := time.Now()
	to, res := s.run(ctx, r)
	<-announced
	s.p.Observer.KillDone(to, time.Since(start))
	log.Info("kill finished", "outcome", to, "sent", len(res.Killed), "held_back", len(res.Skipped), "dry_run", res.DryRun)
	t := Transition{From: Executing, To: to, At: s.p.Now().UTC(), Result: res}
	if err := s.applyHard(ctx, id, t); err != nil {
		log.Error("record kill outcome", "outcome", to, "err", err)
		// Still tell the humans what DCS said; the record will be
		// recovered as unknown by the sweep.
		r.State, r.Result = to, res
		s.notify(ctx, r, Note{Kind: NoteResult})
		return
	}
	s.finished(Executing, to)
	s.reloadAndNotify(ctx, id, Note{Kind: NoteResult})

	// After a kill, look again: did the clients go, or come back?
	if to == Succeeded && !res.DryRun && !r.IsKillAll() && s.p.Sessions != nil && len(res.Killed) > 0 {
		after, err := s.p.Sessions.Sessions(ctx, r.Instance, r.NodeID)
		if err != nil {
			log.Warn("read sessions after the kill", "err", err)
			return
		}
		checks := Verify(res.Killed, r.Preview, after, time.Since(start))
		cur, err := s.p.Store.Get(ctx, id)
		if err != nil {
			log.Error("reload request to report the check", "err", err)
			return
		}
		if err := s.p.Notifier.Thread(ctx, cur, Note{Kind: NoteVerified, Checks: checks}); err != nil {
			log.Error("reply in thread", "note", NoteVerified, "err", err)
		}
	}
}

// guardReadTimeout bounds the re-read of the sessions before a kill.
const guardReadTimeout = 30 * time.Second

// run performs an executing request once: re-checks the targets, then
// calls DCS (or, in a dry run, does not), and says what happened.
func (s *Service) run(ctx context.Context, r *Request) (State, *Result) {
	if r.IsKillAll() {
		if r.DryRun {
			return Succeeded, &Result{DryRun: true, Detail: "dry run: no DCS write call was made"}
		}
		return outcome(s.p.Killer.KillAll(ctx, r.Instance, r.NodeID, r.AllNodes))
	}
	targets := r.Addrs
	send := targets
	var skipped []Skip
	if s.p.Sessions != nil && r.Preview.Usable() {
		// Bounded, so that a request is never executing for longer than
		// the sweep's StaleAfter while its worker is alive.
		rctx, cancel := context.WithTimeout(ctx, guardReadTimeout)
		now, err := s.p.Sessions.Sessions(rctx, r.Instance, r.NodeID)
		cancel()
		if err != nil {
			// Without a fresh look the guard cannot vouch for any
			// address: kill nothing rather than a stranger's session.
			_, res := outcome(err)
			res.Detail = "the sessions could not be re-read just before the kill, so nothing was killed; ask again. " + res.Detail
			return Failed, res
		}
		targets, skipped = Guard(r.Preview, now, s.p.Now().UTC())
		if len(targets) == 0 {
			return Failed, &Result{Skipped: skipped, Detail: "every address changed since the request was made, so nothing was killed"}
		}
		// DCS's kill API takes the session's peer address, which differs
		// from the address CLIENT LIST shows behind some proxies.
		send = make([]string, len(targets))
		for i, a := range targets {
			send[i] = a
			if x := findSession(now, a); x != nil && x.Peer != "" {
				send[i] = x.Peer
			}
		}
	}
	if r.DryRun {
		return Succeeded, &Result{DryRun: true, Killed: targets, Skipped: skipped, Detail: "dry run: no DCS write call was made"}
	}
	to, res := outcome(s.p.Killer.Kill(ctx, r.Instance, r.NodeID, send))
	res.Killed, res.Skipped = targets, skipped
	return to, res
}

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
				return fmt.Errorf("request %s was no longer %s", id, t.From)
			}
			return nil
		}
		time.Sleep(delay)
		delay = min(2*delay, 3*time.Second)
	}
	return err
}

// Explainer is an error that can say, in a sentence for people, what
// happened (internal/dcs's errors do).
type Explainer interface{ Explain() string }

// outcome maps a Killer error to the state it leads to and what to record.
// A gateway's 502/503/504 without a DCS error code means the kill may have
// reached DCS: unknown, not failed.
func outcome(err error) (State, *Result) {
	if err == nil {
		return Succeeded, &Result{Detail: "DCS accepted the kill"}
	}
	detail := "the bot could not complete the call to DCS (its logs say why)"
	var ex Explainer
	if errors.As(err, &ex) {
		detail = ex.Explain()
	}
	var de *DCSError
	if errors.As(err, &de) {
		res := &Result{Code: de.Code, Message: de.Message, HTTPStatus: de.HTTPStatus, DCSRequestID: de.RequestID}
		if isGatewayFailure(de) {
			res.Detail = fmt.Sprintf("a gateway in front of DCS answered HTTP %d, so DCS may or may not have done the kill", de.HTTPStatus)
			return Unknown, res
		}
		return Failed, res
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return Unknown, &Result{Detail: detail}
	}
	return Failed, &Result{Detail: detail}
}

// sentence says in words why a read failed, for the approval message.
func sentence(err error) string {
	var de *DCSError
	if errors.As(err, &de) {
		return fmt.Sprintf("DCS answered %s (HTTP %d)", orDash(de.Code), de.HTTPStatus)
	}
	var ex Explainer
	if errors.As(err, &ex) {
		return ex.Explain()
	}
	return "the read failed (the bot's logs say why)"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func isGatewayFailure(de *DCSError) bool {
	switch de.HTTPStatus {
	case 502, 503, 504:
		return !strings.HasPrefix(de.Code, "DCS.")
	}
	return false
}
