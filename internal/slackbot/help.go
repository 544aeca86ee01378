package slackbot

import "dcsbot/internal/commands"

// Help answers /dcs help [subcommand] (and a bare /dcs) in the ack.
func (h *Commands) Help(_ Input, c commands.Help) Answer {
	return Answer{Now: escapeBot(commands.UsageFor(c.Topic))}
}
