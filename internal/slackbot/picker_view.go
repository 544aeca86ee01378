package slackbot

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// The picker: the modal /dcs kill <instance> opens. Its IDs are what its
// block_actions and view_submission carry back.
const (
	pickerCallbackID = "dcs_kill_picker"
	pickNodeBlock    = "dcs_pick_node"     // input: static_select "node", dispatches on change
	pickNodeAction   = "node"              // option values are node IDs
	pickFilterBlock  = "dcs_pick_filter"   // input: plain_text_input "filter", dispatches on enter
	pickFilterAction = "filter"            //
	pickListBlock    = "dcs_pick_sessions" // input: multi_static_select "sessions"
	pickListAction   = "sessions"          // option values are "<addr> <client id>"
	pickReasonBlock  = "dcs_pick_reason"   // input: plain_text_input "reason"
	pickReasonAction = "reason"            //
	pickStatusBlock  = "dcs_pick_status"   // context: what the list shows, or what is happening

	maxPickOptions = 100 // Slack's limit on a select's options
	maxOptionLabel = 75  // Slack's limit on an option's text
	maxOptionValue = 150 // Slack's limit on an option's value
)

// pickerMeta is the picker's private_metadata: where the request goes and
// what the list shows. Everything in it is checked again on submit.
type pickerMeta struct {
	Channel  string `json:"c"`           // where /dcs kill was typed: the request is posted there
	Instance string `json:"i"`           // the instance alias
	User     string `json:"u"`           // who opened the picker
	Node     string `json:"n,omitempty"` // the node whose sessions are listed; "" while none is
	Reason   string `json:"r,omitempty"` // the reason typed with the command, to start the reason input with
}

func (m pickerMeta) encode() string {
	if r := []rune(m.Reason); len(r) > commands.MaxReasonLen {
		m.Reason = string(r[:commands.MaxReasonLen])
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) (pickerMeta, bool) {
	var m pickerMeta
	err := json.Unmarshal([]byte(s), &m)
	return m, err == nil && m.Channel != "" && m.Instance != "" && m.User != ""
}

// pickerForm is what one drawing of the picker shows.
type pickerForm struct {
	meta  pickerMeta
	node  string           // the node chosen in the select; meta.Node once its sessions are listed
	nodes []approvals.Node // the session nodes, in index order
	// status says what is happening instead of a list ("reading…", a
	// problem); the list is drawn when it is "".
	status text
	list   pickList
	// requireReason makes the reason input required; maxPick bounds how
	// many sessions may be picked (policy.max_addrs).
	requireReason bool
	maxPick       int
}

// pickList is the part of a node's sessions the list offers.
type pickList struct {
	options  []approvals.Session // most idle first, at most maxPickOptions
	selected []approvals.Session // those of options picked so far
	matched  int                 // sessions that match the filter
	more     int                 // of those, how many the list leaves out
	total    int                 // sessions on the node
	filter   string
}

// loadingView is the picker as it opens, before anything is read.
func loadingView(meta pickerMeta, inst approvals.Instance) slack.ModalViewRequest {
	return pickerModal(meta, false, []slack.Block{
		slack.NewSectionBlock(mdf("Reading the nodes and sessions of %s…", id(inst.Alias)), nil, nil),
	})
}

// pickerView draws the picker.
func pickerView(f pickerForm) slack.ModalViewRequest {
	blocks := []slack.Block{
		slack.NewSectionBlock(mdf("Pick the sessions of %s to kill. Nothing is killed until the request is approved; "+
			"the approvers see each session you pick, and only those can be killed.", id(f.meta.Instance)), nil, nil),
	}
	if len(f.nodes) == 0 {
		// Nothing to pick from: no inputs, no submit button.
		status := f.status
		if status == "" {
			status = textf("%s has no node that takes session commands.", id(f.meta.Instance))
		}
		return pickerModal(f.meta, false, append(blocks, slack.NewContextBlock(pickStatusBlock, md(status))))
	}
	blocks = append(blocks, nodeInput(f))
	switch {
	case f.status != "":
		blocks = append(blocks, slack.NewContextBlock(pickStatusBlock, md(f.status)))
	case f.meta.Node == "":
		blocks = append(blocks, slack.NewContextBlock(pickStatusBlock, md("Choose a node to list its sessions.")))
	default:
		blocks = append(blocks, listBlocks(f)...)
	}
	reason := slack.NewPlainTextInputBlockElement(plain("Why: KEYS storm from the batch job…"), pickReasonAction)
	// The reason typed with the command, as the parser kept it: the
	// requester's own text back in their own input, not shown as markup.
	reason.MaxLength, reason.InitialValue = commands.MaxReasonLen, f.meta.Reason
	label := text("Reason (optional)")
	if f.requireReason {
		label = "Reason"
	}
	blocks = append(blocks, slack.NewInputBlock(pickReasonBlock, plain(label), nil, reason).WithOptional(!f.requireReason))
	return pickerModal(f.meta, true, blocks)
}

func pickerModal(meta pickerMeta, submit bool, blocks []slack.Block) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      pickerCallbackID,
		PrivateMetadata: meta.encode(),
		Title:           plain("Kill sessions"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
	if submit {
		v.Submit = plain("Ask for approval")
	}
	return v
}

// nodeInput is the node select; changing it redraws the list.
func nodeInput(f pickerForm) *slack.InputBlock {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for i, n := range f.nodes[:min(len(f.nodes), maxPickOptions)] {
		label := textf("#%s · %s · %s", num(i), outside(n.Addr()).line(capWord), outside(n.Name).or(capWord, outside(n.Role).or(capWord, "-")))
		o := slack.NewOptionBlockObject(n.ID, plain(text(capLabel(label))), nil)
		opts = append(opts, o)
		if n.ID == f.node {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a node"), pickNodeAction, opts...)
	sel.InitialOption = initial
	in := slack.NewInputBlock(pickNodeBlock, plain("Node"), nil, sel)
	in.DispatchAction = true
	return in
}

// listBlocks are the filter, what the list shows, and the list.
func listBlocks(f pickerForm) []slack.Block {
	filter := slack.NewPlainTextInputBlockElement(plain("Part of an address, client name or command; Enter to narrow"), pickFilterAction)
	filter.DispatchActionConfig = &slack.DispatchActionConfig{TriggerActionsOn: []string{"on_enter_pressed"}}
	filter.MaxLength = 64
	fin := slack.NewInputBlock(pickFilterBlock, plain("Filter"), nil, filter).WithOptional(true)
	fin.DispatchAction = true
	l := f.list
	status := textf("%s session%s on node %s", num(l.total), plural(l.total), id(f.meta.Node))
	if l.filter != "" {
		status += textf(", %s matching %s", num(l.matched), outside(l.filter).code(capWord))
	}
	status += textf(", most idle first: %s shown", num(len(l.options)))
	if l.more > 0 {
		status += textf(" (%s more: type in the filter to narrow the list)", num(l.more))
	}
	blocks := []slack.Block{fin, slack.NewContextBlock(pickStatusBlock, md(status+"."))}
	if len(l.options) == 0 {
		return blocks
	}
	opts := make([]*slack.OptionBlockObject, len(l.options))
	for i, x := range l.options {
		opts[i] = sessionOption(x)
	}
	sel := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Pick sessions"), pickListAction, opts...)
	maxPick := min(f.maxPick, maxPickOptions)
	sel.MaxSelectedItems = &maxPick
	for _, x := range l.selected {
		sel.InitialOptions = append(sel.InitialOptions, sessionOption(x))
	}
	return append(blocks, slack.NewInputBlock(pickListBlock, plain("Sessions (address · client name · idle · last command)"), nil, sel))
}

// sessionOption is one session of the list.
func sessionOption(x approvals.Session) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(optionValue(x), plain(text(optionLabel(x))), nil)
}

// optionValue carries the session back: its address and client ID. An ID
// too long to fit is left out (the submission then checks the address
// alone).
func optionValue(x approvals.Session) string {
	if v := x.Addr + " " + x.ID; len(v) <= maxOptionValue && !strings.ContainsAny(x.ID, " \t\n") {
		return v
	}
	return x.Addr
}

// parseOptionValue is optionValue's inverse.
func parseOptionValue(v string) approvals.Picked {
	addr, clientID, _ := strings.Cut(v, " ")
	return approvals.Picked{Addr: addr, ID: clientID}
}

// optionLabel is "addr · client name · idle · last command", the outside
// parts escaped and capped so that the label fits Slack's 75 characters.
func optionLabel(x approvals.Session) string {
	const sep = " · "
	addr, idle := outside(x.Addr).line(47), dur(x.Idle)
	budget := maxOptionLabel - utf8.RuneCountInString(string(addr)+string(idle)) - 3*utf8.RuneCountInString(sep)
	cmdCap := max(2, min(16, budget/3))
	name := outside(x.Name).or(max(2, budget-cmdCap), "-")
	cmd := outside(x.Cmd).or(cmdCap, "-")
	return capLabel(join([]text{addr, name, idle, cmd}, sep))
}

// capLabel cuts an option label the bot wrote to Slack's limit, whole
// entities kept.
func capLabel(t text) string {
	if utf8.RuneCountInString(string(t)) <= maxOptionLabel {
		return string(t)
	}
	r := []rune(string(t))[:maxOptionLabel-1]
	s := string(r)
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		s = s[:i]
	}
	return s + "…"
}

// OpenView opens a modal and returns its ID and hash.
func (n *Notifier) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	resp, err := n.api.OpenViewContext(ctx, triggerID, v)
	if err != nil {
		return "", "", n.failed("views.open", err)
	}
	return resp.ID, resp.Hash, nil
}

// UpdateView redraws a modal if its hash is still hash (any hash when
// ""), and returns its new hash.
func (n *Notifier) UpdateView(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) (string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	resp, err := n.api.UpdateViewContext(ctx, v, "", hash, viewID)
	if err != nil {
		return "", n.failed("views.update", err)
	}
	return resp.Hash, nil
}
