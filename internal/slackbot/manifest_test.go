package slackbot

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The Slack app manifest enables what the bot uses: the slash command,
// interactivity, Socket Mode, the Home tab and its event, and the scopes
// of every Web API method it calls.
func TestManifestEnablesWhatTheBotUses(t *testing.T) {
	b, err := os.ReadFile("../../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Features.AppHome.Home || !m.Features.AppHome.Messages {
		t.Errorf("app_home: %+v, want the Home and Messages tabs", m.Features.AppHome)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/dcs" {
		t.Errorf("slash commands %+v", m.Features.SlashCommands)
	}
	for _, s := range []string{"commands", "chat:write", "usergroups:read", "im:write"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("no bot scope %s in %v", s, m.OAuth.Scopes.Bot)
		}
	}
	if !slices.Equal(m.Settings.Events.Bot, []string{"app_home_opened"}) {
		t.Errorf("bot events %v, want [app_home_opened]", m.Settings.Events.Bot)
	}
	if !m.Settings.Interactivity.Enabled || !m.Settings.SocketMode {
		t.Errorf("settings %+v", m.Settings)
	}
}
