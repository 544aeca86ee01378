package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// The picker is the modal /dcs kill <instance> opens: a trigger_id lives 3
// seconds and a session scan can take longer, so it opens at once saying
// what it reads, and views.update fills it in. Changing the node or
// pressing Enter in the filter (block_actions) redraws it; submitting it
// (picker_submit.go) makes the same request as the typed command.

// pickerService is what the picker needs of the lifecycle.
type pickerService interface {
	CheckPicker(user, channel, instance string) (approvals.Instance, approvals.Policy, error)
	Nodes(ctx context.Context, channel, instance string) (*approvals.NodesView, error)
	Clients(ctx context.Context, q approvals.ClientsQuery) (*approvals.ClientsView, error)
	Precheck(k approvals.KillRequest) (approvals.Instance, error)
	Submit(ctx context.Context, k approvals.KillRequest) (*approvals.Request, error)
}

// modalViews opens and redraws modals (the Notifier).
type modalViews interface {
	OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (viewID, hash string, err error)
	UpdateView(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) (string, error)
}

// picker opens and redraws the picker. It keeps each open picker's
// nodes and the sessions last read, so that the filter narrows the list
// without another scan; another replica that gets the next click reads
// them again.
type picker struct {
	svc   pickerService
	views modalViews
	log   *slog.Logger
	// queue offers work to the command lane; false when it is full.
	queue func(job) bool

	mu    sync.Mutex
	cache map[string]*pickerCache // by view ID
}

// pickerCache is what one open picker has read.
type pickerCache struct {
	nodes    []approvals.Node
	node     string
	sessions []approvals.Session // node's, most idle first
	at       time.Time
}

const (
	pickerCacheSize = 256              // open pickers remembered
	pickerCacheTTL  = 10 * time.Minute // how long a list read is reused
)

// newPicker returns the picker over views, served by the first provider
// that serves what it needs; queue offers its reads to the command lane.
func newPicker(log *slog.Logger, views modalViews, providers []any, queue func(job) bool) (*picker, error) {
	svc, err := provide(reflect.TypeFor[pickerService](), providers)
	if err != nil {
		return nil, fmt.Errorf("the kill picker: %w", err)
	}
	return &picker{svc: svc.Interface().(pickerService), views: views, log: log, queue: queue, cache: map[string]*pickerCache{}}, nil
}

// open answers /dcs kill <instance>: the checks that need no I/O before
// the ack, then the modal, opened at once with the clicks (Answer.Prompt),
// then filled in from the command lane.
func (pk *picker) open(in Input, c commands.Kill) Answer {
	inst, pol, err := pk.svc.CheckPicker(in.User, in.Channel, c.Instance)
	if err != nil {
		return refusedNow(pk.log, err)
	}
	meta := pickerMeta{Channel: in.Channel, Instance: inst.Alias, User: in.User, Reason: c.Reason}
	return Answer{Prompt: true, Later: func(ctx context.Context) (text, error) {
		viewID, hash, err := pk.views.OpenView(ctx, in.TriggerID, loadingView(meta, inst))
		if err != nil {
			pk.log.WarnContext(ctx, "open the kill picker", "user", in.User, "err", err)
			return pickerNotOpened(inst.Alias, err), nil
		}
		f := pickerForm{meta: meta, requireReason: pol.RequireReason, maxPick: pol.MaxAddrs}
		if !pk.queue(func(ctx context.Context) { pk.fill(ctx, viewID, hash, f) }) {
			pk.log.WarnContext(ctx, "command queue full; the kill picker says busy", "user", in.User)
			pk.say(ctx, viewID, hash, f, ":warning: "+busyText)
		}
		return "", nil
	}}
}

// fill reads the nodes of a picker just opened, and the sessions of the
// node when there is only one, and draws them.
func (pk *picker) fill(ctx context.Context, viewID, hash string, f pickerForm) {
	var err error
	if f.nodes, err = pk.nodes(ctx, viewID, f.meta); err != nil {
		pk.fail(ctx, viewID, hash, f, err)
		return
	}
	if len(f.nodes) == 1 {
		f.node = f.nodes[0].ID
	}
	pk.list(ctx, viewID, hash, f, "", nil)
}

// pickerNotOpened tells the user the modal did not open, and what to do.
func pickerNotOpened(alias string, err error) text {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "expired_trigger_id" {
		return textf(":hourglass: The list of sessions could not open in time (Slack allows 3 seconds). Type `/dcs kill %s` again, "+
			"or give the node and the addresses or selectors (`/dcs help kill`).", inCode(alias))
	}
	return textf(":warning: The list of sessions could not open. Type `/dcs kill %s` again, or give the node and the addresses or selectors (`/dcs help kill`).",
		inCode(alias))
}

// action redraws the picker after a block_actions from it: another node,
// or a filter.
func (pk *picker) action(ctx context.Context, cb slack.InteractionCallback) {
	meta, ok := decodeMeta(cb.View.PrivateMetadata)
	if !ok {
		return
	}
	st := pickerState(cb.View)
	f := pickerForm{meta: meta, node: st.node}
	_, pol, err := pk.svc.CheckPicker(cb.User.ID, meta.Channel, meta.Instance)
	if err == nil {
		f.requireReason, f.maxPick = pol.RequireReason, pol.MaxAddrs
		f.nodes, err = pk.nodes(ctx, cb.View.ID, meta)
	}
	if err != nil {
		pk.fail(ctx, cb.View.ID, cb.View.Hash, f, err)
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		switch a.BlockID {
		case pickNodeBlock:
			f.node = a.SelectedOption.Value
			pk.list(ctx, cb.View.ID, cb.View.Hash, f, st.filter, nil)
		case pickFilterBlock:
			pk.list(ctx, cb.View.ID, cb.View.Hash, f, a.Value, st.picked)
		}
	}
}

// list draws f with the sessions of the node chosen, filtered, the ones
// picked kept; it reads them (saying so first) unless they were read
// lately. hash is the view's hash as the caller saw it: a redraw that
// another has overtaken is dropped.
func (pk *picker) list(ctx context.Context, viewID, hash string, f pickerForm, filter string, picked []string) {
	if f.node == "" || !slices.ContainsFunc(f.nodes, func(n approvals.Node) bool { return n.ID == f.node }) {
		f.node, f.meta.Node = "", ""
		_, _ = pk.update(ctx, viewID, hash, pickerView(f))
		return
	}
	sessions, ok := pk.cached(viewID, f.node)
	if !ok {
		reading := f
		reading.status = textf(":hourglass_flowing_sand: Reading the sessions of node %s…", id(f.node))
		var err error
		if hash, err = pk.update(ctx, viewID, hash, pickerView(reading)); err != nil {
			return
		}
		if sessions, err = pk.read(ctx, f.meta, f.node); err != nil {
			pk.fail(ctx, viewID, hash, f, err)
			return
		}
		pk.remember(viewID, func(c *pickerCache) { c.node, c.sessions, c.at = f.node, sessions, time.Now() })
	}
	f.meta.Node = f.node
	f.list = buildList(sessions, filter, picked)
	_, _ = pk.update(ctx, viewID, hash, pickerView(f))
}

// read reads every session of node, most idle first.
func (pk *picker) read(ctx context.Context, meta pickerMeta, node string) ([]approvals.Session, error) {
	v, err := pk.svc.Clients(ctx, approvals.ClientsQuery{User: meta.User, Channel: meta.Channel, Instance: meta.Instance,
		Node: approvals.NodeRef{ID: node}, Sort: "idle", Limit: math.MaxInt32})
	if err != nil {
		return nil, err
	}
	return v.Sessions, nil
}

// nodes returns the session nodes the picker lists, read once per picker.
func (pk *picker) nodes(ctx context.Context, viewID string, meta pickerMeta) ([]approvals.Node, error) {
	pk.mu.Lock()
	c := pk.cache[viewID]
	pk.mu.Unlock()
	if c != nil && c.nodes != nil {
		return c.nodes, nil
	}
	nv, err := pk.svc.Nodes(ctx, meta.Channel, meta.Instance)
	if err != nil {
		return nil, err
	}
	pk.remember(viewID, func(c *pickerCache) { c.nodes = nv.Session })
	return nv.Session, nil
}

// fail draws the problem in the picker instead of the list.
func (pk *picker) fail(ctx context.Context, viewID, hash string, f pickerForm, err error) {
	pk.say(ctx, viewID, hash, f, ":warning: "+userMessage(pk.log, err))
}

// say draws status in the picker instead of the list.
func (pk *picker) say(ctx context.Context, viewID, hash string, f pickerForm, status text) {
	f.status = status
	f.meta.Node = ""
	_, _ = pk.update(ctx, viewID, hash, pickerView(f))
}

func (pk *picker) update(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) (string, error) {
	h, err := pk.views.UpdateView(ctx, viewID, hash, v)
	if err != nil {
		// hash_conflict: a later redraw won; the view was closed; Slack failed.
		pk.log.InfoContext(ctx, "redraw the kill picker", "view_id", viewID, "err", err)
	}
	return h, err
}

func (pk *picker) cached(viewID, node string) ([]approvals.Session, bool) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	c := pk.cache[viewID]
	if c == nil || c.node != node || c.sessions == nil || time.Since(c.at) > pickerCacheTTL {
		return nil, false
	}
	return c.sessions, true
}

// remember changes what the picker viewID has read, forgetting the
// oldest picker when there are too many.
func (pk *picker) remember(viewID string, change func(*pickerCache)) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	c := pk.cache[viewID]
	if c == nil {
		if len(pk.cache) >= pickerCacheSize {
			oldest := ""
			for k, x := range pk.cache {
				if oldest == "" || x.at.Before(pk.cache[oldest].at) {
					oldest = k
				}
			}
			delete(pk.cache, oldest)
		}
		c = &pickerCache{at: time.Now()}
		pk.cache[viewID] = c
	}
	change(c)
}

// buildList is the part of sessions (most idle first) the list offers:
// those picked so far (option values in picked), then as many matching
// the filter as fit.
func buildList(sessions []approvals.Session, filter string, picked []string) pickList {
	l := pickList{total: len(sessions), filter: filter}
	keep := map[string]bool{}
	for _, v := range picked[:min(len(picked), maxPickOptions)] {
		keep[v] = true
	}
	room := maxPickOptions - len(keep)
	for _, x := range sessions {
		match := pickMatches(x, filter)
		if match {
			l.matched++
		}
		switch {
		case keep[optionValue(x)]:
			l.options = append(l.options, x)
			l.selected = append(l.selected, x)
		case match && room > 0:
			l.options = append(l.options, x)
			room--
		case match:
			l.more++
		}
	}
	return l
}

// pickMatches reports whether the filter is part of the session's
// address, client name or last command, in any case.
func pickMatches(x approvals.Session, filter string) bool {
	f := strings.ToLower(strings.TrimSpace(filter))
	return f == "" || strings.Contains(strings.ToLower(x.Addr), f) || strings.Contains(strings.ToLower(x.Name), f) ||
		strings.Contains(strings.ToLower(x.Cmd), f)
}

// pickState is what the user has entered in a picker so far. What the
// state leaves out is what the picker was drawn with: the node listed,
// the reason typed with the command.
type pickState struct {
	node, filter, reason string
	picked               []string // option values
}

func pickerState(v slack.View) pickState {
	meta, _ := decodeMeta(v.PrivateMetadata)
	st := pickState{node: meta.Node, reason: meta.Reason}
	if v.State == nil {
		return st
	}
	vals := v.State.Values
	if a, ok := vals[pickNodeBlock][pickNodeAction]; ok && a.SelectedOption.Value != "" {
		st.node = a.SelectedOption.Value
	}
	if a, ok := vals[pickReasonBlock][pickReasonAction]; ok {
		st.reason = a.Value
	}
	st.filter = vals[pickFilterBlock][pickFilterAction].Value
	for _, o := range vals[pickListBlock][pickListAction].SelectedOptions {
		st.picked = append(st.picked, o.Value)
	}
	return st
}
