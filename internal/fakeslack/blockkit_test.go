package fakeslack_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/fakeslack"
)

type obj = map[string]any

func str(n int) string { return strings.Repeat("a", n) }

func plainText(s string) obj { return obj{"type": "plain_text", "text": s} }

func mrkdwn(s string) obj { return obj{"type": "mrkdwn", "text": s} }

func button(id, text, value string) obj {
	return obj{"type": "button", "action_id": id, "text": plainText(text), "value": value}
}

func option(text, value string) obj { return obj{"text": plainText(text), "value": value} }

func options(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = option(fmt.Sprint("o", i), fmt.Sprint("v", i))
	}
	return out
}

func repeat(n int, f func(i int) any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func actions(els ...any) obj { return obj{"type": "actions", "block_id": "act", "elements": els} }

func modal(blocks ...any) obj {
	return obj{"type": "modal", "title": plainText("Title"), "submit": plainText("Go"), "blocks": blocks}
}

func input(el obj) obj {
	return obj{"type": "input", "block_id": "in", "label": plainText("Label"), "element": el}
}

func confirm(title, text, yes, no string) obj {
	return obj{"title": plainText(title), "text": mrkdwn(text), "confirm": plainText(yes), "deny": plainText(no)}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check runs CheckView on a view and CheckBlocks on anything else.
func check(t *testing.T, payload any) error {
	t.Helper()
	if m, ok := payload.(obj); ok && m["type"] != nil {
		return fakeslack.CheckView(mustJSON(t, m))
	}
	return fakeslack.CheckBlocks(mustJSON(t, payload))
}

// Each documented limit: a payload exactly at it passes, one over it is
// refused, and the refusal points at the field as Slack's does.
func TestBlockKitLimits(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit int
		ptr   string
		make  func(n int) any // a message's blocks, or a view (an obj with a type)
	}{
		{"section text", 3000, "/blocks/0/text/text", func(n int) any {
			return []any{obj{"type": "section", "text": mrkdwn(str(n))}}
		}},
		{"section text in code points", 3000, "/blocks/0/text/text", func(n int) any {
			return []any{obj{"type": "section", "text": mrkdwn(strings.Repeat("é", n))}}
		}},
		{"section field", 2000, "/blocks/0/fields/0/text", func(n int) any {
			return []any{obj{"type": "section", "fields": []any{mrkdwn(str(n))}}}
		}},
		{"section fields", 10, "/blocks/0/fields", func(n int) any {
			return []any{obj{"type": "section", "fields": repeat(n, func(int) any { return plainText("f") })}}
		}},
		{"header text", 150, "/blocks/0/text/text", func(n int) any {
			return []any{obj{"type": "header", "text": plainText(str(n))}}
		}},
		{"blocks in a message", 50, "/blocks", func(n int) any {
			return repeat(n, func(int) any { return obj{"type": "divider"} })
		}},
		{"blocks in a modal", 100, "/view/blocks", func(n int) any {
			return modal(repeat(n, func(int) any { return obj{"type": "divider"} })...)
		}},
		{"blocks in a Home tab", 100, "/view/blocks", func(n int) any {
			return obj{"type": "home", "blocks": repeat(n, func(int) any { return obj{"type": "divider"} })}
		}},
		{"context elements", 10, "/blocks/0/elements", func(n int) any {
			return []any{obj{"type": "context", "elements": repeat(n, func(int) any { return mrkdwn("c") })}}
		}},
		{"actions elements", 25, "/blocks/0/elements", func(n int) any {
			return []any{actions(repeat(n, func(i int) any { return button(fmt.Sprint("b", i), "B", "v") })...)}
		}},
		{"button text", 75, "/blocks/0/elements/0/text/text", func(n int) any {
			return []any{actions(button("b", str(n), "v"))}
		}},
		{"button value", 2000, "/blocks/0/elements/0/value", func(n int) any {
			return []any{actions(button("b", "B", str(n)))}
		}},
		{"action_id", 255, "/blocks/0/elements/0/action_id", func(n int) any {
			return []any{actions(button(str(n), "B", "v"))}
		}},
		{"block_id", 255, "/blocks/0/block_id", func(n int) any {
			return []any{obj{"type": "divider", "block_id": str(n)}}
		}},
		{"static_select options", 100, "/blocks/0/elements/0/options", func(n int) any {
			return []any{actions(obj{"type": "static_select", "action_id": "s", "options": options(n)})}
		}},
		{"multi_static_select options", 100, "/blocks/0/elements/0/options", func(n int) any {
			return []any{actions(obj{"type": "multi_static_select", "action_id": "s", "options": options(n)})}
		}},
		{"option text", 75, "/blocks/0/elements/0/options/0/text/text", func(n int) any {
			return []any{actions(obj{"type": "static_select", "action_id": "s", "options": []any{option(str(n), "v")}})}
		}},
		{"option value", 150, "/blocks/0/elements/0/options/0/value", func(n int) any {
			return []any{actions(obj{"type": "static_select", "action_id": "s", "options": []any{option("o", str(n))}})}
		}},
		{"select placeholder", 150, "/blocks/0/elements/0/placeholder/text", func(n int) any {
			return []any{actions(obj{"type": "static_select", "action_id": "s", "placeholder": plainText(str(n)), "options": options(1)})}
		}},
		{"overflow options", 5, "/blocks/0/elements/0/options", func(n int) any {
			return []any{actions(obj{"type": "overflow", "action_id": "o", "options": options(n)})}
		}},
		{"confirm title", 100, "/blocks/0/elements/0/confirm/title/text", func(n int) any {
			return []any{actions(with(button("b", "B", "v"), "confirm", confirm(str(n), "t", "y", "n")))}
		}},
		{"confirm text", 300, "/blocks/0/elements/0/confirm/text/text", func(n int) any {
			return []any{actions(with(button("b", "B", "v"), "confirm", confirm("T", str(n), "y", "n")))}
		}},
		{"confirm button", 30, "/blocks/0/elements/0/confirm/confirm/text", func(n int) any {
			return []any{actions(with(button("b", "B", "v"), "confirm", confirm("T", "t", str(n), "n")))}
		}},
		{"deny button", 30, "/blocks/0/elements/0/confirm/deny/text", func(n int) any {
			return []any{actions(with(button("b", "B", "v"), "confirm", confirm("T", "t", "y", str(n))))}
		}},
		{"modal title", 24, "/view/title/text", func(n int) any {
			return with(modal(), "title", plainText(str(n)))
		}},
		{"modal submit", 24, "/view/submit/text", func(n int) any {
			return with(modal(), "submit", plainText(str(n)))
		}},
		{"modal close", 24, "/view/close/text", func(n int) any {
			return with(modal(), "close", plainText(str(n)))
		}},
		{"private_metadata", 3000, "/view/private_metadata", func(n int) any {
			return with(modal(), "private_metadata", str(n))
		}},
		{"callback_id", 255, "/view/callback_id", func(n int) any {
			return with(modal(), "callback_id", str(n))
		}},
		{"input label", 2000, "/view/blocks/0/label/text", func(n int) any {
			return modal(with(input(obj{"type": "plain_text_input", "action_id": "t"}), "label", plainText(str(n))))
		}},
		{"input hint", 2000, "/view/blocks/0/hint/text", func(n int) any {
			return modal(with(input(obj{"type": "plain_text_input", "action_id": "t"}), "hint", plainText(str(n))))
		}},
		{"plain_text_input max_length", 3000, "/view/blocks/0/element/max_length", func(n int) any {
			return modal(input(obj{"type": "plain_text_input", "action_id": "t", "max_length": n}))
		}},
		{"plain_text_input min_length", 3000, "/view/blocks/0/element/min_length", func(n int) any {
			return modal(input(obj{"type": "plain_text_input", "action_id": "t", "min_length": n, "max_length": 3000}))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := check(t, c.make(c.limit)); err != nil {
				t.Errorf("at the limit %d: %v", c.limit, err)
			}
			err := check(t, c.make(c.limit+1))
			var be fakeslack.BlockErrors
			if !errors.As(err, &be) {
				t.Fatalf("over the limit %d: %v, want BlockErrors", c.limit, err)
			}
			if be[0].Pointer != c.ptr {
				t.Errorf("over the limit: %v, want pointer %s", err, c.ptr)
			}
		})
	}
}

func with(o obj, k string, v any) obj {
	out := obj{}
	for kk, vv := range o {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// The rules that are not lengths.
func TestBlockKitRules(t *testing.T) {
	sel := func(initial string) obj {
		return obj{"type": "static_select", "action_id": "s", "options": options(2), "initial_option": option("x", initial)}
	}
	for _, c := range []struct {
		name    string
		payload any
		ok      bool
	}{
		{"no blocks", nil, true},
		{"empty blocks", []any{}, true},
		{"not an array", obj{"blocks": 1}, false},
		{"block without a type", []any{obj{"text": mrkdwn("x")}}, false},
		{"duplicate block_id", []any{obj{"type": "divider", "block_id": "d"}, obj{"type": "divider", "block_id": "d"}}, false},
		{"duplicate action_id in a block", []any{actions(button("b", "B", "1"), button("b", "C", "2"))}, false},
		{"header in mrkdwn", []any{obj{"type": "header", "text": mrkdwn("x")}}, false},
		{"button text in mrkdwn", []any{actions(obj{"type": "button", "action_id": "b", "text": mrkdwn("B")})}, false},
		{"empty section text", []any{obj{"type": "section", "text": mrkdwn("")}}, false},
		{"section without text or fields", []any{obj{"type": "section"}}, false},
		{"unknown text type", []any{obj{"type": "section", "text": obj{"type": "html", "text": "x"}}}, false},
		{"button style", []any{actions(with(button("b", "B", "v"), "style", "green"))}, false},
		{"empty actions", []any{obj{"type": "actions", "elements": []any{}}}, false},
		{"initial option among the options", []any{actions(sel("v1"))}, true},
		{"initial option not among the options", []any{actions(sel("v9"))}, false},
		{"options and option_groups", []any{actions(obj{"type": "static_select", "action_id": "s", "options": options(1),
			"option_groups": []any{obj{"label": plainText("g"), "options": options(1)}}})}, false},
		{"option groups", []any{actions(obj{"type": "static_select", "action_id": "s",
			"option_groups": []any{obj{"label": plainText("g"), "options": options(100)}}})}, true},
		{"min_length over max_length", modal(input(obj{"type": "plain_text_input", "action_id": "t", "min_length": 5, "max_length": 4})), false},
		{"max_length 0", modal(input(obj{"type": "plain_text_input", "action_id": "t", "max_length": 0})), false},
		{"input in a modal without submit", obj{"type": "modal", "title": plainText("T"),
			"blocks": []any{input(obj{"type": "plain_text_input", "action_id": "t"})}}, false},
		{"modal without a title", obj{"type": "modal", "blocks": []any{}}, false},
		{"unknown view type", obj{"type": "workflow_step", "blocks": []any{}}, false},
		{"a modal with null blocks", obj{"type": "modal", "title": plainText("T"), "blocks": nil}, true},
		{"unknown block types pass", []any{obj{"type": "rich_text", "elements": []any{}}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := check(t, c.payload)
			if (err == nil) != c.ok {
				t.Errorf("err = %v, want ok=%v", err, c.ok)
			}
		})
	}

	big := with(modal(), "private_metadata", strings.Repeat("x", 251*1024))
	if err := fakeslack.CheckView(mustJSON(t, big)); !errors.Is(err, fakeslack.ErrViewTooLarge) {
		t.Errorf("a 251 KB view: %v", err)
	}
	// What slack-go's builders make for the bot passes.
	if err := fakeslack.CheckBlocks(mustJSON(t, buttons())); err != nil {
		t.Errorf("approval buttons: %v", err)
	}
}

// The Web API methods answer like Slack when blocks break the limits:
// invalid_blocks with every problem in response_metadata.messages, and
// nothing posted or changed.
func TestBlockKitOnTheWire(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)

	long := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, str(3001), false, false), nil, nil)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(long))
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "invalid_blocks" || len(serr.ResponseMetadata.Messages) != 1 ||
		serr.ResponseMetadata.Messages[0] != "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]" {
		t.Fatalf("post with a 3001-character section: %#v", err)
	}
	if len(fake.Messages()) != 0 {
		t.Errorf("messages = %+v", fake.Messages())
	}

	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(buttons()...))
	if err != nil {
		t.Fatal(err)
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, str(151), false, false))
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionBlocks(header)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("update with a 151-character header: %v", err)
	}
	if m, _ := fake.Message("C1", ts); m.Updates != 0 || !strings.Contains(string(m.Blocks), "approve") {
		t.Errorf("message after a refused update: %+v", m)
	}
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionBlocks(many...)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("ephemeral with 51 blocks: %v", err)
	}

	// Text over 40,000 characters is cut, posted, and warned about (slack-go's
	// chat methods do not pass the warning on; Call.Warnings has it).
	_, ts, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText(str(40001), false))
	if err != nil {
		t.Fatalf("long text: %v", err)
	}
	if m, _ := fake.Message("C1", ts); len(m.Text) != 40000 {
		t.Errorf("kept %d characters", len(m.Text))
	}
	calls := fake.Calls("chat.postMessage")
	if w := calls[len(calls)-1].Warnings; len(w) != 1 || w[0] != "message_truncated" {
		t.Errorf("warnings = %v", w)
	}
}

// A response_url refuses invalid blocks with HTTP 400, as incoming webhooks
// do, and changes nothing.
func TestBlockKitOnResponseURL(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	urls := make(chan string, 1)
	startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = c.Ack(*evt.Request)
			urls <- evt.Data.(slack.SlashCommand).ResponseURL
		}
	})
	ctx := timeout(t, 5*time.Second)
	if _, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs"}); err != nil {
		t.Fatal(err)
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "not plain", false, false))
	_, _, err := slack.New("unused").PostMessageContext(ctx, "", slack.MsgOptionResponseURL(<-urls, slack.ResponseTypeInChannel), slack.MsgOptionBlocks(header))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusBadRequest {
		t.Errorf("response_url with a mrkdwn header: %v", err)
	}
	if calls := fake.Calls("response_url"); len(calls) != 1 || calls[0].Error != "invalid_blocks" {
		t.Errorf("calls = %+v", calls)
	}
	if len(fake.Messages()) != 0 {
		t.Errorf("messages = %+v", fake.Messages())
	}
}
