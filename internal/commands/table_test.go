package commands

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The full usage and every help topic are byte for byte the texts in
// testdata/usage: the table derives them, and the derivation must not drift.
func TestUsageGolden(t *testing.T) {
	golden := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "usage", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := Usage(), golden("usage"); got != want {
		t.Errorf("Usage() differs from testdata/usage/usage.txt:\n%s\n--- want\n%s", got, want)
	}
	n := 0
	for _, s := range subcommands {
		if !s.hasTopic() {
			continue
		}
		n++
		if got, want := UsageFor(s.name), golden(s.name); got != want {
			t.Errorf("UsageFor(%q) differs from testdata/usage/%s.txt:\n%s\n--- want\n%s", s.name, s.name, got, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "usage", "*.txt"))
	if len(files) != n+1 {
		t.Errorf("testdata/usage has %d files, want one per topic and usage.txt (%d)", len(files), n+1)
	}
	if KillUsage != `Usage: /dcs kill <instance> [<node> | --all-nodes] [<addr>...] [--name <text>] [--ip <address-or-prefix>] [--cmd <command>] [--idle-over <duration>] [--reason "text"]` {
		t.Errorf("KillUsage = %q", KillUsage)
	}
}

// ping is the typed command of the subcommand TestPingRecipe adds.
type ping struct {
	Instance string
	Within   time.Duration
}

func (ping) Name() string { return "ping" }

// pingSpec is the one table entry the recipe in the package comment asks
// for, with a flag of a kind no subcommand uses yet.
var pingSpec = &spec{
	name:         "ping",
	help:         "Checks that the bot can reach an instance.\n" + instanceHelp,
	examples:     []string{"ping orders-prod", "ping orders-prod --within 5s"},
	usageExample: "ping orders-prod",
	takes:        "takes only the instance",
	args:         []argSpec{instanceArg(false)},
	flags:        []*flagSpec{withinFlag},
	build: func(v parsed) (Command, error) {
		return ping{Instance: v.str("instance"), Within: v.duration(withinFlag.name)}, nil
	},
}

var withinFlag = durationFlag("--within", time.Second, time.Minute)

// A subcommand added as one table entry (and its type) is parsed, listed
// and helped with like the others, and the others are unchanged.
func TestPingRecipe(t *testing.T) {
	specs := append(append([]*spec{}, subcommands[:len(subcommands)-1]...), pingSpec, subcommands[len(subcommands)-1])
	tab := newTable(specs, overview)
	parse := func(text string) (Command, error) { return tab.newParser(Options{}).run(text) }

	line := "Usage: /dcs ping <instance> [--within <duration>]"
	for _, want := range []string{
		"       /dcs history [<instance>] [--limit N]\n       /dcs ping <instance> [--within <duration>]\n       /dcs help [<subcommand>]\n",
		"• `/dcs history orders-prod --limit 20`\n• `/dcs ping orders-prod`\n• `/dcs help clients`",
	} {
		if !strings.Contains(tab.usage, want) {
			t.Errorf("usage lacks %q:\n%s", want, tab.usage)
		}
	}
	if got := strings.Replace(tab.usage, "       /dcs ping <instance> [--within <duration>]\n", "", 1); strings.Replace(got, "\n• `/dcs ping orders-prod`", "", 1) != Usage() {
		t.Errorf("usage with ping is not the usage plus ping's line and example:\n%s", tab.usage)
	}
	topic := "```\n" + line + "\n```\n" + pingSpec.help + "\nExamples:\n• `/dcs ping orders-prod`\n• `/dcs ping orders-prod --within 5s`"
	if got := tab.usageFor("PING"); got != topic {
		t.Errorf("usageFor(ping) =\n%s\nwant\n%s", got, topic)
	}

	valid := []struct {
		text string
		want Command
	}{
		{"ping Orders-Prod", ping{Instance: "orders-prod"}},
		{"PING --within=45s orders-prod", ping{Instance: "orders-prod", Within: 45 * time.Second}},
		{"ping orders-prod \u2014within 1M", ping{Instance: "orders-prod", Within: time.Minute}},
		{"help ping", Help{Topic: "ping"}},
		{"ping -h", Help{Topic: "ping"}},
		{"history --limit 3", History{Limit: 3}},
		{"kill orders-prod #1 10.0.0.5:1", kill1(index(1), "")},
	}
	for _, tt := range valid {
		got, err := parse(tt.text)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parse(%q) = %#v, %v; want %#v", tt.text, got, err, tt.want)
		}
	}

	refused := []struct{ text, want string }{
		{"ping", "`/dcs ping` is missing the instance (argument 2): give an instance alias or ID.\n" + line},
		{"ping a b", "`/dcs ping` takes only the instance, but argument 3 (`b`) is extra.\n" + line},
		{"ping .a", "Argument 2: `.a` is not an instance alias or ID"},
		{"ping a --reason x", "Argument 3: `/dcs ping` does not take `--reason`; it takes only `--within`.\n" + line},
		{"ping a --within", "Argument 3: `--within` needs a value after it, a duration like `10m` or `1h30m`.\n" + line},
		{"ping a --within 2m", "Argument 4: `--within` must be at most `1m`, not `2m`.\n" + line},
		{"ping a --within=5s --within=6s", "Argument 4: `--within` is given twice; give it once.\n" + line},
		{"kill a 0 1.2.3.4:5 --within 5s", "Argument 5: `/dcs kill` does not take `--within`; it takes `--all-nodes`, `--name`, `--ip`, `--cmd`, `--idle-over` and `--reason`."},
		{"--within 5s ping", "Argument 1: `--within` goes after the subcommand; a command starts with one of " +
			"`kill`, `kill-all`, `clients`, `nodes`, `status`, `cancel`, `pending`, `history`, `ping` and `help`."},
		{"pong a", "the subcommands are `kill`, `kill-all`, `clients`, `nodes`, `status`, `cancel`, `pending`, `history`, `ping` and `help`."},
		{"help pong", "There is no help topic `pong`; the topics are `kill`, `kill-all`, `clients`, `nodes`, `status`, `cancel`, `pending`, `history`, `ping` and `help`."},
	}
	for _, tt := range refused {
		_, err := parse(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v\nwant it to contain\n%s", tt.text, err, tt.want)
		}
	}

	// The default table knows nothing of ping.
	if _, err := Parse("ping orders-prod", Options{}); err == nil || !strings.Contains(err.Error(), "unknown subcommand `ping`") {
		t.Errorf("Parse(ping) = %v, want unknown subcommand", err)
	}
}

// newTable refuses a malformed table, naming the problem.
func TestNewTableRefuses(t *testing.T) {
	build := func(parsed) (Command, error) { return Help{}, nil }
	help := &spec{name: helpName, takes: "takes nothing", build: build}
	sw := switchFlag("--all")
	tests := []struct {
		name  string
		specs []*spec
		want  string
	}{
		{"no help", []*spec{{name: "a", takes: "x", build: build}}, "no help subcommand"},
		{"twice", []*spec{{name: "a", takes: "x", build: build}, {name: "a", takes: "x", build: build}, help}, "declared twice"},
		{"upper case", []*spec{{name: "A", takes: "x", build: build}, help}, "lower-case name"},
		{"flag-like name", []*spec{{name: "-a", takes: "x", build: build}, help}, "lower-case name"},
		{"no build", []*spec{{name: "a", takes: "x"}, help}, "and a build"},
		{"no takes", []*spec{{name: "a", args: []argSpec{instanceArg(false)}, build: build}, help}, "needs takes"},
		{"two flags, one name", []*spec{{name: "a", takes: "x", build: build, flags: []*flagSpec{switchFlag("--x")}},
			{name: "b", takes: "x", build: build, flags: []*flagSpec{switchFlag("--x")}}, help}, "two different flags named --x"},
		{"flag repeated", []*spec{{name: "a", takes: "x", build: build, flags: []*flagSpec{sw, sw}}, help}, "flag \"--all\" repeated"},
		{"short flag", []*spec{{name: "a", takes: "x", build: build, flags: []*flagSpec{switchFlag("-x")}}, help}, "not a lower-case --name"},
		{"argument repeated", []*spec{{name: "a", takes: "x", build: build, args: []argSpec{instanceArg(false), instanceArg(true)}}, help}, "repeated"},
		{"required without missing", []*spec{{name: "a", takes: "x", build: build, args: []argSpec{{name: "n", min: 1, max: 1, read: wordArg("n").read}}}, help}, "without read or missing"},
		{"usage not derivable", []*spec{{name: "a", takes: "x", build: build, args: []argSpec{{name: "n", max: 2, read: wordArg("n").read}}}, help}, "usage spelled out"},
		{"orFlag not a flag of the spec", []*spec{{name: "a", takes: "x", build: build, args: []argSpec{nodeOrAllArg(sw)}}, help}, "orFlag"},
		{"orFlag with a value", []*spec{{name: "a", takes: "x", build: build, flags: []*flagSpec{limitFlag}, args: []argSpec{nodeOrAllArg(limitFlag)}}, help}, "orFlag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("newTable panicked with %q, want %q", msg, tt.want)
				}
			}()
			newTable(tt.specs, "")
		})
	}
}

// Every example in the table parses to its own subcommand; every
// subcommand has a usage example, and those with a topic have examples.
func TestTableExamples(t *testing.T) {
	for _, s := range subcommands {
		exs := append([]string{s.usageExample}, s.examples...)
		if s.usageExample == "" || s.hasTopic() != (len(s.examples) > 0) {
			t.Errorf("%s: usage example %q, %d examples", s.name, s.usageExample, len(s.examples))
		}
		for _, e := range exs {
			cmd, err := Parse(e, Options{})
			if err != nil || cmd.Name() != s.name {
				t.Errorf("%s: example %q parses to %#v, %v", s.name, e, cmd, err)
			}
		}
	}
}

func TestParseDuration(t *testing.T) {
	const lo, hi = time.Second, 30 * 24 * time.Hour
	valid := map[string]time.Duration{
		"1s": time.Second, "90s": 90 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute,
		"1H30M": 90 * time.Minute, "1.5h": 90 * time.Minute, ".5m": 30 * time.Second, "+10m": 10 * time.Minute,
		"720h": hi, "1000ms": time.Second,
	}
	for s, want := range valid {
		if got, problem := parseDuration(s, lo, hi); got != want || problem != "" {
			t.Errorf("parseDuration(%q) = %v, %q; want %v", s, got, problem, want)
		}
	}
	notDuration := "a duration: a number and a unit (`s`, `m` or `h`), like `90s`, `10m` or `1h30m`"
	refused := map[string]string{
		"":       notDuration,
		"10":     notDuration,
		"1d":     notDuration,
		"ten m":  notDuration,
		"1h-5m":  notDuration,
		"99999h": "at most `720h`",
		// Beyond what a time.Duration holds (about 292 years).
		"3000000h": notDuration,
		"0":        "longer than zero",
		"0s":       "longer than zero",
		"-0s":      "longer than zero",
		"-5m":      "longer than zero",
		"999ms":    "at least `1s`",
		"1ns":      "at least `1s`",
		"720h1s":   "at most `720h`",
	}
	for s, want := range refused {
		if got, problem := parseDuration(s, lo, hi); got != 0 || problem != want {
			t.Errorf("parseDuration(%q) = %v, %q; want %q", s, got, problem, want)
		}
	}
}

// Names lists every subcommand of the table, in help's order.
func TestNamesList(t *testing.T) {
	want := []string{"kill", "kill-all", "clients", "nodes", "status", "cancel", "pending", "history", "help"}
	if got := Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range Names() {
		if s := defaultTable.lookup(n); s == nil || s.name != n {
			t.Errorf("%s: not in the table", n)
		}
	}
}
