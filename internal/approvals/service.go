package approvals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"dcsbot/internal/commands"
	"dcsbot/internal/logging"
)

// Params are what a Service needs.
type Params struct {
	Store     Store
	Killer    Killer
	Notifier  Notifier
	Directory Directory
	// Sessions reads live sessions and nodes; nil turns off the preview,
	// the stale-target guard and the post-kill check.
	Sessions SessionReader
	// Policy is the global policy; Policies the effective policy of each
	// instance alias that overrides it.
	Policy   Policy
	Policies map[string]Policy
	// DryRun: every request made runs without the DCS write calls.
	DryRun bool
	// Instances are the configured DCS instances by alias: the allow-list.
	Instances map[string]Instance
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// StaleAfter is how long a request may sit in approved or executing
	// before the sweep decides its worker died: approved ones are then
	// executed, executing ones become unknown. It must exceed the longest
	// possible DCS call. Default 2 minutes.
	StaleAfter time.Duration
	Logger     *slog.Logger
	// Observer, if set, is told about outcomes (metrics).
	Observer Observer
}

// Observer is told about what the Service does, for metrics.
type Observer interface {
	Finished(from, to State) // a request entered a final state
	Decision(kind string)    // "approval", "denial"
	KillDone(outcome State, d time.Duration)
}

// Service runs the request lifecycle. Every state change goes through the
// store's conditional Apply, so concurrent callers (two approvers, a
// redelivered click, another replica, the sweep) agree on one winner, and
// only the winner talks to DCS or redraws the message.
type Service struct {
	p        Params
	log      *slog.Logger
	inflight sync.WaitGroup
}

// NewService checks p and returns a Service.
func NewService(p Params) (*Service, error) {
	var missing []string
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Killer == nil {
		missing = append(missing, "Killer")
	}
	if p.Notifier == nil {
		missing = append(missing, "Notifier")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("approvals service: missing %s", strings.Join(missing, ", "))
	}
	p.Policy = p.Policy.withDefaults(Policy{ApprovalsRequired: 1, TTL: 15 * time.Minute, KillAll: KillAllPolicy{ApprovalsRequired: 2}})
	policies := make(map[string]Policy, len(p.Policies))
	for alias, pol := range p.Policies {
		policies[alias] = pol.withDefaults(p.Policy)
	}
	p.Policies = policies
	if p.StaleAfter <= 0 {
		p.StaleAfter = 2 * time.Minute
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopObserver{}
	}
	return &Service{p: p, log: p.Logger}, nil
}

type nopObserver struct{}

func (nopObserver) Finished(State, State)         {}
func (nopObserver) Decision(string)               {}
func (nopObserver) KillDone(State, time.Duration) {}

// Wait blocks until every kill in flight has been recorded, or ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NodeRef is how a user named a node: its ID, its ip:port, or its index in
// the /dcs nodes listing, as the parser gives it.
type NodeRef = commands.NodeRef

// KillRequest is what a user asked for, already parsed.
type KillRequest struct {
	User     string
	Channel  string
	Instance string // alias or instance ID as typed
	Node     NodeRef
	Addrs    []string // empty for a kill-all
	Reason   string
	KillAll  bool
	AllNodes bool // kill-all on every node
}

// PolicyFor returns the policy of the instance with alias.
func (s *Service) PolicyFor(alias string) Policy {
	if p, ok := s.p.Policies[alias]; ok {
		return p
	}
	return s.p.Policy
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
		return Instance{}, refuse("`/dcs kill-all` is disabled for `%s` (policy.kill_all.enabled is off).", inst.Alias)
	}
	if pol.RequireReason && strings.TrimSpace(k.Reason) == "" {
		return Instance{}, refuse("A reason is required for `%s`: add `--reason \"what and why\"`.", inst.Alias)
	}
	if !k.KillAll && pol.MaxAddrs > 0 && len(k.Addrs) > pol.MaxAddrs {
		return Instance{}, refuse("Too many addresses for `%s`: %d given, at most %d per request.", inst.Alias, len(k.Addrs), pol.MaxAddrs)
	}
	return inst, nil
}

// CheckViewer refuses to show sessions or nodes outside the allowed
// channels of the instance.
func (s *Service) checkViewer(user, channel, instance string) (Instance, error) {
	inst, err := s.resolveInstance(instance)
	if err != nil {
		return Instance{}, err
	}
	pol := s.PolicyFor(inst.Alias)
	if !slices.Contains(pol.Channels, channel) {
		return Instance{}, refuse("`/dcs` is not enabled for `%s` in this channel. Ask in one of: %s.", inst.Alias, channelList(pol.Channels))
	}
	return inst, nil
}

func (s *Service) resolveInstance(name string) (Instance, error) {
	if inst, ok := s.p.Instances[name]; ok {
		return inst, nil
	}
	for _, inst := range s.p.Instances {
		if strings.EqualFold(inst.ID, name) {
			return inst, nil
		}
	}
	known := make([]string, 0, len(s.p.Instances))
	for alias := range s.p.Instances {
		known = append(known, "`"+alias+"`")
	}
	slices.Sort(known)
	return Instance{}, refuse("Unknown instance `%s`: only configured instances can be used. Known: %s.", name, strings.Join(known, ", "))
}

// resolveNode turns what the user typed into a node ID. An ID is taken as
// it is (DCS checks it); an ip:port or an index is looked up in the
// instance's nodes. An empty ref is the instance's only session node.
func (s *Service) resolveNode(ctx context.Context, inst Instance, ref NodeRef) (string, error) {
	if ref.ID != "" {
		return ref.ID, nil
	}
	if s.p.Sessions == nil {
		return "", refuse("Name the node by its ID: this bot cannot list nodes.")
	}
	nodes, err := s.p.Sessions.Nodes(ctx, inst)
	if err != nil {
		return "", fmt.Errorf("list nodes of %s: %w", inst.Alias, err)
	}
	usable := SessionNodes(nodes)
	switch {
	case ref.IsIndex:
		if ref.Index < 0 || ref.Index >= len(usable) {
			return "", refuse("`%s` has no node #%d: it has %d session node(s), #0 to #%d. See `/dcs nodes %s`.",
				inst.Alias, ref.Index, len(usable), len(usable)-1, inst.Alias)
		}
		return usable[ref.Index].ID, nil
	case ref.Addr != "":
		for _, n := range nodes {
			if nodeAddr(n) == ref.Addr {
				return n.ID, nil
			}
		}
		return "", refuse("`%s` has no node at `%s`. See `/dcs nodes %s`.", inst.Alias, ref.Addr, inst.Alias)
	}
	if len(usable) == 1 {
		return usable[0].ID, nil
	}
	return "", refuse("`%s` has %d session nodes: name one (its ID, ip:port or #index from `/dcs nodes %s`).", inst.Alias, len(usable), inst.Alias)
}

// nodeAddr is a node's ip:port, bracketed for IPv6.
func nodeAddr(n Node) string {
	if strings.Contains(n.IP, ":") {
		return "[" + n.IP + "]:" + n.Port
	}
	return n.IP + ":" + n.Port
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
	pol := s.PolicyFor(inst.Alias)
	nodeID := ""
	if !k.AllNodes {
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
	}
	if k.KillAll {
		r.Kind, r.Addrs = KindKillAll, nil
		r.ApprovalsRequired = max(pol.KillAll.ApprovalsRequired, 1)
	}
	if r.ApprovalsRequired < 1 {
		r.ApprovalsRequired = 1
	}
	if s.p.Sessions != nil && !r.AllNodes {
		sessions, err := s.p.Sessions.Sessions(ctx, inst, nodeID)
		switch {
		case errors.As(err, new(*Refusal)):
			return nil, err
		case err != nil:
			// In an incident a kill must stay possible when the session
			// list cannot be read: go ahead on the addresses alone, and
			// say so in the message.
			s.log.Warn("read sessions for the preview; requesting without one", "instance", inst.Alias, "node", nodeID, "err", err)
			r.Preview = &Preview{At: s.p.Now().UTC(), Unavailable: sentence(err)}
		default:
			r.Preview = BuildPreview(r.Addrs, sessions, s.p.Now().UTC())
		}
		if r.Preview.Usable() && !r.IsKillAll() && len(r.Preview.Absent()) == len(r.Addrs) {
			return nil, refuse("None of the addresses is connected to `%s` node `%s` now, so nothing was requested: %s. "+
				"`/dcs clients %s` lists the sessions.", inst.Alias, nodeID, strings.Join(quoteAll(r.Addrs), ", "), inst.Alias)
		}
	}
	for attempt := 0; ; attempt++ {
		r.ID = NewID()
		err = s.p.Store.Create(ctx, r)
		if !errors.Is(err, ErrDuplicateID) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record request: %w", err)
	}
	ctx = logging.WithRequestID(ctx, r.ID)
	log := s.log.With("request_id", r.ID)
	log.Info("request created", "kind", r.Kind, "requester", r.Requester, "instance", inst.Alias, "node", r.NodeID, "addrs", len(r.Addrs))

	channel, ts, err := s.p.Notifier.Announce(ctx, r)
	if err != nil {
		// Without a message nobody can approve it: withdraw it now rather
		// than leave an invisible pending request.
		s.withdraw(ctx, r, "the approval message could not be posted")
		return nil, fmt.Errorf("post approval message for %s: %w", r.ID, err)
	}
	r.ChannelID, r.MessageTS = channel, ts
	if err := s.p.Store.SetMessage(ctx, r.ID, channel, ts); err != nil {
		s.withdraw(ctx, r, "the approval message could not be recorded")
		return nil, fmt.Errorf("record approval message for %s: %w", r.ID, err)
	}
	return r, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}

func (s *Service) withdraw(ctx context.Context, r *Request, why string) {
	ctx = context.WithoutCancel(ctx)
	if _, err := s.p.Store.Apply(ctx, r.ID, Transition{From: Pending, To: Cancelled, At: s.p.Now().UTC(), Note: why}); err != nil {
		// Still pending in the store, but nobody can approve it: Approve
		// refuses a request whose message was never recorded, and the
		// sweep expires it.
		s.log.Error("withdraw request", "request_id", r.ID, "err", err)
	}
	if r.MessageTS != "" {
		// Take the buttons off the posted message whatever the store said.
		r.State, r.Note = Cancelled, why
		if err := s.p.Notifier.Update(ctx, r); err != nil {
			s.log.Warn("update withdrawn request's message", "request_id", r.ID, "err", err)
		}
	}
}

// Adopt records where a request's approval message is, learnt from a click
// on it, when the store does not know yet: the click can come between the
// post and its record. It changes nothing for a request that knows its
// message, is not pending, or lives in another channel.
func (s *Service) Adopt(ctx context.Context, id, channel, ts string) error {
	r, err := s.p.Store.Get(ctx, id)
	if err != nil || r.MessageTS != "" || r.State != Pending || r.ChannelID != channel || ts == "" {
		return nil
	}
	if err := s.p.Store.SetMessage(ctx, id, channel, ts); err != nil {
		return fmt.Errorf("record approval message of %s: %w", id, err)
	}
	return nil
}

// Get returns a stored request.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	r, err := s.p.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse("There is no request `%s`.", id)
	}
	return r, err
}

// Approve records user's approval of request id and, once enough distinct
// approvers have approved, executes the kill. The checks use the stored
// request, never what the button carried.
func (s *Service) Approve(ctx context.Context, id, user string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	log := s.log.With("request_id", id, "user", user)
	if err := s.checkPending(ctx, r); err != nil {
		return err
	}
	if r.MessageTS == "" {
		// Its approval message was never recorded (the request was being
		// withdrawn): executing it would leave nowhere to report.
		return refuse("Request `%s` is still being set up (or was withdrawn); try again in a moment, or ask for the kill again.", r.ID)
	}
	if user == r.Requester {
		return refuse("You cannot approve your own request `%s`: another approver must.", r.ID)
	}
	ok, err := s.PolicyFor(r.Instance.Alias).IsApprover(ctx, s.p.Directory, user)
	if err != nil {
		return fmt.Errorf("check approver: %w", err)
	}
	if !ok {
		return refuse("You are not an approver for `%s`, so you cannot approve `%s`.", r.Instance.Alias, r.ID)
	}
	count, err := s.recordApproval(ctx, r, user)
	if err != nil {
		return err
	}
	log.Info("approval recorded", "approvals", count, "required", r.ApprovalsRequired)
	if count < r.ApprovalsRequired {
		cur, err := s.p.Store.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("reload request: %w", err)
		}
		s.notify(ctx, cur, Note{Kind: NoteApproval, Actor: user})
		return nil
	}
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Pending, To: Approved, At: s.p.Now().UTC(), Actor: user})
	if err != nil {
		return fmt.Errorf("mark approved: %w", err)
	}
	if !won {
		// Another approver's click crossed the threshold first; it executes.
		log.Info("approval threshold already reached by another click")
		return nil
	}
	s.execute(ctx, id, user)
	return nil
}

// recordApproval adds user's approval and returns how many the request
// has. A user who approved already is refused, unless their approval
// completed the count and an earlier click failed before acting on it:
// then the count is returned so this click finishes the job.
func (s *Service) recordApproval(ctx context.Context, r *Request, user string) (int, error) {
	already := func(cur *Request) (int, error) {
		if n := len(cur.Approvals); n >= cur.ApprovalsRequired {
			return n, nil
		}
		return 0, refuse("You have already approved `%s`; it needs another approver.", cur.ID)
	}
	if r.ApprovedBy(user) {
		return already(r)
	}
	added, count, err := s.p.Store.AddApproval(ctx, r.ID, Approval{User: user, At: s.p.Now().UTC()})
	if err != nil {
		return 0, fmt.Errorf("record approval: %w", err)
	}
	if added {
		s.p.Observer.Decision("approval")
		return count, nil
	}
	// The same user's other click won, or the request moved on.
	cur, err := s.Get(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	if cur.State != Pending {
		return 0, refuse("Request `%s` is already %s.", r.ID, cur.State)
	}
	return already(cur)
}

// checkPending refuses a request that is not pending, and expires one whose
// TTL has passed.
func (s *Service) checkPending(ctx context.Context, r *Request) error {
	if r.State != Pending {
		return refuse("Request `%s` is already %s.", r.ID, r.State)
	}
	if r.ExpiredAt(s.p.Now()) {
		s.expire(ctx, r)
		return refuse("Request `%s` expired at %s; nothing was killed. Ask again if it is still needed.", r.ID, r.ExpiresAt.UTC().Format("15:04:05 MST"))
	}
	return nil
}

// CanDeny checks, without changing anything, that user may deny (or, as
// the requester, withdraw) request id now. The Slack edge asks before it
// opens the reason dialog.
func (s *Service) CanDeny(ctx context.Context, id, user string) error {
	_, _, err := s.denyCheck(ctx, id, user)
	return err
}

func (s *Service) denyCheck(ctx context.Context, id, user string) (*Request, State, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkPending(ctx, r); err != nil {
		return nil, "", err
	}
	if user == r.Requester {
		return r, Cancelled, nil
	}
	ok, err := s.PolicyFor(r.Instance.Alias).IsApprover(ctx, s.p.Directory, user)
	if err != nil {
		return nil, "", fmt.Errorf("check approver: %w", err)
	}
	if !ok {
		return nil, "", refuse("You are not an approver for `%s`, so you cannot deny `%s`.", r.Instance.Alias, r.ID)
	}
	return r, Denied, nil
}

// Deny ends a pending request; nothing is killed. Any approver may deny,
// and so may the requester (it is then a withdrawal).
func (s *Service) Deny(ctx context.Context, id, user, reason string) error {
	r, to, err := s.denyCheck(ctx, id, user)
	if err != nil {
		return err
	}
	kind := NoteDenied
	if to == Cancelled {
		kind = NoteCancelled
	}
	won, err := s.p.Store.Apply(ctx, id, Transition{From: Pending, To: to, At: s.p.Now().UTC(), Actor: user, Note: reason})
	if err != nil {
		return fmt.Errorf("mark %s: %w", to, err)
	}
	if !won {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		return refuse("Request `%s` is already %s.", r.ID, cur.State)
	}
	s.p.Observer.Decision("denial")
	s.finished(Pending, to)
	s.log.Info("request "+string(to), "request_id", id, "user", user)
	s.reloadAndNotify(ctx, id, Note{Kind: kind, Actor: user})
	return nil
}
