package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// allowed lists every transition of the state machine.
func allowed() []approvals.Transition {
	var out []approvals.Transition
	for _, from := range approvals.States {
		for _, to := range approvals.States {
			if approvals.CanTransition(from, to) {
				out = append(out, approvals.Transition{From: from, To: to})
			}
		}
	}
	return out
}

func testAllowedTransitions(t *testing.T, s approvals.Store) {
	trs := allowed()
	if len(trs) < 8 {
		t.Fatalf("only %d allowed transitions found", len(trs))
	}
	for i, tr := range trs {
		id := fmt.Sprintf("tr-%d-%s-%s", i, tr.From, tr.To)
		mustCreate(t, s, newRequest(id, t0))
		moveTo(t, s, id, tr.From, t0.Add(time.Minute))
		before := mustEvents(t, s, id)
		tr.At, tr.Actor = t0.Add(2*time.Minute), "U0ACTOR"
		mustApply(t, s, id, tr)
		got := mustGet(t, s, id)
		if got.State != tr.To {
			t.Errorf("%s: state %s, want %s", id, got.State, tr.To)
		}
		checkTime(t, id+" UpdatedAt", got.UpdatedAt, tr.At)
		evs := mustEvents(t, s, id)
		if len(evs) != len(before)+1 {
			t.Fatalf("%s: %d events after Apply, want %d", id, len(evs), len(before)+1)
		}
		if e := evs[len(evs)-1]; e.Kind != string(tr.To) || e.Actor != "U0ACTOR" || !sameTime(e.At, tr.At) {
			t.Errorf("%s: last event %+v, want kind %s by U0ACTOR at %v", id, e, tr.To, tr.At)
		}
	}
}

func testDisallowedTransitions(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("bad", t0))
	samples := []approvals.Transition{
		{From: approvals.Pending, To: approvals.Executing},
		{From: approvals.Pending, To: approvals.Succeeded},
		{From: approvals.Pending, To: approvals.Pending},
		{From: approvals.Approved, To: approvals.Denied},
		{From: approvals.Executing, To: approvals.Approved},
		{From: approvals.Succeeded, To: approvals.Failed},
		{From: approvals.Denied, To: approvals.Approved},
		{From: approvals.Expired, To: approvals.Pending},
		{From: "", To: approvals.Approved},
		{From: approvals.Pending, To: "bogus"},
	}
	for _, from := range approvals.States {
		for _, to := range approvals.States {
			if !approvals.CanTransition(from, to) {
				samples = append(samples, approvals.Transition{From: from, To: to})
			}
		}
	}
	for _, tr := range samples {
		tr.At, tr.Actor = t0.Add(time.Minute), "U0X"
		ok, err := s.Apply(ctx, "bad", tr)
		if err == nil || ok || errors.Is(err, approvals.ErrNotFound) {
			t.Errorf("Apply(%s -> %s) = %v, %v; want the Validate error", tr.From, tr.To, ok, err)
		}
		if _, err := s.Apply(ctx, "no-such-request", tr); err == nil {
			t.Errorf("Apply(%s -> %s) on an unknown ID: no error", tr.From, tr.To)
		}
	}
	got := mustGet(t, s, "bad")
	if got.State != approvals.Pending || !sameTime(got.UpdatedAt, t0) || got.DecidedBy != "" {
		t.Errorf("after refused transitions: state %s, updated %v, decided by %q", got.State, got.UpdatedAt, got.DecidedBy)
	}
	if evs := mustEvents(t, s, "bad"); len(evs) != 1 {
		t.Errorf("events after refused transitions: %v", kinds(evs))
	}
}

func testWrongFromState(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	mustCreate(t, s, newRequest("wrong", t0))
	want := mustGet(t, s, "wrong")
	try := func(tr approvals.Transition) {
		t.Helper()
		tr.At, tr.Actor, tr.Note = t0.Add(time.Hour), "U0LATE", "late"
		tr.Result = &approvals.Result{Code: "X"}
		ok, err := s.Apply(ctx, "wrong", tr)
		if ok || err != nil {
			t.Errorf("Apply(%s -> %s) on a %s request = %v, %v; want false, nil", tr.From, tr.To, want.State, ok, err)
		}
		checkRequest(t, mustGet(t, s, "wrong"), want)
	}
	try(approvals.Transition{From: approvals.Approved, To: approvals.Executing})
	try(approvals.Transition{From: approvals.Executing, To: approvals.Succeeded})
	nEvents := len(mustEvents(t, s, "wrong"))

	mustApply(t, s, "wrong", approvals.Transition{From: approvals.Pending, To: approvals.Cancelled, At: t0.Add(time.Minute), Actor: "U0REQUESTER"})
	want = mustGet(t, s, "wrong")
	nEvents++
	try(approvals.Transition{From: approvals.Pending, To: approvals.Approved})
	try(approvals.Transition{From: approvals.Pending, To: approvals.Expired})
	try(approvals.Transition{From: approvals.Pending, To: approvals.Cancelled})
	if n := len(mustEvents(t, s, "wrong")); n != nEvents {
		t.Errorf("%d events, want %d: a transition that did not happen left an event", n, nEvents)
	}
}

func testDecisionNoteResult(t *testing.T, s approvals.Store) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	// Approved by the last approver; executing by the bot keeps DecidedBy.
	mustCreate(t, s, newRequest("ok", t0))
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: at(1), Actor: "U0BOB"})
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Approved, To: approvals.Executing, At: at(2)})
	empty := &approvals.Result{}
	mustApply(t, s, "ok", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: at(3), Result: empty})
	got := mustGet(t, s, "ok")
	if got.DecidedBy != "U0BOB" || got.Note != "" || got.Result == nil || !reflect.DeepEqual(got.Result, empty) {
		t.Errorf("succeeded: decided by %q, note %q, result %+v; want U0BOB, empty, an empty result", got.DecidedBy, got.Note, got.Result)
	}

	// A full DCS error answer.
	mustCreate(t, s, newRequest("fail", t0))
	moveTo(t, s, "fail", approvals.Executing, at(1))
	res := &approvals.Result{Code: "DCS.4800", Message: "client not found", HTTPStatus: 400, DCSRequestID: "9f0e-req", Detail: "DCS refused the kill"}
	mustApply(t, s, "fail", approvals.Transition{From: approvals.Executing, To: approvals.Failed, At: at(2), Result: res})
	got = mustGet(t, s, "fail")
	if got.Result == nil || !reflect.DeepEqual(got.Result, res) {
		t.Errorf("failed: result %+v, want %+v", got.Result, res)
	}
	evs := mustEvents(t, s, "fail")
	if d := evs[len(evs)-1].Detail; !strings.Contains(d, "DCS.4800") || !strings.Contains(d, "9f0e-req") {
		t.Errorf("failed event detail %q does not summarise the result", d)
	}

	// Unknown outcome, recovered with a note.
	mustCreate(t, s, newRequest("unk", t0))
	moveTo(t, s, "unk", approvals.Executing, at(1))
	mustApply(t, s, "unk", approvals.Transition{From: approvals.Executing, To: approvals.Unknown, At: at(2), Actor: "U0OPS",
		Note: "recovered after restart", Result: &approvals.Result{Detail: "timed out after 10s"}})
	got = mustGet(t, s, "unk")
	if got.Note != "recovered after restart" || got.Result == nil || got.Result.Detail != "timed out after 10s" || got.DecidedBy != "U0MOVER" {
		t.Errorf("unknown: note %q, result %+v, decided by %q", got.Note, got.Result, got.DecidedBy)
	}
	evs = mustEvents(t, s, "unk")
	if d := evs[len(evs)-1].Detail; !strings.Contains(d, "recovered after restart") || !strings.Contains(d, "timed out") {
		t.Errorf("unknown event detail %q, want the note and the result", d)
	}

	testPendingDecisions(t, s)
}

// testPendingDecisions: denied and cancelled with a note; expired by the bot.
func testPendingDecisions(t *testing.T, s approvals.Store) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, c := range []struct {
		id    string
		to    approvals.State
		actor string
		note  string
	}{
		{"denied", approvals.Denied, "U0CAROL", "wrong node"},
		{"cancelled", approvals.Cancelled, "U0REQUESTER", "duplicate of req-7"},
		{"expired", approvals.Expired, "", ""},
	} {
		mustCreate(t, s, newRequest(c.id, t0))
		mustApply(t, s, c.id, approvals.Transition{From: approvals.Pending, To: c.to, At: at(5), Actor: c.actor, Note: c.note})
		got := mustGet(t, s, c.id)
		if got.State != c.to || got.DecidedBy != c.actor || got.Note != c.note || got.Result != nil {
			t.Errorf("%s: state %s, decided by %q, note %q, result %+v", c.id, got.State, got.DecidedBy, got.Note, got.Result)
		}
		evs := mustEvents(t, s, c.id)
		if e := evs[len(evs)-1]; e.Kind != string(c.to) || e.Actor != c.actor || e.Detail != c.note {
			t.Errorf("%s: last event %+v", c.id, e)
		}
	}
}
