package slackbot

import (
	"context"
	"fmt"
	"strings"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// statusReader is what /dcs status needs of the lifecycle.
type statusReader interface {
	CheckChannel(channel string) error
	Status(ctx context.Context, id string) (*approvals.Request, []approvals.Event, error)
}

// Status answers /dcs status with one request and its audit trail.
func (h *Commands) Status(in Input, c commands.Status, svc statusReader) Answer {
	if err := svc.CheckChannel(in.Channel); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (string, error) {
		r, evs, err := svc.Status(ctx, c.ID)
		if err != nil {
			return "", err
		}
		return statusText(r, evs), nil
	}}
}

// jobState says where the request's DCS job is, as far as the bot knows.
func jobState(r *approvals.Request) string {
	switch {
	case r.State == approvals.Executing:
		return "running; the bot follows it"
	case r.Result == nil || r.Result.JobStatus == "":
		return "not read"
	case r.Result.JobStatus == approvals.JobSuccess || r.Result.JobStatus == approvals.JobFail:
		return "ended " + r.Result.JobStatus
	}
	return oneLine(r.Result.JobStatus) + " when the bot stopped following it"
}

// statusText renders /dcs status: the request, the outcome, the audit trail.
func statusText(r *approvals.Request, evs []approvals.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Request `%s`*: %s. *%s*.\n", r.ID, what(r), stateWord(r.State))
	fmt.Fprintf(&b, "Requested by <@%s> %s", r.Requester, slackDate(r.CreatedAt))
	if r.Reason != "" {
		fmt.Fprintf(&b, ", reason: _%s_", escape(r.Reason))
	}
	b.WriteString(".\n")
	if !r.IsKillAll() {
		fmt.Fprintf(&b, "Addresses: %s.\n", inlineAddrs(r.Addrs))
	}
	if r.JobID != "" {
		fmt.Fprintf(&b, "DCS job `%s`: %s.\n", code1(r.JobID), jobState(r))
	}
	if r.State.Final() {
		fmt.Fprintf(&b, "%s\n", stateLine(r))
	}
	if r.Result != nil && (r.State == approvals.Succeeded || r.State == approvals.Failed || r.State == approvals.Unknown) {
		b.WriteString(resultText(r) + "\n")
	}
	b.WriteString("*Audit trail*\n")
	for _, e := range evs {
		who := "the bot"
		if e.Actor != "" {
			who = "<@" + e.Actor + ">"
		}
		fmt.Fprintf(&b, "• %s %s by %s", slackDate(e.At), e.Kind, who)
		if e.Detail != "" {
			fmt.Fprintf(&b, ": %s", escape(e.Detail))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
