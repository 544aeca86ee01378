package slackbot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// isPickerSubmission reports whether cb submits the picker.
func isPickerSubmission(cb slack.InteractionCallback) bool {
	return cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == pickerCallbackID
}

// pickerSubmitted answers a submitted picker and returns the ack's
// payload. The checks that need no I/O decide it: a mistake goes back into
// the modal (response_action errors, under the input it is about) and
// nothing is requested. Otherwise the request is queued in the command
// lane, as a typed /dcs kill is, and the modal closes; it is posted in the
// channel where /dcs kill was typed, and a refusal reaches the user there.
// When the lane is full the modal stays open and says the bot is busy.
func (l *Listener) pickerSubmitted(cb slack.InteractionCallback) []any {
	errs, k := l.picker.check(cb)
	if len(errs) > 0 {
		l.p.Observer.Command("kill", "refused")
		return []any{slack.NewErrorsViewSubmissionResponse(errs)}
	}
	if !l.q.command(func(ctx context.Context) { l.submitPicked(ctx, k) }) {
		l.log.Warn("command queue full; picker submission answered busy", "user", k.User)
		l.p.Observer.Command("kill", "busy")
		return []any{slack.NewErrorsViewSubmissionResponse(map[string]string{pickNodeBlock: busyText})}
	}
	return nil
}

// submitPicked makes the request a submitted picker checked.
func (l *Listener) submitPicked(ctx context.Context, k approvals.KillRequest) {
	r, err := l.picker.svc.Submit(ctx, k)
	if err != nil {
		l.p.Observer.Command("kill", outcomeOf(err))
		l.tell(ctx, k.Channel, k.User, userMessage(l.log.With("user", k.User, "subcommand", "kill"), err))
		return
	}
	l.p.Observer.Command("kill", "ok")
	l.log.InfoContext(ctx, "kill requested from the picker", "request_id", r.ID, "user", k.User, "sessions", len(r.Addrs))
}

// pickerAction queues a block_actions from the picker (another node, a
// filter) in the command lane: its redraw may scan a node, and no scan
// may hold up an Approve or a Deny. When the lane is full it is dropped
// and logged (Slack shows nothing for its ack).
func (l *Listener) pickerAction(cb slack.InteractionCallback) {
	if !l.q.command(func(ctx context.Context) { l.picker.action(ctx, cb) }) {
		l.log.Warn("command queue full; picker action dropped", "user", cb.User.ID)
	}
}

// check re-checks a submitted picker with what it carries: where and by
// whom, the instance's policy, the node listed, and that every session
// picked is one the list offered. It returns the mistakes by block ID, or
// the request to make.
func (pk *picker) check(cb slack.InteractionCallback) (map[string]string, approvals.KillRequest) {
	meta, ok := decodeMeta(cb.View.PrivateMetadata)
	if !ok || meta.User != cb.User.ID {
		return map[string]string{pickNodeBlock: "This dialog is out of date: close it and type /dcs kill again."}, approvals.KillRequest{}
	}
	st := pickerState(cb.View)
	switch {
	case st.node == "":
		return map[string]string{pickNodeBlock: "Choose a node."}, approvals.KillRequest{}
	case st.node != meta.Node:
		return map[string]string{pickNodeBlock: "The sessions of this node are still being read: wait for the list, then pick."}, approvals.KillRequest{}
	case len(st.picked) == 0:
		return map[string]string{pickListBlock: "Pick at least one session."}, approvals.KillRequest{}
	}
	offered := offeredOptions(cb.View)
	k := approvals.KillRequest{User: cb.User.ID, Channel: meta.Channel, Instance: meta.Instance, Node: approvals.NodeRef{ID: meta.Node}}
	for _, v := range st.picked {
		if !offered[v] {
			return map[string]string{pickListBlock: "The list changed since you picked: pick again."}, approvals.KillRequest{}
		}
		p := parseOptionValue(v)
		k.Addrs, k.Picked = append(k.Addrs, p.Addr), append(k.Picked, p)
	}
	reason, err := commands.Reason(st.reason)
	if err != nil {
		return map[string]string{pickReasonBlock: err.Error()}, approvals.KillRequest{}
	}
	k.Reason = reason
	if _, err := pk.svc.Precheck(k); err != nil {
		block, msg := refusalBlock(err)
		if msg == "" {
			msg = errorLine(userMessage(pk.log, err))
		}
		return map[string]string{block: msg}, approvals.KillRequest{}
	}
	return nil, k
}

// offeredOptions are the option values of the session list the submitted
// view showed.
func offeredOptions(v slack.View) map[string]bool {
	out := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok || in.BlockID != pickListBlock {
			continue
		}
		if sel, ok := in.Element.(*slack.MultiSelectBlockElement); ok {
			for _, o := range sel.Options {
				out[o.Value] = true
			}
		}
	}
	return out
}

// refusalBlock is the input a refusal of a submitted picker is about,
// and what to say there when the refusal's own words (which speak of
// flags) do not fit the dialog.
func refusalBlock(err error) (string, string) {
	var r *approvals.Refusal
	if errors.As(err, &r) {
		switch r.Code {
		case approvals.RefuseReasonRequired:
			return pickReasonBlock, errorLine(textf("A reason is required for %s.", outside(r.Instance).line(capWord)))
		case approvals.RefuseTooManyAddrs, approvals.RefuseNoTargets:
			return pickListBlock, ""
		}
	}
	return pickNodeBlock, ""
}

// errorLine is t as the plain line an input's error shows.
func errorLine(t text) string {
	s := stripMrkdwn(t)
	if r := []rune(s); len(r) > capLine {
		s = string(r[:capLine-1]) + "…"
	}
	return s
}
