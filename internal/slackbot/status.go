package slackbot

import (
	"context"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// statusReader is what /dcs status needs of the lifecycle.
type statusReader interface {
	CheckChannel(channel string) error
	Status(ctx context.Context, channel, id string) (*approvals.Request, []approvals.Event, error)
}

// Status answers /dcs status with one request and its audit trail.
func (h *Commands) Status(in Input, c commands.Status, svc statusReader) Answer {
	if err := svc.CheckChannel(in.Channel); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (text, error) {
		r, evs, err := svc.Status(ctx, in.Channel, c.ID)
		if err != nil {
			return "", err
		}
		return statusText(r, evs), nil
	}}
}

// jobState says where the request's DCS job is, as far as the bot knows.
func jobState(r *approvals.Request) text {
	switch {
	case r.State == approvals.Executing:
		return "running; the bot follows it"
	case r.Result == nil || r.Result.JobStatus == "":
		return "not read"
	case r.Result.JobStatus == approvals.JobSuccess || r.Result.JobStatus == approvals.JobFail:
		return "ended " + outside(r.Result.JobStatus).line(capWord)
	}
	return outside(r.Result.JobStatus).line(capWord) + " when the bot stopped following it"
}

// statusText renders /dcs status: the request, the outcome, the audit
// trail. It shows the reason whole (the approval message caps it).
func statusText(r *approvals.Request, evs []approvals.Event) text {
	t := textf("*Request %s*: %s. *%s*.\n", id(r.ID), what(r), stateWord(r.State))
	t += textf("Requested by %s %s", mention(r.Requester), slackDate(r.CreatedAt))
	if r.Reason != "" {
		t += textf(", reason: _%s_", outside(r.Reason).line(capText))
	}
	t += ".\n"
	switch {
	case r.PerNode():
		for _, n := range r.Nodes {
			if n.Killable() {
				t += textf("Node %s: %s.\n", id(n.NodeID), inlineAddrs(n.Addrs))
			} else if n.Unreadable != "" {
				t += textf("Node %s: not read (%s).\n", id(n.NodeID), outside(n.Unreadable).line(capLine))
			}
		}
	case !r.IsKillAll():
		t += textf("Addresses: %s.\n", inlineAddrs(r.Addrs))
	}
	if r.Selectors != "" {
		t += textf("Chosen by %s.\n", outside(r.Selectors).code(capLine))
	}
	if r.JobID != "" {
		t += textf("DCS job %s: %s.\n", outside(r.JobID).code(capWord), jobState(r))
	}
	if r.State.Final() {
		t += stateLine(r) + "\n"
	}
	if r.Result != nil && (r.State == approvals.Succeeded || r.State == approvals.Failed || r.State == approvals.Unknown) {
		t += resultText(r) + "\n"
	}
	t += "*Audit trail*"
	for _, e := range evs {
		who := text("the bot")
		if e.Actor != "" {
			who = mention(e.Actor)
		}
		t += textf("\n• %s %s by %s", slackDate(e.At), outside(e.Kind).line(capWord), who)
		if e.Detail != "" {
			t += ": " + outside(e.Detail).line(capLine)
		}
	}
	return t
}
