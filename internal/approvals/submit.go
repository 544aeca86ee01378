package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dcsbot/internal/logging"
	"dcsbot/internal/requestid"
)

// KillRequest is what a user asked for, already parsed.
type KillRequest struct {
	User     string
	Channel  string
	Instance string // alias or instance ID as typed
	Node     NodeRef
	Addrs    []string // empty for a kill-all
	Reason   string
	KillAll  bool
	AllNodes bool // kill-all on every node, or a kill with selectors on every node
	// Select chooses sessions at request time, besides Addrs; zero for
	// none. A kill on every node takes Select and no Addrs.
	Select Selector
	// Picked are the sessions picked from a list (the picker), by address
	// with the client ID the list showed; Addrs holds their addresses.
	// The request is refused if one is no longer the session listed.
	Picked []Picked
}

// Precheck applies the parts of the policy that need no I/O: instance,
// channel, requester, reason, kill-all and address limits. The Slack edge
// calls it before it acks so a refusal can ride in the ack.
func (s *Service) Precheck(k KillRequest) (Instance, error) {
	inst, err := s.resolveInstance(k.Instance)
	if err != nil {
		return Instance{}, err
	}
	pol := s.PolicyFor(inst.Alias)
	if err := pol.CheckRequester(k.User, k.Channel); err != nil {
		return Instance{}, err
	}
	if k.KillAll && !pol.KillAll.Enabled {
		return Instance{}, &Refusal{Code: RefuseKillAllDisabled, Instance: inst.Alias}
	}
	if pol.RequireReason && strings.TrimSpace(k.Reason) == "" {
		return Instance{}, &Refusal{Code: RefuseReasonRequired, Instance: inst.Alias}
	}
	if !k.KillAll && len(k.Addrs) > pol.MaxAddrs {
		return Instance{}, &Refusal{Code: RefuseTooManyAddrs, Instance: inst.Alias, Count: len(k.Addrs), Max: pol.MaxAddrs}
	}
	if err := checkTargets(k); err != nil {
		return Instance{}, err
	}
	return inst, nil
}

// Submit records a new pending request and posts its approval message.
// A kill first reads the live sessions on the node: the approval message
// shows what each address is, and a request whose addresses are all
// absent is refused.
func (s *Service) Submit(ctx context.Context, k KillRequest) (*Request, error) {
	inst, err := s.Precheck(k)
	if err != nil {
		return nil, err
	}
	if err := s.limitPending(ctx, inst, k.User); err != nil {
		return nil, err
	}
	r, err := s.newRequest(ctx, inst, k)
	if err != nil {
		return nil, err
	}
	if err := s.choose(ctx, r, k); err != nil {
		return nil, err
	}
	if err := s.create(ctx, r); err != nil {
		return nil, err
	}
	ctx = logging.WithRequestID(ctx, r.ID)
	s.log.InfoContext(ctx, "request created", "kind", r.Kind, "requester", r.Requester, "instance", inst.Alias, "node", r.NodeID, "addrs", len(r.Addrs))
	if err := s.announce(ctx, r); err != nil {
		return nil, err
	}
	s.messageApprovers(ctx, r)
	return r, nil
}

// newRequest builds the pending request k asks for, its node resolved.
func (s *Service) newRequest(ctx context.Context, inst Instance, k KillRequest) (*Request, error) {
	pol := s.PolicyFor(inst.Alias)
	nodeID := ""
	if !k.AllNodes {
		var err error
		if nodeID, err = s.resolveNode(ctx, inst, k.Node); err != nil {
			return nil, err
		}
	}
	now := s.p.Now().UTC()
	r := &Request{
		Requester:         k.User,
		ChannelID:         k.Channel,
		Kind:              KindKill,
		Instance:          inst,
		NodeID:            nodeID,
		AllNodes:          k.AllNodes,
		Addrs:             k.Addrs,
		Reason:            strings.TrimSpace(k.Reason),
		DryRun:            s.p.DryRun,
		ApprovalsRequired: pol.ApprovalsRequired,
		State:             Pending,
		CreatedAt:         now,
		UpdatedAt:         now,
		ExpiresAt:         now.Add(pol.TTL),
		Selectors:         k.Select.String(),
	}
	if k.KillAll {
		r.Kind, r.Addrs = KindKillAll, nil
		r.ApprovalsRequired = pol.KillAllApprovals()
	}
	return r, nil
}

// preview reads the node's live sessions into r.Preview. A reader that
// fails goes unheeded (in an incident a kill must stay possible: the
// request goes ahead on its addresses, and the message says so), unless
// it refuses; a kill whose addresses are all absent is refused. The
// reader may serve a scan that ended a moment ago; one that lacks an
// address, and any read for addresses picked from a list (fresh), are
// made again from a scan started now.
func (s *Service) preview(ctx context.Context, r *Request, fresh bool) error {
	if s.p.Sessions == nil || r.AllNodes {
		return nil
	}
	var sessions []Session
	var err error
	if !fresh {
		sessions, err = s.p.Sessions.Sessions(ctx, r.Instance, r.NodeID)
	}
	if fresh || err == nil && slices.ContainsFunc(r.Addrs, func(a string) bool { return findSession(sessions, a) == nil }) {
		sessions, err = s.p.Sessions.SessionsSince(ctx, r.Instance, r.NodeID, time.Now())
	}
	switch {
	case errors.As(err, new(*Refusal)):
		return err
	case err != nil:
		s.log.WarnContext(ctx, "read sessions for the preview; requesting without one", "instance", r.Instance.Alias, "node", r.NodeID, "err", err)
		r.Preview = &Preview{At: s.p.Now().UTC(), Unavailable: sentence(err)}
	default:
		r.Preview = BuildPreview(r.Addrs, sessions, s.p.Now().UTC())
	}
	if r.Preview.Usable() && !r.IsKillAll() && len(r.Preview.Absent()) == len(r.Addrs) {
		return &Refusal{Code: RefuseAllAbsent, Instance: r.Instance.Alias, Node: r.NodeID, Addrs: r.Addrs}
	}
	return nil
}

// create stores r under a fresh ID, drawing again on the rare collision.
func (s *Service) create(ctx context.Context, r *Request) error {
	var err error
	for attempt := 0; ; attempt++ {
		r.ID = requestid.New()
		err = s.p.Store.Create(ctx, r)
		if !errors.Is(err, ErrDuplicateID) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("record request: %w", err)
	}
	return nil
}

// announce posts r's approval message, records where it went, and only
// then adds its buttons: a click can only come from a message the store
// knows. A request whose message cannot be posted, recorded or given its
// buttons is withdrawn: nobody could approve it.
func (s *Service) announce(ctx context.Context, r *Request) error {
	channel, ts, err := s.p.Notifier.Announce(ctx, r)
	if err != nil {
		s.withdraw(ctx, r, "the approval message could not be posted")
		return fmt.Errorf("post approval message for %s: %w", r.ID, err)
	}
	r.ChannelID, r.MessageTS = channel, ts
	if err := s.p.Store.SetMessage(ctx, r.ID, channel, ts); err != nil {
		s.withdraw(ctx, r, "the approval message could not be recorded")
		return fmt.Errorf("record approval message for %s: %w", r.ID, err)
	}
	if err := s.p.Notifier.Update(ctx, r); err != nil {
		s.withdraw(ctx, r, "the approval buttons could not be added")
		return fmt.Errorf("add the buttons to the approval message of %s: %w", r.ID, err)
	}
	return nil
}

// withdraw cancels r, whose approval message is missing, unrecorded or
// has no buttons. If the store fails, r stays pending without buttons
// anyone was shown (or without a recorded message, which Approve refuses)
// until the sweep expires it.
func (s *Service) withdraw(ctx context.Context, r *Request, why string) {
	ctx = context.WithoutCancel(ctx)
	if _, err := s.p.Store.Apply(ctx, r.ID, Transition{From: Pending, To: Cancelled, At: s.p.Now().UTC(), Note: why}); err != nil {
		s.log.ErrorContext(ctx, "withdraw request", "err", err)
	}
	if r.MessageTS != "" {
		// Say so on the posted message whatever the store said.
		r.State, r.Note = Cancelled, why
		if err := s.p.Notifier.Update(ctx, r); err != nil {
			s.log.WarnContext(ctx, "update withdrawn request's message", "err", err)
		}
	}
}
