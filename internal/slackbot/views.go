package slackbot

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// The deny dialog.
const (
	denyCallbackID     = "dcs_deny_dialog"
	denyReasonBlockID  = "dcs_deny_reason"
	denyReasonActionID = "reason"
	maxDenyReason      = 500
)

// escape makes plain text safe as Slack message text, where &, < and >
// are control characters ("<instance>" would otherwise vanish).
func escape(s string) string { return slackEscaper.Replace(s) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// OpenDenyDialog opens the modal that asks a denier for an optional reason.
func (n *Notifier) OpenDenyDialog(ctx context.Context, triggerID, requestID string) error {
	input := slack.NewPlainTextInputBlockElement(plain("Why (optional): wrong node, needs more context…"), denyReasonActionID)
	input.Multiline = true
	input.MaxLength = maxDenyReason
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      denyCallbackID,
		PrivateMetadata: requestID,
		Title:           plain("Deny %s", requestID),
		Submit:          plain("Deny"),
		Close:           plain("Back"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(md("Nothing will be killed. The reason goes in the request's thread."), nil, nil),
			slack.NewInputBlock(denyReasonBlockID, plain("Reason"), nil, input).WithOptional(true),
		}},
	}
	if _, err := n.api.OpenViewContext(ctx, triggerID, view); err != nil {
		return n.failed("views.open", err)
	}
	return nil
}

// clientsText renders /dcs clients.
func clientsText(v *approvals.ClientsView, filter, sort string) string {
	if sort == "" {
		sort = "idle"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Sessions on `%s` node `%s`*", v.Instance.Alias, v.NodeID)
	if filter != "" {
		fmt.Fprintf(&b, " matching `%s`", strings.ReplaceAll(filter, "`", ""))
	}
	fmt.Fprintf(&b, ", most %s first: %d of %d shown", map[string]string{"idle": "idle", "age": "long-lived"}[sort], len(v.Sessions), v.Matched)
	if rest := v.Matched - len(v.Sessions); rest > 0 {
		fmt.Fprintf(&b, " (%d more not shown: narrow with a filter)", rest)
	}
	b.WriteString(".\n")
	if v.ProxyOnly {
		b.WriteString(proxyWarning + "\n")
	}
	if len(v.Sessions) == 0 {
		b.WriteString("No sessions.")
		return b.String()
	}
	b.WriteString("```")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDR\tNAME\tUSER\tDB\tAGE\tIDLE\tLAST CMD")
	for _, s := range v.Sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Addr, cell(s.Name), cell(s.User), cell(s.DB), dur(s.Age), dur(s.Idle), cell(s.Cmd))
	}
	tw.Flush()
	b.WriteString("```")
	return b.String()
}

// nodesText renders /dcs nodes.
func nodesText(v *approvals.NodesView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Nodes of `%s`* (`%s`)\n", v.Instance.Alias, v.Instance.ID)
	index := map[string]int{}
	for i, n := range v.Session {
		index[n.ID] = i
	}
	b.WriteString("```")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNODE ID\tROLE\tTYPE\tADDRESS\tSTATUS")
	for _, n := range v.Nodes {
		idx := "-"
		if i, ok := index[n.ID]; ok {
			idx = fmt.Sprintf("#%d", i)
		}
		addr := n.IP + ":" + n.Port
		if strings.Contains(n.IP, ":") {
			addr = "[" + n.IP + "]:" + n.Port
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", idx, n.ID, cell(n.Role), cell(n.Type), addr, cell(n.Status))
	}
	tw.Flush()
	b.WriteString("```\n")
	if len(v.Session) > 0 && v.Session[0].Role == "redis-proxy" {
		b.WriteString("Session commands on this instance go to its *proxy* nodes (the ones numbered #).")
	} else {
		b.WriteString("Session commands take a node numbered # above: its node ID, its address or its #index.")
	}
	fmt.Fprintf(&b, " Example: `/dcs clients %s #0`.", v.Instance.Alias)
	return b.String()
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

// historyText renders /dcs history.
func historyText(rs []*approvals.Request, instance string) string {
	var b strings.Builder
	scope := "all instances"
	if instance != "" {
		scope = "`" + instance + "`"
	}
	if len(rs) == 0 {
		return "No requests yet for " + scope + "."
	}
	fmt.Fprintf(&b, "*Last %d request(s) for %s*, newest first:\n", len(rs), scope)
	for _, r := range rs {
		fmt.Fprintf(&b, "• `%s` %s: %s by <@%s>: *%s*", r.ID, slackDate(r.CreatedAt), what(r), r.Requester, stateWord(r.State))
		if len(r.Approvals) > 0 {
			fmt.Fprintf(&b, ", approved by %s", mentions(r.Approvals))
		}
		if r.State == approvals.Denied && r.DecidedBy != "" {
			fmt.Fprintf(&b, ", denied by <@%s>", r.DecidedBy)
		}
		if r.Result != nil && r.Result.Code != "" {
			fmt.Fprintf(&b, " (`%s`)", r.Result.Code)
		}
		b.WriteString("\n")
	}
	b.WriteString("`/dcs status <id>` shows one in full.")
	return b.String()
}

// what says in a few words what a request kills.
func what(r *approvals.Request) string {
	switch {
	case r.IsKillAll() && r.AllNodes:
		return fmt.Sprintf("kill *all* sessions on every node of `%s`", r.Instance.Alias)
	case r.IsKillAll():
		return fmt.Sprintf("kill *all* sessions on `%s` node `%s`", r.Instance.Alias, r.NodeID)
	}
	return fmt.Sprintf("kill %d session%s on `%s` node `%s`", len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias, r.NodeID)
}

func cell(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > 24 {
		s = s[:23] + "…"
	}
	return s
}

// dur renders a session age or idle time compactly: 45s, 12m, 3h5m, 2d4h.
func dur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

const proxyWarning = ":warning: Every session here comes from 198.19.x.x: client IP pass-through is off, so these are the *proxy's* addresses, not the real clients'."
