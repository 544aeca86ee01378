package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Fake secrets: distinctive, so a test can tell if one leaks into a message.
const (
	fakeAppToken  = "xapp-1-A0FAKE-1-c0ffee5ecretapp"
	fakeBotToken  = "xoxb-1-2-c0ffee5ecretbot"
	fakeAccessKey = "AKFAKEC0FFEE5ECRET00"
	fakeSecretKey = "SKFAKEc0ffee5ecret0000000000000000000000"
)

// envOf is a lookupEnv over a map.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func goodEnv() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": fakeAppToken,
		"SLACK_BOT_TOKEN": fakeBotToken,
		"CLOUD_SDK_AK":    fakeAccessKey,
		"CLOUD_SDK_SK":    fakeSecretKey,
	}
}

// leaks are strings no message may contain: the fake secrets and the
// password in the fixtures' DSNs and URLs.
var leaks = []string{fakeAppToken, fakeBotToken, fakeAccessKey, fakeSecretKey, fakeAuditKey, "c0ffee5ecret", "hunter2"}

func assertNoLeak(t *testing.T, msg string) {
	t.Helper()
	for _, s := range leaks {
		if strings.Contains(msg, s) {
			t.Errorf("message leaks %q:\n%s", s, msg)
		}
	}
}

func TestLoadFixtures(t *testing.T) {
	tests := []struct {
		file string
		want string // the exact error text
	}{
		{"unknown_keys.yaml", `"weird key\n": unknown key
huaweicloud.timout: unknown key
instances.orders-prod.regoin: unknown key
instances.orders-prod.zone: unknown key
log.colour: unknown key
policy.aprovers: unknown key
slack_token: unknown key`},
		{"bad_durations.yaml", `huaweicloud.timeout: "20" is not a duration (Go syntax such as 30s, 15m or 1h30m)
policy.ttl: "15 minutes" is not a duration (Go syntax such as 30s, 15m or 1h30m)
shutdown_timeout: must be positive, got "-1s"`},
		{"zero_durations.yaml", `huaweicloud.timeout: must be positive, got "0s"
policy.ttl: must be positive, got "0"
shutdown_timeout: must be a duration such as 30s or 15m`},
		{"bad_dcs_waits.yaml", `huaweicloud.busy_timeout: must be positive, got "0s"
huaweicloud.job_timeout: "two minutes" is not a duration (Go syntax such as 30s, 15m or 1h30m)`},
		{"bad_cron.yaml", `schedule.sweep: "every 30 seconds" is not a cron schedule: expected 5 to 6 fields, found 3: [every 30 seconds]`},
		{"bad_cron_tz.yaml", `schedule.sweep: "TZ=UTC" is not a cron schedule: malformed spec`},
		{"empty_approvers.yaml", `policy.approvers: at least one approver is required (user IDs like U0123ABCD or user group IDs like S0123ABCD)`},
		{"bad_ids.yaml", `huaweicloud.project_id: "0123456789ABCDEF0123456789ABCDEF" is not a project ID (32 lowercase hex digits)
instances."Orders Staging": alias must match ^[a-z0-9][a-z0-9._-]{0,62}$
instances.no-id.id: required
instances.orders-prod.id: "orders-prod-instance" is not an instance ID (a UUID: 8-4-4-4-12 hex digits)
instances.orders-prod.project_id: "12345" is not a project ID (32 lowercase hex digits)
policy.approvers[1]: "G0123ABCD" is not a Slack user or user group ID (like U0123ABCD or S0123ABCD)
policy.approvers[3]: duplicate of policy.approvers[2]
policy.approvers[4]: "" is not a Slack user or user group ID (like U0123ABCD or S0123ABCD)
policy.channels[0]: "#ops" is not a Slack channel ID (like C0123ABCD)
policy.channels[1]: "c0123abcd" is not a Slack channel ID (like C0123ABCD)
policy.channels[3]: duplicate of policy.channels[2]
policy.requesters[0]: "C0123ABCD" is not a Slack user ID (like U0123ABCD)
policy.requesters[2]: duplicate of policy.requesters[1]`},
		{"bad_region.yaml", `huaweicloud.region: "cn_north_4" is not a region name like cn-north-4 or ap-southeast-1
instances.orders-prod.region: "Singapore" is not a region name like cn-north-4 or ap-southeast-1`},
		{"bad_endpoint.yaml", `huaweicloud.endpoint: must be an absolute http:// or https:// URL with a host
instances.a.endpoint: must be an absolute http:// or https:// URL with a host
instances.b.endpoint: must not contain credentials
instances.c.endpoint: must be an absolute http:// or https:// URL with a host
slack.api_url: must be an absolute http:// or https:// URL with a host`},
		{"duplicate_instance_ids.yaml", `instances.orders-b.id: same id as instances.orders-a
instances.orders-c.id: same id as instances.orders-a`},
		{"bad_driver.yaml", `store.driver: "mysql" is not a store driver (sqlite or postgres)
store.dsn: required`},
		{"bad_postgres_dsn.yaml", `store.dsn: must be a postgres:// or postgresql:// URL or a key=value connection string`},
		// kill_all.approvals_required is checked even with kill-all off.
		{"bad_numbers.yaml", `policy.approvals_required: must be between 1 and 10, got 0
policy.kill_all.approvals_required: must be between 1 and 10, got 11
policy.max_addrs: must be between 1 and 1000, got 1001
policy.max_pending_per_user: must be between 1 and 10000, got 0`},
		{"bad_kill_all.yaml", `policy.kill_all.approvals_required: 2 approvals can never be reached with 1 approvers and no user group`},
		{"bad_bools.yaml", `huaweicloud.dry_run: must be true or false
policy.kill_all.enabled: must be true or false
policy.require_reason: must be true or false`},
		{"bad_remind.yaml", `schedule.remind: "every 5 minutes" is not a cron schedule: expected 5 to 6 fields, found 3: [every 5 minutes]`},
		{"instance_policy_unknown_keys.yaml", `instances.orders-prod.policy.aprovers: unknown key
instances.orders-prod.policy.dry_run: unknown key
instances.orders-prod.policy.kill_all.enable: unknown key`},
		{"instance_policy_bad_values.yaml", `instances.a.policy.approvals_required: must be between 1 and 10, got 0
instances.a.policy.ttl: "soon" is not a duration (Go syntax such as 30s, 15m or 1h30m)
instances.b.policy.approvers[1]: duplicate of instances.b.policy.approvers[0]
instances.b.policy.channels: at least one channel ID is required
instances.b.policy.max_addrs: must be between 1 and 1000, got 1001
instances.b.policy.requesters[0]: "someone" is not a Slack user ID (like U0123ABCD)
instances.b.policy.ttl: must be positive, got "0s"
instances.c.policy.approvals_required: 2 approvals can never be reached with 1 approvers and no user group
instances.d.policy.kill_all.approvals_required: must be between 1 and 10, got 0
instances.e.policy.kill_all.approvals_required: 3 approvals can never be reached with 2 approvers and no user group`},
		{"instance_policy_wrong_shapes.yaml", `instances.a.policy: must be a mapping
instances.b.policy.approvals_required: must be an integer
instances.b.policy.approvers: must be a list
instances.b.policy.channels[1]: must be a string
instances.b.policy.kill_all: must be a mapping
instances.b.policy.require_reason: must be true or false
instances.b.policy.ttl: must be a duration such as 30s or 15m
instances.c.policy.kill_all.approvals_required: must be an integer
instances.c.policy.kill_all.enabled: must be true or false
instances.e.policy.approvers: must be a list
policy.channels: must be a list`},
		{"instance_policy_inherited_problems.yaml", `instances.b.policy.approvals_required: must be between 1 and 10, got 0
instances.c.policy.channels[0]: "#ops" is not a Slack channel ID (like C0123ABCD)
policy.approvals_required: 4 approvals can never be reached with 3 approvers and no user group
policy.approvers[2]: duplicate of policy.approvers[1]
policy.channels[0]: "#ops" is not a Slack channel ID (like C0123ABCD)
policy.ttl: "soon" is not a duration (Go syntax such as 30s, 15m or 1h30m)`},
		{"unreachable_approvals.yaml", `policy.approvals_required: 3 approvals can never be reached with 2 approvers and no user group`},
		{"unreachable_by_requesters.yaml", `instances.cache.policy.kill_all.approvals_required: 3 approvals can never be reached: every requester is one of the 3 approvers (users, no user group), and nobody approves their own request
policy.approvals_required: 2 approvals can never be reached: every requester is one of the 2 approvers (users, no user group), and nobody approves their own request`},
		{"bad_listen_log.yaml", `http.listen: "localhost:http" must be host:port with a numeric port, or "" to disable the HTTP server
log.format: "xml" is not a log format (text or json)
log.level: "verbose" is not a log level (debug, info, warn or error)`},
		// A value of the wrong shape is reported once, at its key, and
		// validation does not pile on ("policy.channels: at least one...").
		{"wrong_shapes.yaml", `huaweicloud.region: must be a string
instances: must be a mapping
log: must be a mapping
policy.approvals_required: must be an integer
policy.approvers[1]: must be a string
policy.channels: must be a list
policy.max_addrs: must be an integer
policy.ttl: must be a duration such as 30s or 15m
slack: must be a mapping
store.<<: must be a mapping or a list of mappings`},
		{"duplicate_keys.yaml", `huaweicloud.region: duplicate key (line 4)
instances.orders-prod: duplicate key (line 8)`},
		{"empty.yaml", `huaweicloud.project_id: required
huaweicloud.region: required
instances: at least one instance is required
policy.approvers: at least one approver is required (user IDs like U0123ABCD or user group IDs like S0123ABCD)
policy.channels: at least one channel ID is required`},
		{"many_problems.yaml", `http.listen: "8080" must be host:port with a numeric port, or "" to disable the HTTP server
huaweicloud.project_id: "nope" is not a project ID (32 lowercase hex digits)
huaweicloud.region: required
huaweicloud.timeout: "soon" is not a duration (Go syntax such as 30s, 15m or 1h30m)
instances.Orders: alias must match ^[a-z0-9][a-z0-9._-]{0,62}$
instances.Orders.endpoint: must be an absolute http:// or https:// URL with a host
instances.Orders.id: required
log.format: "" is not a log format (text or json)
log.level: "INFO" is not a log level (debug, info, warn or error)
policy.approvals_required: must be between 1 and 10, got 11
policy.channels: at least one channel ID is required
policy.max_addrs: must be between 1 and 1000, got 0
policy.requesters[1]: "someone" is not a Slack user ID (like U0123ABCD)
policy.ttl: must be positive, got "-15m"
policy.typo: unknown key
schedule.sweep: "@fortnightly" is not a cron schedule: unrecognized descriptor: @fortnightly
shutdown_timeout: must be positive, got "0s"
store.driver: "" is not a store driver (sqlite or postgres)
store.dsn: required`},
		{"bad_audit_notify.yaml", `audit.sink: unknown sink "kafka": must be log, file:<path> or webhook:<url>
instances.orders-prod.policy.notify_approvers: "sms" is not a way to notify approvers (off, channel or dm)
policy.notify_approvers: "email" is not a way to notify approvers (off, channel or dm)`},
		{"bad_audit_webhook.yaml", `audit.sink: webhook: the URL must start with https:// or http://`},
		// A webhook sink needs its signing key (goodEnv has none).
		{"audit_webhook.yaml", `AUDIT_WEBHOOK_SECRET: required with a webhook audit.sink: set AUDIT_WEBHOOK_SECRET or AUDIT_WEBHOOK_SECRET_FILE`},
		{"syntax_error.yaml", `testdata/syntax_error.yaml: yaml: line 2: did not find expected key`},
		{"not_a_mapping.yaml", `testdata/not_a_mapping.yaml: must be a YAML mapping of sections (slack, huaweicloud, instances, ...)`},
		{"two_documents.yaml", `testdata/two_documents.yaml: holds more than one YAML document (line 3); want one`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.file), envOf(goodEnv()))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems", err)
			}
			if n := strings.Count(tt.want, "\n") + 1; len(ps) != n {
				t.Errorf("%d problems, want %d", len(ps), n)
			}
			assertNoLeak(t, err.Error())
		})
	}
}

// Every fixture has a test: a new fixture without one fails here.
func TestEveryFixtureTested(t *testing.T) {
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		if !strings.Contains(string(src), filepath.Base(f)+`"`) {
			t.Errorf("no test names %s", f)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	env := goodEnv()
	delete(env, "SLACK_BOT_TOKEN")
	_, err := Load("testdata/nope.yaml", envOf(env))
	want := `SLACK_BOT_TOKEN: required: set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE
testdata/nope.yaml: cannot read the config file: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestLoadValidFull(t *testing.T) {
	c, err := Load("testdata/valid_full.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.APIURL != "http://127.0.0.1:9999/api/" {
		t.Errorf("api_url %q: want a trailing slash added", c.Slack.APIURL)
	}
	if got, want := c.HuaweiCloud, (HuaweiCloud{
		Region:      "cn-north-4",
		ProjectID:   "0123456789abcdef0123456789abcdef",
		Endpoint:    "https://dcs.proxy.example.com/",
		Timeout:     Duration{Duration: 45 * time.Second, raw: "45s"},
		BusyTimeout: Duration{Duration: time.Minute, raw: "1m"},
		JobTimeout:  Duration{Duration: 10 * time.Minute, raw: "10m"},
		DryRun:      true,
	}); got != want {
		t.Errorf("huaweicloud = %+v, want %+v", got, want)
	}
	pol := Policy{
		Channels:          []string{"C0123ABCD", "G0123ABCD"},
		Requesters:        []string{"U0AAAAAAA", "W0BBBBBBB"},
		Approvers:         []string{"U0123ABCD", "S0123ABCD"},
		ApprovalsRequired: 2,
		TTL:               Duration{Duration: 90 * time.Minute, raw: "1h30m"},
		MaxAddrs:          1000,
		MaxPendingPerUser: 3,
		RequireReason:     true,
		KillAll:           KillAll{Enabled: true, ApprovalsRequired: 3},
		NotifyApprovers:   "dm",
	}
	if !reflect.DeepEqual(c.Policy, pol) {
		t.Errorf("policy = %+v, want %+v", c.Policy, pol)
	}
	if c.Store.Driver != "postgres" || c.Store.DSN.Reveal() != "postgres://dcsbot:hunter2@db.example.com:5432/dcsbot?sslmode=require" {
		t.Errorf("store = %s %q", c.Store.Driver, c.Store.DSN.Reveal())
	}
	if c.HTTP.Listen != ":0" || c.Schedule != (Schedule{Sweep: "*/10 * * * * *", Remind: "@every 1m"}) || c.Log != (Log{"debug", "json"}) || c.ShutdownTimeout.Duration != time.Minute {
		t.Errorf("http/schedule/log/shutdown = %+v %+v %+v %v", c.HTTP, c.Schedule, c.Log, c.ShutdownTimeout)
	}
	if c.Secrets != (Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: fakeAccessKey, SecretKey: fakeSecretKey}) {
		t.Error("secrets not read from the environment")
	}
	if c.Audit.Sink != "file:/var/log/dcsbot/audit.jsonl" || c.Audit.SinkSpec().Path != "/var/log/dcsbot/audit.jsonl" {
		t.Errorf("audit = %+v", c.Audit)
	}

	want := map[string]InstanceTarget{
		// No overrides: everything from huaweicloud, the endpoint's trailing
		// slash trimmed.
		"orders-prod": {"orders-prod", "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "cn-north-4", "0123456789abcdef0123456789abcdef", "https://dcs.proxy.example.com", pol},
		// Its own region and project, no endpoint: that region's default,
		// not the global (cn-north-4) endpoint.
		"sessions.sg": {"sessions.sg", "11111111-2222-3333-4444-555555555555", "ap-southeast-1", "fedcba9876543210fedcba9876543210", "https://dcs.ap-southeast-1.myhuaweicloud.com", pol},
		// Its own region and endpoint.
		"cache_eu": {"cache_eu", "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE", "eu-west-101", "0123456789abcdef0123456789abcdef", "https://dcs.eu.example.com", pol},
		// A region override equal to the global region keeps the global
		// endpoint.
		"same-region": {"same-region", "99999999-8888-7777-6666-555555555555", "cn-north-4", "0123456789abcdef0123456789abcdef", "https://dcs.proxy.example.com", pol},
	}
	if got := c.InstanceTargets(); !reflect.DeepEqual(got, want) {
		t.Errorf("targets:\n%+v\nwant:\n%+v", got, want)
	}
	if got, ok := target(c, "cache_eu"); !ok || !reflect.DeepEqual(got, want["cache_eu"]) {
		t.Errorf("Target(cache_eu) = %+v, %v", got, ok)
	}
	if _, ok := target(c, "nope"); ok {
		t.Error("Target(nope) found")
	}
	if got := c.Aliases(); !reflect.DeepEqual(got, []string{"cache_eu", "orders-prod", "same-region", "sessions.sg"}) {
		t.Errorf("Aliases() = %v", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate on a loaded config: %v", err)
	}
}

func TestLoadMinimalDefaults(t *testing.T) {
	c, err := Load("testdata/valid_minimal.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.HuaweiCloud.Region = "ap-southeast-1"
	want.HuaweiCloud.ProjectID = "0123456789abcdef0123456789abcdef"
	want.Instances = map[string]Instance{"orders-prod": {ID: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}
	want.Policy.Channels = []string{"C0123ABCD"}
	want.Policy.Approvers = []string{"U0123ABCD"}
	want.Secrets = Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: fakeAccessKey, SecretKey: fakeSecretKey}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config:\n%+v\nwant:\n%+v", c, want)
	}

	// The defaults themselves, spelled out.
	d := Default()
	if d.Slack.APIURL != "https://slack.com/api/" ||
		d.HuaweiCloud.Timeout.Duration != 20*time.Second ||
		d.HuaweiCloud.BusyTimeout.Duration != 30*time.Second || d.HuaweiCloud.JobTimeout.Duration != 2*time.Minute ||
		d.Policy.ApprovalsRequired != 1 || d.Policy.TTL.Duration != 15*time.Minute || d.Policy.MaxAddrs != 50 ||
		d.Store.Driver != "sqlite" || d.Store.DSN.Reveal() != "dcsbot.db" ||
		d.HTTP.Listen != "127.0.0.1:8080" || d.Schedule.Sweep != "@every 30s" ||
		d.Log.Level != "info" || d.Log.Format != "text" || d.ShutdownTimeout.Duration != 30*time.Second ||
		d.HuaweiCloud.DryRun || d.Policy.RequireReason || d.Policy.KillAll != (KillAll{Enabled: false, ApprovalsRequired: 2}) || d.Schedule.Remind != "" {
		t.Errorf("defaults: %+v", d)
	}

	tg, _ := target(c, "orders-prod")
	if want := (InstanceTarget{"orders-prod", "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "ap-southeast-1", "0123456789abcdef0123456789abcdef", "https://dcs.ap-southeast-1.myhuaweicloud.com", want.Policy}); !reflect.DeepEqual(tg, want) {
		t.Errorf("target = %+v, want %+v", tg, want)
	}
}

func TestLoadAnchorsAndEmptyKeys(t *testing.T) {
	c, err := Load("testdata/valid_anchors.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if c.HuaweiCloud.Timeout.Duration != 20*time.Second || c.Log != (Log{"info", "text"}) {
		t.Errorf("an empty key did not keep its default: timeout %v, log %+v", c.HuaweiCloud.Timeout, c.Log)
	}
	want := map[string]InstanceTarget{
		"a": {"a", "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "ap-southeast-1", "fedcba9876543210fedcba9876543210", "https://dcs.ap-southeast-1.myhuaweicloud.com", c.Policy},
		// Merged from a and the inline mapping; its own id and region win.
		"b": {"b", "11111111-2222-3333-4444-555555555555", "eu-west-101", "fedcba9876543210fedcba9876543210", "https://b.example.com", c.Policy},
	}
	if got := c.InstanceTargets(); !reflect.DeepEqual(got, want) {
		t.Errorf("targets:\n%+v\nwant:\n%+v", got, want)
	}
}

func TestParse(t *testing.T) {
	data, err := os.ReadFile("testdata/valid_minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data, envOf(goodEnv())); err != nil {
		t.Errorf("Parse: %v", err)
	}
	_, err = Parse([]byte("log: [\n"), envOf(goodEnv()))
	if want := "config: yaml: line 1: did not find expected node content"; err == nil || err.Error() != want {
		t.Errorf("Parse error %v, want %s", err, want)
	}
	// A trailing document marker with nothing after it is fine.
	if _, err := Parse(append(data, "---\n"...), envOf(goodEnv())); err != nil {
		t.Errorf("Parse with a trailing ---: %v", err)
	}
}

func TestExampleConfig(t *testing.T) {
	c, err := Load("../../config.example.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatalf("config.example.yaml does not validate:\n%v", err)
	}
	// The example shows the defaults: it must load to exactly them.
	d := Default()
	if c.Slack != d.Slack || c.HuaweiCloud.Endpoint != "" || c.HuaweiCloud.Timeout.Duration != d.HuaweiCloud.Timeout.Duration ||
		c.HuaweiCloud.BusyTimeout.Duration != d.HuaweiCloud.BusyTimeout.Duration || c.HuaweiCloud.JobTimeout.Duration != d.HuaweiCloud.JobTimeout.Duration ||
		c.Policy.ApprovalsRequired != d.Policy.ApprovalsRequired || c.Policy.TTL.Duration != d.Policy.TTL.Duration || c.Policy.MaxAddrs != d.Policy.MaxAddrs ||
		c.Policy.MaxPendingPerUser != d.Policy.MaxPendingPerUser || c.Store != d.Store || c.HTTP != d.HTTP || c.Schedule != d.Schedule || c.Log != d.Log || c.ShutdownTimeout.Duration != d.ShutdownTimeout.Duration {
		t.Errorf("config.example.yaml does not show the defaults:\n%+v\nwant:\n%+v", c, d)
	}
	if c.Audit != d.Audit || c.Policy.NotifyApprovers != d.Policy.NotifyApprovers {
		t.Errorf("config.example.yaml does not show the defaults: audit %+v, notify_approvers %q", c.Audit, c.Policy.NotifyApprovers)
	}
	if c.HuaweiCloud.DryRun != d.HuaweiCloud.DryRun || c.Policy.RequireReason != d.Policy.RequireReason || c.Policy.KillAll != d.Policy.KillAll {
		t.Errorf("config.example.yaml does not show the defaults: dry_run %v, require_reason %v, kill_all %+v",
			c.HuaweiCloud.DryRun, c.Policy.RequireReason, c.Policy.KillAll)
	}
	// The override example: two approvals and a reason, the rest inherited.
	want := c.Policy
	want.ApprovalsRequired = 2
	want.RequireReason = true
	if got := policyFor(c, "payments-prod"); !reflect.DeepEqual(got, want) {
		t.Errorf("payments-prod policy = %+v, want %+v", got, want)
	}
	if got := policyFor(c, "orders-prod"); !reflect.DeepEqual(got, c.Policy) {
		t.Errorf("orders-prod policy = %+v, want the global %+v", got, c.Policy)
	}
}

// The example shows every key of the file: a key added to a section must be
// added to config.example.yaml too. (An instance's policy block takes the
// policy section's keys; the example shows some of them.)
func TestExampleShowsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := child(path, n.Content[i].Value)
			if path == "instances" {
				key = "instances.*"
			}
			shown[key] = true
			walk(n.Content[i+1], key)
		}
	}
	walk(doc.Content[0], "")

	var keys func(t reflect.Type, path string) []string
	keys = func(t reflect.Type, path string) []string {
		var out []string
		for name, i := range yamlFields(t) {
			key := child(path, name)
			out = append(out, key)
			switch ft := t.Field(i).Type; {
			case ft == reflect.TypeFor[PolicyOverride]():
			case ft.Kind() == reflect.Struct && ft != durationType:
				out = append(out, keys(ft, key)...)
			case ft.Kind() == reflect.Map:
				out = append(out, keys(ft.Elem(), key+".*")...)
			}
		}
		return out
	}
	all := keys(reflect.TypeFor[Config](), "")
	if len(all) < 30 {
		t.Fatalf("only %d keys found: %v", len(all), all)
	}
	for _, k := range all {
		if !shown[k] {
			t.Errorf("config.example.yaml does not show %s", k)
		}
	}
}

// Validate on a hand-built Config, as other packages' tests build them.
func TestValidateHandBuilt(t *testing.T) {
	c := Default()
	c.HuaweiCloud.Region = "cn-north-4"
	c.HuaweiCloud.ProjectID = "0123456789abcdef0123456789abcdef"
	c.Instances = map[string]Instance{"a": {ID: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}
	c.Policy.Channels = []string{"C0123ABCD"}
	c.Policy.Approvers = []string{"S0123ABCD"}
	c.Secrets = Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: fakeAccessKey, SecretKey: fakeSecretKey}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c.Policy.TTL = Dur(-time.Minute)
	c.Secrets.SlackBotToken = Secret(fakeAppToken)
	c.Secrets.AccessKey = ""
	want := `CLOUD_SDK_AK: required: set CLOUD_SDK_AK or CLOUD_SDK_AK_FILE
SLACK_BOT_TOKEN: the value must start with "xoxb-"
policy.ttl: must be positive, got "-1m0s"`
	err := c.Validate()
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
	assertNoLeak(t, err.Error())
}

func TestProblemsSortNaturally(t *testing.T) {
	var p problems
	for _, k := range []string{"policy.channels[10]", "b", "policy.channels[2]", "SLACK_BOT_TOKEN", "a", "policy.channels", "policy.channels[2]"} {
		p.add(k, "m %s", k)
	}
	p.add("x", "two\nlines")
	want := `SLACK_BOT_TOKEN: m SLACK_BOT_TOKEN
a: m a
b: m b
policy.channels: m policy.channels
policy.channels[2]: m policy.channels[2]
policy.channels[2]: m policy.channels[2]
policy.channels[10]: m policy.channels[10]
x: two; lines`
	if got := p.err().Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	var none problems
	if none.err() != nil {
		t.Error("no problems is not a nil error")
	}
}

func TestParseSchedule(t *testing.T) {
	for _, spec := range []string{"@every 30s", "*/30 * * * * *", "0 * * * *", "@hourly", "TZ=UTC 0 3 * * *"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("ParseSchedule(%q): %v", spec, err)
		}
	}
	// "TZ=x" with nothing after it panics inside cron v3.0.1.
	for _, spec := range []string{"", "TZ=UTC", "CRON_TZ=", "@every", "* * *", "60 * * * *"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded", spec)
		}
	}
}

func TestLogHandler(t *testing.T) {
	var b strings.Builder
	h := Log{Level: "warn", Format: "json"}.Handler(&b)
	if h.Enabled(t.Context(), -4) || !h.Enabled(t.Context(), 4) {
		t.Error("json handler at warn: wrong levels enabled")
	}
	for lvl, want := range map[string]int{"debug": -4, "info": 0, "warn": 4, "error": 8, "": 0} {
		if got := (Log{Level: lvl}).SlogLevel(); int(got) != want {
			t.Errorf("SlogLevel(%q) = %v", lvl, got)
		}
	}
}

func TestDurationUnmarshalKeepsBadText(t *testing.T) {
	c, err := Parse([]byte("policy: {ttl: 5 min}\n"), envOf(goodEnv()))
	if c != nil || err == nil || !strings.Contains(err.Error(), `policy.ttl: "5 min" is not a duration`) {
		t.Errorf("got %v", err)
	}
}

func TestPolicyFor(t *testing.T) {
	c, err := Load("testdata/valid_overrides.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	global := Policy{
		Channels:          []string{"C0123ABCD", "C0456EFGH"},
		Requesters:        []string{"U0AAAAAAA"},
		Approvers:         []string{"U0123ABCD", "S0123ABCD"},
		ApprovalsRequired: 1,
		TTL:               Dur(15 * time.Minute),
		MaxAddrs:          50,
		MaxPendingPerUser: 5,
		RequireReason:     false,
		KillAll:           KillAll{Enabled: false, ApprovalsRequired: 3},
		NotifyApprovers:   "off",
	}
	if !reflect.DeepEqual(c.Policy, global) {
		t.Fatalf("global policy = %+v, want %+v", c.Policy, global)
	}
	// The approvers list replaced whole; kill_all.approvals_required
	// inherited beside the kill_all.enabled set.
	strict := global
	strict.Approvers = []string{"U0PPPPPPP", "S0QQQQQQQ"}
	strict.ApprovalsRequired = 2
	strict.RequireReason = true
	strict.KillAll = KillAll{Enabled: true, ApprovalsRequired: 3}
	strict.NotifyApprovers = "dm"
	billing := strict
	billing.ApprovalsRequired = 1
	// kill_all.enabled inherited beside the kill_all.approvals_required set;
	// an empty list replaces a non-empty one.
	staging := global
	staging.Channels = []string{"C0STAGING"}
	staging.Requesters = []string{}
	staging.TTL = Duration{Duration: time.Hour, raw: "1h"}
	staging.MaxAddrs = 5
	staging.MaxPendingPerUser = 20
	staging.KillAll = KillAll{Enabled: false, ApprovalsRequired: 1}

	want := map[string]Policy{
		"plain":         global,
		"orders-prod":   strict,
		"payments-prod": strict,
		"billing-prod":  billing,
		"staging":       staging,
		"empty-keys":    global, // keys with no value inherit
		"empty-block":   global,
		"no-such-alias": global,
	}
	for alias, w := range want {
		if got := policyFor(c, alias); !reflect.DeepEqual(got, w) {
			t.Errorf("PolicyFor(%q) =\n%+v\nwant\n%+v", alias, got, w)
		}
		if tg, ok := target(c, alias); ok && !reflect.DeepEqual(tg.Policy, w) {
			t.Errorf("Target(%q).Policy =\n%+v\nwant\n%+v", alias, tg.Policy, w)
		}
	}
	for alias, tg := range c.InstanceTargets() {
		if !reflect.DeepEqual(tg.Policy, want[alias]) {
			t.Errorf("InstanceTargets()[%q].Policy =\n%+v\nwant\n%+v", alias, tg.Policy, want[alias])
		}
	}
	if got := policyFor(c, "staging").Requesters; got == nil {
		t.Error(`requesters: [] override is nil: want empty, "anyone"`)
	}

	// The result is a copy: changing it changes neither the config nor the
	// next result.
	p := policyFor(c, "orders-prod")
	p.Approvers[0] = "U0CHANGED"
	g := policyFor(c, "plain")
	g.Channels[0] = "C0CHANGED"
	if !reflect.DeepEqual(policyFor(c, "orders-prod"), strict) || !reflect.DeepEqual(c.Policy, global) {
		t.Error("PolicyFor shares slices with the config")
	}
}

func TestPolicyForDefaults(t *testing.T) {
	c, err := Load("testdata/valid_minimal.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{
		Channels:          []string{"C0123ABCD"},
		Approvers:         []string{"U0123ABCD"},
		ApprovalsRequired: 1,
		TTL:               Dur(15 * time.Minute),
		MaxAddrs:          50,
		MaxPendingPerUser: 5,
		RequireReason:     false,
		KillAll:           KillAll{Enabled: false, ApprovalsRequired: 2},
		NotifyApprovers:   "off",
	}
	for _, alias := range []string{"orders-prod", "nope"} {
		if got := policyFor(c, alias); !reflect.DeepEqual(got, want) {
			t.Errorf("PolicyFor(%q) = %+v, want %+v", alias, got, want)
		}
	}
	if c.HuaweiCloud.DryRun || c.Schedule.Remind != "" {
		t.Errorf("dry_run %v, remind %q: want false, empty", c.HuaweiCloud.DryRun, c.Schedule.Remind)
	}
}

// Overrides on a hand-built Config, as other packages' tests build them.
func TestPolicyOverrideHandBuilt(t *testing.T) {
	c := Default()
	c.HuaweiCloud.Region = "cn-north-4"
	c.HuaweiCloud.ProjectID = "0123456789abcdef0123456789abcdef"
	c.Policy.Channels = []string{"C0123ABCD"}
	c.Policy.Approvers = []string{"U0123ABCD"}
	c.Secrets = Secrets{SlackAppToken: fakeAppToken, SlackBotToken: fakeBotToken, AccessKey: fakeAccessKey, SecretKey: fakeSecretKey}
	two, yes := 2, true
	approvers := []string{"U0123ABCD", "U0456EFGH"}
	c.Instances = map[string]Instance{
		"a": {ID: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Policy: PolicyOverride{
			Approvers:         &approvers,
			ApprovalsRequired: &two,
			KillAll:           KillAllOverride{Enabled: &yes},
		}},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := policyFor(c, "a")
	if !reflect.DeepEqual(got.Approvers, approvers) || got.ApprovalsRequired != 2 || got.KillAll != (KillAll{true, 2}) || got.RequireReason {
		t.Errorf("PolicyFor(a) = %+v", got)
	}
	// Enabling kill-all where the global approvers cannot reach its 2
	// approvals is the instance's problem, not the global policy's.
	c.Instances["b"] = Instance{ID: "11111111-2222-3333-4444-555555555555", Policy: PolicyOverride{KillAll: KillAllOverride{Enabled: &yes}}}
	want := `instances.b.policy.kill_all.approvals_required: 2 approvals can never be reached with 1 approvers and no user group`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
}

// target is the resolved instance alias of c.
func target(c *Config, alias string) (InstanceTarget, bool) {
	t, ok := c.InstanceTargets()[alias]
	return t, ok
}

// policyFor is the effective policy of the instance alias: the global
// policy for an alias c does not have.
func policyFor(c *Config, alias string) Policy {
	if t, ok := c.InstanceTargets()[alias]; ok {
		return t.Policy
	}
	return c.Policy
}

// Warnings: a valid configuration that is likely a mistake loads, and
// says so at each key; the valid fixtures and the example have none
// besides the example's placeholder IDs.
func TestWarnings(t *testing.T) {
	c, err := Load("testdata/warn_approvals.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := `instances.payments-prod.policy.approvals_required: 2 approvals: a request made by U0123ABCD can never be approved, as nobody approves their own request
policy.approvals_required: 2 approvals: a request made by one of the 2 approvers can never be approved, as nobody approves their own request
policy.kill_all.approvals_required: 1 is lower than approvals_required (2): a kill-all needs 2 approvals, never fewer than a kill`
	if got := withoutExampleIDs(c.Warnings()).Error(); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	c, err = Load("testdata/valid_minimal.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want = "policy.approvals_required: 1 approval: a request made by the only approver can never be approved, as nobody approves their own request"
	if got := withoutExampleIDs(c.Warnings()).Error(); got != want {
		t.Errorf("valid_minimal.yaml warnings:\n%s\nwant:\n%s", got, want)
	}
	for _, f := range []string{"testdata/valid_full.yaml", "testdata/valid_overrides.yaml", "testdata/valid_anchors.yaml", "../../config.example.yaml"} {
		c, err := Load(f, envOf(goodEnv()))
		if err != nil {
			t.Fatal(err)
		}
		if w := withoutExampleIDs(c.Warnings()); len(w) != 0 {
			t.Errorf("%s: warnings:\n%v", f, w)
		}
	}
}

// withoutExampleIDs leaves out the warnings about the example's
// placeholder IDs, which most fixtures use (TestPlaceholderWarnings and
// TestExampleIDsInStep test those).
func withoutExampleIDs(ps Problems) Problems {
	var out Problems
	for _, p := range ps {
		if !strings.Contains(p.Message, "placeholder from config.example.yaml") {
			out = append(out, p)
		}
	}
	return out
}

// An unfinished copy: each placeholder ID is named at its key, an
// instance's own keys included (an inherited one only at the global key),
// and each secret that looks like a placeholder at its variable, without
// its value.
func TestPlaceholderWarnings(t *testing.T) {
	env := goodEnv()
	env["SLACK_APP_TOKEN"] = "xapp-…"
	env["SLACK_BOT_TOKEN"] = "xoxb-<bot-token>"
	env["CLOUD_SDK_AK"] = "CHANGE_ME"
	c, err := Load("testdata/placeholders.yaml", envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	want := `CLOUD_SDK_AK: the value looks like a placeholder (a word such as changeme), not a real credential
SLACK_APP_TOKEN: the value looks like a placeholder (an ellipsis), not a real credential
SLACK_BOT_TOKEN: the value looks like a placeholder (a description in brackets), not a real credential
huaweicloud.project_id: "0123456789abcdef0123456789abcdef" is the placeholder from config.example.yaml: set your own
instances.cache-eu.policy.channels[1]: "C0123ABCD" is the placeholder from config.example.yaml: set your own
instances.cache-eu.policy.requesters[0]: "U0123ABCD" is the placeholder from config.example.yaml: set your own
instances.cache-eu.project_id: "0123456789abcdef0123456789abcdef" is the placeholder from config.example.yaml: set your own
instances.orders-prod.id: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" is the placeholder from config.example.yaml: set your own
policy.approvers[1]: "S0123ABCD" is the placeholder from config.example.yaml: set your own`
	got := c.Warnings().Error()
	if got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	for _, v := range []string{"CHANGE_ME", "<bot-token>"} {
		if strings.Contains(got, v) {
			t.Errorf("a warning shows the value %q", v)
		}
	}

	// Real-looking secrets raise nothing.
	c, err = Load("testdata/placeholders.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings() {
		if !strings.Contains(w.Message, "config.example.yaml") {
			t.Errorf("warning for a real-looking secret: %s", w)
		}
	}
}

// Every tuning value is set: the parts that take them refuse zero values.
func TestTuningComplete(t *testing.T) {
	tu := Default().Tuning()
	for name, ok := range map[string]bool{
		"Workers":       tu.Workers > 0,
		"ClickWorkers":  tu.ClickWorkers > 0,
		"CommandQueue":  tu.CommandQueue > 0,
		"ClickQueue":    tu.ClickQueue > 0,
		"GroupCacheTTL": tu.GroupCacheTTL > 0 && tu.GroupCacheTTL <= time.Minute,
		"Slack.Attempt": tu.Slack.Attempt > 0 && tu.Slack.Attempt <= tu.Slack.Budget,
		"Slack.Retries": tu.Slack.Retries > 0,
		"Slack.Grace":   tu.Slack.Grace > 0 && tu.Slack.Grace < Default().ShutdownTimeout.Duration,
		"Lease":         tu.Lease >= 4*time.Second,
		"SweepTimeout":  tu.SweepTimeout > 0,
		"RemindTimeout": tu.RemindTimeout > 0,
		"Audit.Batch":   tu.Audit.Batch > 0,
		"Audit.Poll":    tu.Audit.Poll > 0,
		"Audit.Backoff": tu.Audit.MinBackoff > 0 && tu.Audit.MinBackoff <= tu.Audit.MaxBackoff,
		"Audit.Flush":   tu.Audit.FlushTimeout > 0,
		"Audit.Store":   tu.Audit.StoreTimeout > 0,
		"Audit.Webhook": tu.Audit.WebhookTimeout > 0 && tu.Audit.Check() == nil,
		"Audit.File":    tu.Audit.FileMaxBytes > 0 && tu.Audit.FileKeep > 0,
		"StoreTimeout":  tu.StoreTimeout > 0,
	} {
		if !ok {
			t.Errorf("Tuning().%s = %+v", name, tu)
		}
	}
}

// StaleAfter outlasts what a live worker may spend on an executing
// request: a kill (the bounded re-read of the sessions, then waits on a
// busy node and a last call) and a kill-all (waits on a busy node, a call,
// then following its job, plus a call that may overrun it).
func TestStaleAfterCoversLiveWork(t *testing.T) {
	for _, tc := range []struct {
		hc   HuaweiCloud
		want time.Duration // worked out by hand from the sums below
	}{
		{Default().HuaweiCloud, 5 * time.Minute},
		// ScanBound 1s+2×4m+2m; kill 10m1s+2m+1s+2m = 14m2s; plus 7m1s.
		{HuaweiCloud{Timeout: Dur(2 * time.Minute), BusyTimeout: Dur(time.Second), JobTimeout: Dur(time.Second)}, 21*time.Minute + 3*time.Second},
		// kill 10m5s+1s+10m+1s = 20m7s; plus 10m3.5s.
		{HuaweiCloud{Timeout: Dur(time.Second), BusyTimeout: Dur(10 * time.Minute), JobTimeout: Dur(time.Second)}, 30*time.Minute + 10500*time.Millisecond},
		// kill-all 1s+1s+1h+1s = 1h3s; plus 30m1.5s.
		{HuaweiCloud{Timeout: Dur(time.Second), BusyTimeout: Dur(time.Second), JobTimeout: Dur(time.Hour)}, 90*time.Minute + 4500*time.Millisecond},
	} {
		hc := tc.hc
		c := Default()
		c.HuaweiCloud = hc
		if got := c.StaleAfter(); got != tc.want {
			t.Errorf("timeout %s, busy %s, job %s: StaleAfter %s, want %s", hc.Timeout, hc.BusyTimeout, hc.JobTimeout, got, tc.want)
		}
		call, busy, job := hc.Timeout.Duration, hc.BusyTimeout.Duration, hc.JobTimeout.Duration
		kill := hc.ScanBound() + call + busy + call
		killAll := busy + call + job + call
		if got := c.StaleAfter(); got <= kill+time.Minute/2 || got <= killAll+time.Minute/2 {
			t.Errorf("timeout %s, busy %s, job %s: StaleAfter %s does not outlast a kill (%s) or a kill-all (%s) with a margin",
				call, busy, job, got, kill, killAll)
		}
	}
	if got := Default().StaleAfter(); got != 5*time.Minute {
		t.Errorf("default StaleAfter = %s, want 5m", got)
	}
}
