package slackbot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
	"dcsbot/internal/requestid"
)

// userMessage turns an error into what the user reads: a refusal or a
// parse error in words; a DCS answer with its code; anything else is a
// fault, logged with a reference the user can quote, never pasted raw.
func userMessage(log *slog.Logger, err error) text {
	var ref *approvals.Refusal
	if errors.As(err, &ref) {
		return refusalText(ref)
	}
	var ue *commands.UsageError
	if errors.As(err, &ue) {
		return escapeBot(ue.Error())
	}
	var de *approvals.DCSError
	if errors.As(err, &de) {
		log.Warn("DCS refused a read", "err", err)
		return dcsAnswer(de.Code, de.HTTPStatus, de.Message, de.RequestID)
	}
	var ex approvals.Explainer
	if errors.As(err, &ex) {
		log.Warn("DCS read failed", "err", err)
		return textf("That did not work: %s. Nothing was changed; try again in a moment.",
			outside(ex.Explain()).clause(capLine, ""))
	}
	code := requestid.New()
	log.Error("request failed", "ref", code, "err", err)
	return textf("Sorry, that did not work because of a problem on the bot's side (reference %s). "+
		"Nothing was changed. Try again in a moment; if it keeps failing, give the bot's operators the reference.", outside(code).code(capWord))
}

// outcomeOf names an error for the commands metric.
func outcomeOf(err error) string {
	var ref *approvals.Refusal
	if errors.As(err, &ref) {
		return "refused"
	}
	return "error"
}

// reply answers a slash command to its user alone: through the command's
// response_url, which works in any channel, or chat.postEphemeral.
func (l *Listener) reply(ctx context.Context, in Input, t text) {
	if in.ResponseURL != "" {
		err := l.p.Client.postWebhook(ctx, in.ResponseURL, &slack.WebhookMessage{Text: string(t), ResponseType: slack.ResponseTypeEphemeral})
		if err == nil {
			return
		}
		l.log.Warn("reply through response_url; trying chat.postEphemeral", "err", err)
	}
	l.tell(ctx, in.Channel, in.User, t)
}

func (l *Listener) tell(ctx context.Context, channel, user string, t text) {
	if err := l.p.Ephemeral.Ephemeral(ctx, channel, user, t); err != nil {
		l.log.Error("tell user", "user", user, "channel", channel, "err", err)
	}
}
