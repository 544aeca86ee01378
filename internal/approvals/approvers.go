package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// NotifyMode says how approvers hear of a request besides its approval
// message in the channel (policy.notify_approvers).
type NotifyMode string

const (
	// NotifyOff: the approval message in the channel is all; reminders
	// go to its thread.
	NotifyOff NotifyMode = "off"
	// NotifyChannel: the same, named for where approvers are reached:
	// the approval message, and reminders in its thread that mention
	// the approvers.
	NotifyChannel NotifyMode = "channel"
	// NotifyDM: besides the approval message, a direct message to each
	// approver who may decide the request, redrawn when it ends;
	// reminders go by direct message too.
	NotifyDM NotifyMode = "dm"
)

// NotifyModes lists the modes, as configuration spells them.
var NotifyModes = []NotifyMode{NotifyOff, NotifyChannel, NotifyDM}

// Valid reports whether m is one of NotifyModes.
func (m NotifyMode) Valid() bool { return slices.Contains(NotifyModes, m) }

// ApproverMessage is a direct message the bot sent an approver about a
// request: who, and where it is.
type ApproverMessage struct {
	User      string
	ChannelID string // the direct-message conversation
	TS        string
}

// ApproverMessenger reaches approvers one by one. It is Slack direct
// messages in production. Implementations render from the request's
// current state, as a Notifier does.
type ApproverMessenger interface {
	// SendToApprover sends user a message about pending request r: what
	// it is, a link to its approval message, and its buttons.
	SendToApprover(ctx context.Context, r *Request, user string) (ApproverMessage, error)
	// UpdateApproverMessage redraws m for r's current state.
	UpdateApproverMessage(ctx context.Context, r *Request, m ApproverMessage) error
	// RemindApprover tells m.User, where m is, that r still waits.
	RemindApprover(ctx context.Context, r *Request, m ApproverMessage) error
}

// Deciders returns the users who may decide r: the approvers of its
// instance, user groups resolved through the Directory, without its
// requester, sorted, each once. A group that cannot be resolved is left
// out, and its error returned with the others found.
func (s *Service) Deciders(ctx context.Context, r *Request) ([]string, error) {
	var users []string
	var errs []error
	for _, a := range s.PolicyFor(r.Instance.Alias).Approvers {
		if !IsUserGroup(a) {
			users = append(users, a)
			continue
		}
		if s.p.Directory == nil {
			errs = append(errs, fmt.Errorf("approver group %s: no directory to resolve it", a))
			continue
		}
		members, err := s.p.Directory.GroupMembers(ctx, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("members of approver group %s: %w", a, err))
			continue
		}
		users = append(users, members...)
	}
	slices.Sort(users)
	users = slices.Compact(users)
	users = slices.DeleteFunc(users, func(u string) bool { return u == r.Requester || u == "" })
	return users, errors.Join(errs...)
}

// messagesApprovers reports whether the approvers of r's instance hear of
// it by direct message.
func (s *Service) messagesApprovers(r *Request) bool {
	return s.p.Approvers != nil && s.PolicyFor(r.Instance.Alias).Notify == NotifyDM
}

// messageApprovers sends each user who may decide the announced request r
// a direct message, and records where, so that any process can redraw
// them when r ends. Failures are logged: the approval message in the
// channel is there whatever happens here.
func (s *Service) messageApprovers(ctx context.Context, r *Request) {
	if !s.messagesApprovers(r) {
		return
	}
	users, err := s.Deciders(ctx, r)
	if err != nil {
		s.log.WarnContext(ctx, "resolve the approvers to message; messaging those resolved", "err", err)
	}
	for _, u := range users {
		m, err := s.p.Approvers.SendToApprover(ctx, r, u)
		if err != nil {
			s.log.WarnContext(ctx, "message approver", "user", u, "err", err)
			continue
		}
		if err := s.p.Store.AddApproverMessage(ctx, r.ID, m); err != nil {
			s.log.ErrorContext(ctx, "record message to approver", "user", u, "err", err)
		}
	}
	// The request may have ended while the messages went out, and its
	// end redrawn only those recorded by then.
	cur, err := s.p.Store.Get(ctx, r.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "reload request after messaging approvers", "err", err)
		return
	}
	if cur.State.Final() {
		s.updateApproverMessages(ctx, cur)
	}
}

// updateApproverMessages redraws the direct messages about r once r has
// ended: their buttons go, and they show the outcome.
func (s *Service) updateApproverMessages(ctx context.Context, r *Request) {
	if s.p.Approvers == nil || !r.State.Final() {
		return
	}
	msgs, err := s.p.Store.ApproverMessages(ctx, r.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "read messages to approvers", "err", err)
		return
	}
	for _, m := range msgs {
		if err := s.p.Approvers.UpdateApproverMessage(ctx, r, m); err != nil {
			s.log.WarnContext(ctx, "update message to approver", "user", m.User, "err", err)
		}
	}
}

// remindApprovers reminds by direct message each approver messaged about
// r who has not approved it, and reports whether there was anyone to
// remind that way.
func (s *Service) remindApprovers(ctx context.Context, r *Request) (bool, error) {
	msgs, err := s.p.Store.ApproverMessages(ctx, r.ID)
	if err != nil {
		return false, fmt.Errorf("read messages to approvers of %s: %w", r.ID, err)
	}
	var errs []error
	reminded := false
	for _, m := range msgs {
		if r.ApprovedBy(m.User) {
			continue
		}
		reminded = true
		if err := s.p.Approvers.RemindApprover(ctx, r, m); err != nil {
			errs = append(errs, fmt.Errorf("remind %s of %s: %w", m.User, r.ID, err))
		}
	}
	return reminded, errors.Join(errs...)
}
