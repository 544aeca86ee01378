package slackbot

import (
	"context"

	"dcsbot/internal/commands"
)

// canceller is what /dcs cancel needs of the lifecycle.
type canceller interface {
	Cancel(ctx context.Context, id, user string) error
}

// Cancel answers /dcs cancel: the requester withdraws a pending request.
func (h *Commands) Cancel(in Input, c commands.Cancel, svc canceller) Answer {
	return Answer{Later: func(ctx context.Context) (text, error) {
		if err := svc.Cancel(ctx, c.ID, in.User); err != nil {
			return "", err
		}
		return textf("Request %s is cancelled; nothing was killed.", id(c.ID)), nil
	}}
}
