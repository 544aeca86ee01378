package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Parse: it must never panic, a failure
// must be Problems with a key and a message on each line, a secret must
// never show, and a success must be a config the rest of the bot can use.
func FuzzLoad(f *testing.F) {
	// The fixtures seed it, per-instance policies (valid_overrides.yaml,
	// instance_policy_*.yaml) included.
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../../config.example.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	env := envOf(goodEnv())
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, env)
		if err != nil {
			if c != nil {
				t.Fatal("a config returned with an error")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %q: want non-empty Problems", err, err)
			}
			for _, p := range ps {
				if p.Key == "" || p.Message == "" || strings.ContainsAny(p.Key+p.Message, "\r\n") {
					t.Fatalf("bad problem %q", p)
				}
			}
			if got := err.Error(); strings.Count(got, "\n") != len(ps)-1 {
				t.Fatalf("%d problems but error text:\n%s", len(ps), got)
			}
			for _, s := range leaks[:4] {
				if !bytes.Contains(data, []byte(s)) && strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret:\n%s", err)
				}
			}
			return
		}
		if c == nil {
			t.Fatal("nil config and nil error")
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		targets := c.InstanceTargets()
		if len(targets) == 0 {
			t.Fatal("no instances")
		}
		for alias, tg := range targets {
			if tg.Alias != alias || tg.ID == "" || tg.Region == "" || tg.ProjectID == "" || tg.Endpoint == "" {
				t.Fatalf("unresolved target %+v", tg)
			}
			// Every instance's effective policy is one the global policy
			// could have been.
			pol := policyFor(c, alias)
			var p problems
			checkPolicy(&p, "policy", pol)
			if err := p.err(); err != nil {
				t.Fatalf("accepted an instance policy %+v:\n%v", pol, err)
			}
			if !reflect.DeepEqual(tg.Policy, pol) {
				t.Fatalf("target policy %+v, PolicyFor %+v", tg.Policy, pol)
			}
		}
		if _, err := ParseSchedule(c.Schedule.Sweep); err != nil {
			t.Fatalf("accepted sweep %q: %v", c.Schedule.Sweep, err)
		}
		if r := c.Schedule.Remind; r != "" {
			if _, err := ParseSchedule(r); err != nil {
				t.Fatalf("accepted remind %q: %v", r, err)
			}
		}
		if !strings.HasSuffix(c.Slack.APIURL, "/") || c.Policy.TTL.Duration <= 0 || c.HuaweiCloud.Timeout.Duration <= 0 || c.ShutdownTimeout.Duration <= 0 {
			t.Fatalf("accepted %+v", c)
		}
	})
}
