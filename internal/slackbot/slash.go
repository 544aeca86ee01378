package slackbot

import (
	"context"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// slash answers a /dcs command. What needs no I/O (parsing, channel and
// requester policy, the instance allow-list) is decided here, before the
// ack, so a refusal rides in the ack itself and reaches the user even in a
// channel the bot is not in. The rest is returned as work for the pool;
// its answer goes to the user through the command's response_url.
func (l *Listener) slash(cmd slack.SlashCommand) (string, func(context.Context)) {
	if l.closing.Load() {
		l.p.Observer.Command("unknown", "refused")
		return "The bot is restarting. Please try again in a few seconds.", nil
	}
	parsed, err := commands.Parse(cmd.Text, commands.Options{MaxAddrs: l.p.MaxAddrs})
	if err != nil {
		l.p.Observer.Command("invalid", "refused")
		return userMessage(l.log, err), nil
	}
	sub := parsed.Name()
	refused := func(err error) (string, func(context.Context)) {
		l.p.Observer.Command(sub, "refused")
		return userMessage(l.log, err), nil
	}
	// answer runs fn after the ack and sends its text (or its refusal) to
	// the user alone.
	answer := func(fn func(ctx context.Context) (string, error)) (string, func(context.Context)) {
		return "", func(ctx context.Context) {
			text, err := fn(ctx)
			if err != nil {
				l.p.Observer.Command(sub, outcomeOf(err))
				text = userMessage(l.log.With("user", cmd.UserID, "subcommand", sub), err)
			} else {
				l.p.Observer.Command(sub, "ok")
			}
			if text != "" {
				l.reply(ctx, cmd, text)
			}
		}
	}
	switch c := parsed.(type) {
	case commands.Help:
		l.p.Observer.Command("help", "ok")
		return escape(commands.UsageFor(c.Topic)), nil
	case commands.Kill:
		k := approvals.KillRequest{User: cmd.UserID, Channel: cmd.ChannelID, Instance: c.Instance,
			Node: c.Node, Addrs: c.Addrs, Reason: c.Reason}
		if _, err := l.p.Service.Precheck(k); err != nil {
			return refused(err)
		}
		return answer(func(ctx context.Context) (string, error) { return l.submit(ctx, k) })
	case commands.KillAll:
		k := approvals.KillRequest{User: cmd.UserID, Channel: cmd.ChannelID, Instance: c.Instance,
			Node: c.Node, AllNodes: c.AllNodes, Reason: c.Reason, KillAll: true}
		if _, err := l.p.Service.Precheck(k); err != nil {
			return refused(err)
		}
		return answer(func(ctx context.Context) (string, error) { return l.submit(ctx, k) })
	case commands.Clients:
		return answer(func(ctx context.Context) (string, error) {
			v, err := l.p.Service.Clients(ctx, approvals.ClientsQuery{User: cmd.UserID, Channel: cmd.ChannelID,
				Instance: c.Instance, Node: c.Node, Filter: c.Filter, FilterIsAddr: c.FilterIsAddrPrefix(), Sort: c.Sort})
			if err != nil {
				return "", err
			}
			return clientsText(v, c.Filter, c.Sort), nil
		})
	case commands.Nodes:
		return answer(func(ctx context.Context) (string, error) {
			v, err := l.p.Service.Nodes(ctx, cmd.UserID, cmd.ChannelID, c.Instance)
			if err != nil {
				return "", err
			}
			return nodesText(v), nil
		})
	case commands.Cancel:
		return answer(func(ctx context.Context) (string, error) {
			if err := l.p.Service.Cancel(ctx, c.ID, cmd.UserID); err != nil {
				return "", err
			}
			return "Request `" + c.ID + "` is cancelled; nothing was killed.", nil
		})
	case commands.Status:
		if err := l.p.Service.CheckChannel(cmd.ChannelID); err != nil {
			return refused(err)
		}
		return answer(func(ctx context.Context) (string, error) {
			r, evs, err := l.p.Service.Status(ctx, c.ID)
			if err != nil {
				return "", err
			}
			return statusText(r, evs), nil
		})
	case commands.History:
		if err := l.p.Service.CheckChannel(cmd.ChannelID); err != nil {
			return refused(err)
		}
		return answer(func(ctx context.Context) (string, error) {
			rs, err := l.p.Service.History(ctx, c.Instance, c.Limit)
			if err != nil {
				return "", err
			}
			return historyText(rs, c.Instance), nil
		})
	}
	l.p.Observer.Command("unknown", "refused")
	return escape(commands.Usage()), nil
}

// submit records a kill request; its approval message is the answer, so
// the user gets no other reply on success.
func (l *Listener) submit(ctx context.Context, k approvals.KillRequest) (string, error) {
	r, err := l.p.Service.Submit(ctx, k)
	if err != nil {
		return "", err
	}
	l.log.Info("kill requested", "request_id", r.ID, "user", k.User, "kind", r.Kind)
	return "", nil
}

// reply answers a slash command to its user alone: through the command's
// response_url, which works in any channel, or chat.postEphemeral.
func (l *Listener) reply(ctx context.Context, cmd slack.SlashCommand, text string) {
	if cmd.ResponseURL != "" {
		err := slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
		if err == nil {
			return
		}
		l.log.Warn("reply through response_url; trying chat.postEphemeral", "err", err)
	}
	l.tell(ctx, cmd.ChannelID, cmd.UserID, text)
}
