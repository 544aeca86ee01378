package fakeslack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits the fake enforces, from Slack's reference
// (https://docs.slack.dev/reference/block-kit/...). Lengths count Unicode
// code points. Each limit names the page that documents it.
const (
	// blocks/: "You can include up to 50 blocks in each message, and 100
	// blocks in modals or Home tabs."
	maxMessageBlocks = 50
	maxViewBlocks    = 100

	// text object: "The minimum length is 1 and maximum length is 3000
	// characters." (composition-objects/text-object)
	maxText = 3000
	// section-block: text <= 3000; fields at most 10 items of <= 2000.
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	// header-block: plain_text, <= 150.
	maxHeaderText = 150
	// context-block: "Maximum number of items is 10."
	maxContextElements = 10
	// actions-block: "There is a maximum of 25 elements in each action block."
	maxActionsElements = 25
	// input-block: label and hint plain_text, <= 2000.
	maxInputLabel = 2000
	maxInputHint  = 2000
	// every block: block_id <= 255; every element: action_id <= 255.
	maxBlockID  = 255
	maxActionID = 255
	// button-element: text plain_text <= 75, value <= 2000, url <= 3000,
	// accessibility_label <= 75, style primary or danger.
	maxButtonText  = 75
	maxButtonValue = 2000
	maxURL         = 3000
	maxA11yLabel   = 75
	// select-menu-element, multi-select-menu-element: placeholder <= 150,
	// "Maximum number of options is 100"; option-group-object: at most 100
	// groups of at most 100 options, label <= 75.
	maxPlaceholder  = 150
	maxSelectOpts   = 100
	maxOptionGroups = 100
	maxGroupLabel   = 75
	// overflow-menu-element: "Maximum number of options is 5, minimum is 2."
	minOverflowOpts = 2
	maxOverflowOpts = 5
	// option-object: text <= 75, value <= 150, description <= 75.
	maxOptionText  = 75
	maxOptionValue = 150
	maxOptionDesc  = 75
	// confirmation-dialog-object: title <= 100, text <= 300, confirm and
	// deny <= 30.
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxConfirmButton = 30
	// plain-text-input-element: min_length 0..3000, max_length 1..3000.
	maxInputLength = 3000

	// views/modal-views: title, submit and close plain_text <= 24;
	// private_metadata <= 3000; callback_id <= 255; submit is required when
	// the blocks hold an input block. views.open: external_id <= 255.
	maxModalTitle      = 24
	maxModalButton     = 24
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxExternalID      = 255
	// views.open, views.update, views.push, views.publish: view_too_large
	// "if the provided view is greater than 250kb".
	maxViewBytes = 250 * 1024

	// Top-level message text: Slack truncates it at 40,000 characters and
	// still posts it, with the warning message_truncated
	// (api.slack.com/changelog/2018-04-truncating-really-long-messages).
	maxMessageText = 40000
)

// ErrViewTooLarge is returned by CheckView for a view over 250 KB, which
// Slack refuses with view_too_large rather than invalid_arguments.
var ErrViewTooLarge = errors.New("fakeslack: view larger than 250kb")

// BlockError is one way a payload breaks Block Kit's rules, located as Slack
// locates it: a JSON pointer into the request ("/blocks/0/text/text").
type BlockError struct {
	Pointer string
	Message string // "must be less than 3001 characters"
}

func (e BlockError) Error() string {
	return fmt.Sprintf("%s [json-pointer:%s]", e.Message, e.Pointer)
}

// BlockErrors is every problem found in one payload, in document order.
// CheckBlocks and CheckView return it as their error.
type BlockErrors []BlockError

func (e BlockErrors) Error() string {
	parts := make([]string, len(e))
	for i, x := range e {
		parts[i] = x.Error()
	}
	return "fakeslack: invalid Block Kit: " + strings.Join(parts, "; ")
}

// messages is how Slack lists the problems in response_metadata.messages.
func (e BlockErrors) messages() []string {
	out := make([]string, len(e))
	for i, x := range e {
		out[i] = "[ERROR] " + x.Error()
	}
	return out
}

// CheckBlocks checks a message's blocks (a JSON array, as chat.postMessage
// takes them) against the Block Kit limits Slack enforces; the Web API
// methods answer invalid_blocks when it fails. Empty or null blocks pass.
// The error is a BlockErrors.
func CheckBlocks(blocks json.RawMessage) error {
	c := &checker{}
	c.blocks("/blocks", blocks, maxMessageBlocks)
	return c.result()
}

// CheckView checks a view (a modal or a Home tab, as views.open,
// views.update, views.push and views.publish take it) against Slack's view
// and Block Kit limits; the Web API methods answer invalid_arguments when it
// fails, or view_too_large (ErrViewTooLarge). The error is a BlockErrors or
// wraps ErrViewTooLarge.
func CheckView(view json.RawMessage) error {
	if len(view) > maxViewBytes {
		return fmt.Errorf("%w: %d bytes", ErrViewTooLarge, len(view))
	}
	c := &checker{}
	c.view("/view", view)
	return c.result()
}

type checker struct{ errs BlockErrors }

func (c *checker) fail(ptr, format string, args ...any) {
	c.errs = append(c.errs, BlockError{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) result() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

func decodeJSON(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// view checks a modal or Home tab view.
func (c *checker) view(p string, raw json.RawMessage) {
	v, err := decodeJSON(raw)
	view, ok := v.(map[string]any)
	if err != nil || !ok {
		c.fail(p, "must be an object")
		return
	}
	typ, _ := view["type"].(string)
	switch typ {
	case "modal":
		c.plain(p+"/title", view["title"], maxModalTitle, true)
		c.plain(p+"/submit", view["submit"], maxModalButton, false)
		c.plain(p+"/close", view["close"], maxModalButton, false)
		if view["submit"] == nil {
			for i, b := range asList(view["blocks"]) {
				if m, _ := b.(map[string]any); m["type"] == "input" {
					c.fail(fmt.Sprintf("%s/blocks/%d/input", p, i), "must define `submit` to use `input` block")
				}
			}
		}
	case "home":
	default:
		c.fail(p+"/type", "must be one of modal, home")
	}
	c.maxLen(p+"/private_metadata", view["private_metadata"], maxPrivateMetadata)
	c.maxLen(p+"/callback_id", view["callback_id"], maxCallbackID)
	c.maxLen(p+"/external_id", view["external_id"], maxExternalID)
	// Slack documents blocks as required; the fake takes a missing or null
	// array (what slack-go sends for no blocks) as empty.
	b, _ := json.Marshal(view["blocks"])
	c.blocks(p+"/blocks", b, maxViewBlocks)
}

// blocks checks an array of blocks of a surface that holds at most max.
func (c *checker) blocks(p string, raw json.RawMessage, max int) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	v, err := decodeJSON(raw)
	if err != nil {
		c.fail(p, "must be a JSON array of blocks")
		return
	}
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.fail(p, "must be a JSON array of blocks")
		return
	}
	if len(list) > max {
		c.fail(p, "no more than %d items allowed", max)
	}
	seen := map[string]bool{}
	for i, b := range list {
		bp := fmt.Sprintf("%s/%d", p, i)
		m, ok := b.(map[string]any)
		if !ok {
			c.fail(bp, "must be an object")
			continue
		}
		if id, ok := m["block_id"].(string); ok {
			c.maxLen(bp+"/block_id", id, maxBlockID)
			if seen[id] {
				c.fail(bp+"/block_id", "duplicate block_id %q", id)
			}
			seen[id] = true
		}
		c.block(bp, m)
	}
}

// block checks one block by its type. Types the fake does not know are
// passed with only their block_id checked.
func (c *checker) block(p string, b map[string]any) {
	typ, ok := b["type"].(string)
	if !ok {
		c.fail(p+"/type", "missing required field: type")
		return
	}
	switch typ {
	case "section":
		c.section(p, b)
	case "header":
		c.plain(p+"/text", b["text"], maxHeaderText, true)
	case "context":
		els := asList(b["elements"])
		c.count(p+"/elements", b["elements"], 1, maxContextElements)
		for i, e := range els {
			if m, _ := e.(map[string]any); m["type"] != "image" {
				c.text(fmt.Sprintf("%s/elements/%d", p, i), e, maxText, true)
			}
		}
	case "actions":
		c.count(p+"/elements", b["elements"], 1, maxActionsElements)
		c.elements(p+"/elements", asList(b["elements"]))
	case "input":
		c.plain(p+"/label", b["label"], maxInputLabel, true)
		c.plain(p+"/hint", b["hint"], maxInputHint, false)
		el, ok := b["element"].(map[string]any)
		if !ok {
			c.fail(p+"/element", "missing required field: element")
			return
		}
		c.element(p+"/element", el)
	}
}

func (c *checker) section(p string, b map[string]any) {
	if b["text"] == nil && b["fields"] == nil {
		c.fail(p, "must provide either `text` or `fields`")
	}
	c.text(p+"/text", b["text"], maxSectionText, false)
	if b["fields"] != nil {
		c.count(p+"/fields", b["fields"], 1, maxSectionFields)
		for i, f := range asList(b["fields"]) {
			c.text(fmt.Sprintf("%s/fields/%d", p, i), f, maxFieldText, true)
		}
	}
	if acc, ok := b["accessory"].(map[string]any); ok {
		c.element(p+"/accessory", acc)
	}
}

// elements checks the elements of an actions block, whose action_ids must
// be unique within the block.
func (c *checker) elements(p string, els []any) {
	ids := map[string]bool{}
	for i, e := range els {
		ep := fmt.Sprintf("%s/%d", p, i)
		m, ok := e.(map[string]any)
		if !ok {
			c.fail(ep, "must be an object")
			continue
		}
		if id, ok := m["action_id"].(string); ok {
			if ids[id] {
				c.fail(ep+"/action_id", "duplicate action_id %q in the block", id)
			}
			ids[id] = true
		}
		c.element(ep, m)
	}
}

// element checks an interactive element (or an image) by its type.
func (c *checker) element(p string, e map[string]any) {
	typ, ok := e["type"].(string)
	if !ok {
		c.fail(p+"/type", "missing required field: type")
		return
	}
	c.maxLen(p+"/action_id", e["action_id"], maxActionID)
	c.plain(p+"/placeholder", e["placeholder"], maxPlaceholder, false)
	if e["confirm"] != nil {
		c.confirm(p+"/confirm", e["confirm"])
	}
	switch typ {
	case "button":
		c.plain(p+"/text", e["text"], maxButtonText, true)
		c.maxLen(p+"/value", e["value"], maxButtonValue)
		c.maxLen(p+"/url", e["url"], maxURL)
		c.maxLen(p+"/accessibility_label", e["accessibility_label"], maxA11yLabel)
		if s, ok := e["style"].(string); ok && s != "primary" && s != "danger" {
			c.fail(p+"/style", "must be one of primary, danger")
		}
	case "static_select", "multi_static_select":
		c.staticSelect(p, e, typ == "multi_static_select")
	case "overflow":
		c.count(p+"/options", e["options"], minOverflowOpts, maxOverflowOpts)
		c.options(p+"/options", asList(e["options"]), true)
	case "checkboxes", "radio_buttons":
		c.options(p+"/options", asList(e["options"]), false)
	case "plain_text_input":
		c.lengthBound(p+"/min_length", e["min_length"], 0)
		c.lengthBound(p+"/max_length", e["max_length"], 1)
		lo, okLo := number(e["min_length"])
		hi, okHi := number(e["max_length"])
		if okLo && okHi && lo > hi {
			c.fail(p+"/min_length", "must not be greater than max_length")
		}
	}
}

// staticSelect checks a static_select or multi_static_select: options or
// option_groups (not both), and initial options that are among them.
func (c *checker) staticSelect(p string, e map[string]any, multi bool) {
	var all []any
	switch {
	case e["options"] != nil && e["option_groups"] != nil:
		c.fail(p, "must provide `options` or `option_groups`, not both")
	case e["options"] != nil:
		c.count(p+"/options", e["options"], 1, maxSelectOpts)
		all = asList(e["options"])
		c.options(p+"/options", all, true)
	case e["option_groups"] != nil:
		c.count(p+"/option_groups", e["option_groups"], 1, maxOptionGroups)
		for i, g := range asList(e["option_groups"]) {
			gp := fmt.Sprintf("%s/option_groups/%d", p, i)
			gm, _ := g.(map[string]any)
			c.plain(gp+"/label", gm["label"], maxGroupLabel, true)
			c.count(gp+"/options", gm["options"], 1, maxSelectOpts)
			c.options(gp+"/options", asList(gm["options"]), true)
			all = append(all, asList(gm["options"])...)
		}
	default:
		c.fail(p+"/options", "missing required field: options")
	}
	values := map[string]bool{}
	for _, o := range all {
		if m, ok := o.(map[string]any); ok {
			if v, ok := m["value"].(string); ok {
				values[v] = true
			}
		}
	}
	initial := []any{e["initial_option"]}
	if multi {
		initial = asList(e["initial_options"])
		if n, ok := number(e["max_selected_items"]); ok && n < 1 {
			c.fail(p+"/max_selected_items", "must be at least 1")
		}
	}
	for _, o := range initial {
		if m, ok := o.(map[string]any); ok && !values[fmt.Sprint(m["value"])] {
			c.fail(p, "initial option %q is not one of the options", m["value"])
		}
	}
}

// options checks option objects; menus take plain_text only.
func (c *checker) options(p string, opts []any, plainOnly bool) {
	for i, o := range opts {
		op := fmt.Sprintf("%s/%d", p, i)
		m, ok := o.(map[string]any)
		if !ok {
			c.fail(op, "must be an object")
			continue
		}
		if plainOnly {
			c.plain(op+"/text", m["text"], maxOptionText, true)
		} else {
			c.text(op+"/text", m["text"], maxOptionText, true)
		}
		if _, ok := m["value"].(string); !ok {
			c.fail(op+"/value", "missing required field: value")
		}
		c.maxLen(op+"/value", m["value"], maxOptionValue)
		c.plain(op+"/description", m["description"], maxOptionDesc, false)
		c.maxLen(op+"/url", m["url"], maxURL)
	}
}

func (c *checker) confirm(p string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(p, "must be an object")
		return
	}
	c.plain(p+"/title", m["title"], maxConfirmTitle, true)
	c.text(p+"/text", m["text"], maxConfirmText, true)
	c.plain(p+"/confirm", m["confirm"], maxConfirmButton, true)
	c.plain(p+"/deny", m["deny"], maxConfirmButton, true)
	if s, ok := m["style"].(string); ok && s != "primary" && s != "danger" {
		c.fail(p+"/style", "must be one of primary, danger")
	}
}

// text checks a text object of either type.
func (c *checker) text(p string, v any, max int, required bool) {
	c.textObject(p, v, max, required, false)
}

// plain checks a text object that must be plain_text.
func (c *checker) plain(p string, v any, max int, required bool) {
	c.textObject(p, v, max, required, true)
}

func (c *checker) textObject(p string, v any, max int, required, plainOnly bool) {
	if v == nil {
		if required {
			c.fail(p, "missing required field: text object")
		}
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(p, "must be a text object")
		return
	}
	switch t, _ := m["type"].(string); {
	case t == "plain_text":
	case t == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.fail(p+"/type", "must be plain_text")
	default:
		c.fail(p+"/type", "must be one of plain_text, mrkdwn")
	}
	s, ok := m["text"].(string)
	if !ok || s == "" {
		c.fail(p+"/text", "must be more than 0 characters")
		return
	}
	c.maxLen(p+"/text", s, max)
}

// maxLen fails a string longer than max characters; other values pass.
func (c *checker) maxLen(p string, v any, max int) {
	if s, ok := v.(string); ok && utf8.RuneCountInString(s) > max {
		c.fail(p, "must be less than %d characters", max+1)
	}
}

// count checks the length of an array field.
func (c *checker) count(p string, v any, min, max int) {
	list, ok := v.([]any)
	switch {
	case !ok:
		c.fail(p, "must be an array")
	case len(list) < min:
		c.fail(p, "must provide at least %d items", min)
	case len(list) > max:
		c.fail(p, "no more than %d items allowed", max)
	}
}

// lengthBound checks a plain_text_input length setting: an integer from
// min to 3000.
func (c *checker) lengthBound(p string, v any, min int64) {
	if v == nil {
		return
	}
	n, ok := number(v)
	if !ok || n < min || n > maxInputLength {
		c.fail(p, "must be an integer from %d to %d", min, maxInputLength)
	}
}

func number(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
