package slackbot

import (
	"context"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// killRequester is what /dcs kill and /dcs kill-all need of the lifecycle.
type killRequester interface {
	Precheck(k approvals.KillRequest) (approvals.Instance, error)
	Submit(ctx context.Context, k approvals.KillRequest) (*approvals.Request, error)
}

// Kill answers /dcs kill: the policy checks that need no I/O before the
// ack, then the request, whose approval message is the answer. With only
// the instance it opens the picker instead (picker.go).
func (h *Commands) Kill(in Input, c commands.Kill, svc killRequester) Answer {
	if c.Picker() {
		return h.picker.open(in, c)
	}
	return h.request(svc, approvals.KillRequest{User: in.User, Channel: in.Channel, Instance: c.Instance,
		Node: nodeRef(c.Node), AllNodes: c.AllNodes, Addrs: c.Addrs, Select: selector(c.Select), Reason: c.Reason})
}

// KillAll answers /dcs kill-all, as Kill does.
func (h *Commands) KillAll(in Input, c commands.KillAll, svc killRequester) Answer {
	return h.request(svc, approvals.KillRequest{User: in.User, Channel: in.Channel, Instance: c.Instance,
		Node: nodeRef(c.Node), AllNodes: c.AllNodes, Reason: c.Reason, KillAll: true})
}

func (h *Commands) request(svc killRequester, k approvals.KillRequest) Answer {
	if _, err := svc.Precheck(k); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (text, error) {
		r, err := svc.Submit(ctx, k)
		if err != nil {
			return "", err
		}
		h.log.InfoContext(ctx, "kill requested", "request_id", r.ID, "user", k.User, "kind", r.Kind)
		return "", nil
	}}
}

// selector is the parser's selectors in the lifecycle's terms.
func selector(s commands.Selectors) approvals.Selector {
	return approvals.Selector{Name: s.Name, IP: s.IP, Cmd: s.Cmd, IdleOver: s.IdleOver}
}

// nodeRef is the parser's node reference in the lifecycle's terms.
func nodeRef(n commands.NodeRef) approvals.NodeRef {
	return approvals.NodeRef{ID: n.ID, Addr: n.Addr, Index: n.Index, IsIndex: n.IsIndex}
}
