package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSecret writes a secret file and returns its path.
func writeSecret(t *testing.T, contents string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(contents), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSecretsFromEnvironment(t *testing.T) {
	cfg, err := os.ReadFile("testdata/valid_minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	unreadable := writeSecret(t, fakeBotToken, 0o000)
	if f, err := os.Open(unreadable); err == nil {
		f.Close()
		unreadable = t.TempDir() // running as root: a directory cannot be read either
	}
	missing := filepath.Join(t.TempDir(), "missing")

	tests := []struct {
		name string
		env  func(env map[string]string)
		want string // exact error; "" means success
		bot  string // the bot token expected on success
	}{
		{
			name: "plain environment",
			env:  func(map[string]string) {},
			bot:  fakeBotToken,
		},
		{
			name: "file with surrounding whitespace",
			env: func(env map[string]string) {
				delete(env, "SLACK_BOT_TOKEN")
				env["SLACK_BOT_TOKEN_FILE"] = writeSecret(t, "\n  "+fakeBotToken+" \r\n\n", 0o600)
			},
			bot: fakeBotToken,
		},
		{
			name: "empty variable with a file beside it",
			env: func(env map[string]string) {
				env["SLACK_BOT_TOKEN"] = ""
				env["SLACK_BOT_TOKEN_FILE"] = writeSecret(t, fakeBotToken, 0o600)
			},
			bot: fakeBotToken,
		},
		{
			name: "both set",
			env: func(env map[string]string) {
				env["SLACK_BOT_TOKEN_FILE"] = writeSecret(t, fakeBotToken, 0o600)
				env["CLOUD_SDK_SK_FILE"] = writeSecret(t, fakeSecretKey, 0o600)
			},
			want: `CLOUD_SDK_SK: set only one of CLOUD_SDK_SK and CLOUD_SDK_SK_FILE
SLACK_BOT_TOKEN: set only one of SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE`,
		},
		{
			name: "missing and empty",
			env: func(env map[string]string) {
				delete(env, "SLACK_APP_TOKEN")
				env["CLOUD_SDK_AK"] = ""
			},
			want: `CLOUD_SDK_AK: required: set CLOUD_SDK_AK or CLOUD_SDK_AK_FILE
SLACK_APP_TOKEN: required: set SLACK_APP_TOKEN or SLACK_APP_TOKEN_FILE`,
		},
		{
			name: "file empty after trimming",
			env: func(env map[string]string) {
				delete(env, "CLOUD_SDK_AK")
				env["CLOUD_SDK_AK_FILE"] = writeSecret(t, " \n\t\n", 0o600)
			},
			want: `CLOUD_SDK_AK_FILE: the file "` + "FILE" + `" is empty`,
		},
		{
			name: "unreadable file",
			env: func(env map[string]string) {
				delete(env, "SLACK_BOT_TOKEN")
				env["SLACK_BOT_TOKEN_FILE"] = unreadable
			},
			want: "SLACK_BOT_TOKEN_FILE: cannot read the secret file: ",
		},
		{
			name: "missing file",
			env: func(env map[string]string) {
				delete(env, "SLACK_BOT_TOKEN")
				env["SLACK_BOT_TOKEN_FILE"] = missing
			},
			want: "SLACK_BOT_TOKEN_FILE: cannot read the secret file: open " + missing + ": no such file or directory",
		},
		{
			name: "wrong prefixes",
			env: func(env map[string]string) {
				env["SLACK_APP_TOKEN"] = fakeBotToken // swapped
				delete(env, "SLACK_BOT_TOKEN")
				env["SLACK_BOT_TOKEN_FILE"] = writeSecret(t, fakeAppToken+"\n", 0o600)
			},
			want: `SLACK_APP_TOKEN: the value must start with "xapp-"
SLACK_BOT_TOKEN_FILE: the file's contents must start with "xoxb-"`,
		},
		{
			name: "whitespace inside",
			env: func(env map[string]string) {
				env["CLOUD_SDK_SK"] = fakeSecretKey + " "
				delete(env, "CLOUD_SDK_AK")
				env["CLOUD_SDK_AK_FILE"] = writeSecret(t, fakeAccessKey+"\n"+fakeAccessKey, 0o600)
			},
			want: `CLOUD_SDK_AK_FILE: the file's contents must not contain whitespace or control characters
CLOUD_SDK_SK: the value must not contain whitespace or control characters`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := goodEnv()
			tt.env(env)
			c, err := Parse(cfg, envOf(env))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := c.Secrets.SlackBotToken.Reveal(); got != tt.bot {
					t.Errorf("bot token %q, want %q", got, tt.bot)
				}
				return
			}
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			got := err.Error()
			want := strings.ReplaceAll(tt.want, `"FILE"`, fmt.Sprintf("%q", env["CLOUD_SDK_AK_FILE"]))
			if strings.HasSuffix(want, ": ") {
				if !strings.HasPrefix(got, want) || strings.Contains(got, "\n") {
					t.Errorf("error:\n%s\nwant one line starting:\n%s", got, want)
				}
			} else if got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			assertNoLeak(t, got)
		})
	}
}

func TestSecretRedacted(t *testing.T) {
	s := Secret(fakeBotToken)
	type holder struct {
		Token Secret
		Name  string
	}
	h := holder{s, "bot"}
	for _, f := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x", "%X", "%d", "%10s", "%-8v", "%T"} {
		for _, arg := range []any{s, &s, h, &h, []Secret{s}, map[string]Secret{"k": s}} {
			got := fmt.Sprintf(f, arg)
			if strings.Contains(got, fakeBotToken) || strings.Contains(got, "c0ffee") || strings.Contains(got, "7830") {
				t.Errorf("Sprintf(%q, %T) = %s", f, arg, got)
			}
		}
	}
	if got := fmt.Sprintf("%v %s %q %#v", s, s, s, s); got != `[REDACTED] [REDACTED] "[REDACTED]" [REDACTED]` {
		t.Errorf("got %s", got)
	}
	if got := fmt.Sprint(s) + s.String() + s.GoString(); got != `[REDACTED][REDACTED]config.Secret("[REDACTED]")` {
		t.Errorf("got %s", got)
	}

	// (Not as a map key: encoding/json writes string-kinded keys as they
	// are. Nothing should key a map by a secret.)
	b, err := json.Marshal(map[string]any{"h": h, "s": s, "l": []Secret{s}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"h":{"Token":"[REDACTED]","Name":"bot"},"l":["[REDACTED]"],"s":"[REDACTED]"}`; string(b) != want {
		t.Errorf("json %s, want %s", b, want)
	}
	if txt, _ := s.MarshalText(); string(txt) != Redacted {
		t.Errorf("MarshalText %s", txt)
	}

	var buf bytes.Buffer
	for _, l := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&buf, nil)),
		slog.New(slog.NewJSONHandler(&buf, nil)),
	} {
		l.Info("start", "token", s, "group", slog.GroupValue(slog.Any("t", s)), slog.Any("h", h))
		l.With("token", s).Info("with")
	}
	out := buf.String()
	if strings.Contains(out, "c0ffee") || strings.Count(out, Redacted) != 8 {
		t.Errorf("slog output:\n%s", out)
	}

	if s.Reveal() != fakeBotToken || Secret("").Reveal() != "" {
		t.Error("Reveal/IsZero")
	}

	// Secrets and a Config print redacted too.
	c := Default()
	c.Secrets = Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: fakeAccessKey, SecretKey: fakeSecretKey}
	c.Store.DSN = "postgres://u:hunter2@db/x"
	for _, f := range []string{"%v", "%+v", "%#v"} {
		assertNoLeak(t, fmt.Sprintf(f, c))
	}
	jb, _ := json.Marshal(c)
	assertNoLeak(t, string(jb))
}

// SecretValues holds every secret's value and a postgres DSN's passwords,
// in either form, and not a SQLite file name.
func TestSecretValues(t *testing.T) {
	base := func() *Config {
		c := Default()
		c.Secrets = Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: "AK-value-1", SecretKey: "SK-value-1"}
		return c
	}
	tests := []struct {
		name      string
		edit      func(c *Config)
		want, not []string
	}{
		{"sqlite", func(c *Config) { c.Store.DSN = "/var/lib/dcsbot/dcsbot.db" },
			[]string{fakeAppToken, fakeBotToken, "AK-value-1", "SK-value-1"}, []string{"/var/lib/dcsbot/dcsbot.db"}},
		{"webhook secret", func(c *Config) { c.Secrets.AuditWebhookKey = fakeAuditKey }, []string{fakeAuditKey}, nil},
		{"postgres URL", func(c *Config) {
			c.Store = Store{Driver: StorePostgres, DSN: "postgres://bot:p%40ss-url@db:5432/dcsbot?password=query-pass&sslmode=require"}
		}, []string{"p@ss-url", "query-pass"}, nil},
		{"postgres key=value", func(c *Config) {
			c.Store = Store{Driver: StorePostgres, DSN: `host=db user=bot password = 'kv pass\'word' dbname=dcsbot`}
		}, []string{`kv pass'word`}, []string{"db", "bot", "dcsbot"}},
		{"postgres key=value, bare", func(c *Config) {
			c.Store = Store{Driver: StorePostgres, DSN: `password=bare\ pass host=db`}
		}, []string{"bare pass"}, []string{"db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(c)
			got := c.SecretValues()
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("SecretValues() = %q, lacks %q", got, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("SecretValues() = %q, holds %q", got, n)
				}
			}
			if c.Store.Driver == StorePostgres && !slices.Contains(got, c.Store.DSN.Reveal()) {
				t.Errorf("SecretValues() = %q, lacks the postgres DSN", got)
			}
		})
	}
}

// Every secret of the table is in SecretVars, and only the webhook's is
// conditional.
func TestSecretVars(t *testing.T) {
	var names []string
	for _, v := range SecretVars() {
		names = append(names, v.Name)
		if (v.When != "") != (v.Name == EnvAuditWebhook) {
			t.Errorf("%s: when %q", v.Name, v.When)
		}
	}
	want := []string{EnvSlackAppToken, EnvSlackBotToken, EnvAccessKey, EnvSecretKey, EnvAuditWebhook}
	if !slices.Equal(names, want) {
		t.Errorf("SecretVars() = %v, want %v", names, want)
	}
}
