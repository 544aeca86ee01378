// Package config loads and validates dcsbot's configuration: defaults, then
// the YAML file (decoded strictly: an unknown key is an error), then the
// secrets from the environment, then one validation that reports every
// problem with its key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the bot's configuration. The yaml tags are the file's key names.
type Config struct {
	Slack       Slack               `yaml:"slack"`
	HuaweiCloud HuaweiCloud         `yaml:"huaweicloud"`
	Instances   map[string]Instance `yaml:"instances"` // by alias, the name users type
	Policy      Policy              `yaml:"policy"`
	Store       Store               `yaml:"store"`
	HTTP        HTTP                `yaml:"http"`
	Schedule    Schedule            `yaml:"schedule"`
	Log         Log                 `yaml:"log"`
	// ShutdownTimeout is how long an in-flight DCS call may finish on SIGTERM.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`

	// Secrets come from the environment only, never from the file.
	Secrets Secrets `yaml:"-"`
}

// Slack is how the bot reaches Slack. The tokens are in Secrets.
type Slack struct {
	// APIURL is Slack's Web API base URL; it always ends in "/" after Load.
	APIURL string `yaml:"api_url"`
}

// HuaweiCloud is the default DCS target for every instance.
type HuaweiCloud struct {
	Region    string `yaml:"region"`     // e.g. cn-north-4
	ProjectID string `yaml:"project_id"` // 32 lowercase hex digits
	// Endpoint is as written; empty means DefaultEndpoint(Region). Use
	// Config.InstanceTargets for the resolved value.
	Endpoint string   `yaml:"endpoint"`
	Timeout  Duration `yaml:"timeout"` // per DCS call
	// DryRun makes the bot do everything except the DCS calls that write
	// (kill, kill-all): requests are made, approved and recorded as usual.
	DryRun bool `yaml:"dry_run"`
}

// Instance is one DCS instance as written in the file. Empty Region,
// ProjectID and Endpoint inherit from HuaweiCloud, and Policy overrides
// Config.Policy key by key; use Config.InstanceTargets or Config.PolicyFor
// for the resolved values.
type Instance struct {
	ID        string         `yaml:"id"` // the DCS instance ID, a UUID
	Region    string         `yaml:"region"`
	ProjectID string         `yaml:"project_id"`
	Endpoint  string         `yaml:"endpoint"`
	Policy    PolicyOverride `yaml:"policy"`
}

// Policy is who may ask for what, and who must approve.
type Policy struct {
	Channels          []string `yaml:"channels"`           // channel IDs where /dcs may be used
	Requesters        []string `yaml:"requesters"`         // user IDs; empty: anyone in Channels
	Approvers         []string `yaml:"approvers"`          // user (U…, W…) or user group (S…) IDs
	ApprovalsRequired int      `yaml:"approvals_required"` // distinct approvals needed
	TTL               Duration `yaml:"ttl"`                // how long a request waits for approval
	MaxAddrs          int      `yaml:"max_addrs"`          // client addresses per request
	RequireReason     bool     `yaml:"require_reason"`     // kill and kill-all need --reason "text"
	KillAll           KillAll  `yaml:"kill_all"`
}

// KillAll is whether /dcs kill-all (every client session on an instance) may
// be asked for, and how many approvals it needs.
type KillAll struct {
	Enabled           bool `yaml:"enabled"`            // false: kill-all is refused
	ApprovalsRequired int  `yaml:"approvals_required"` // distinct approvals needed
}

// PolicyOverride is an instance's policy block: each non-nil field replaces
// the global Policy's (a list replaces the global list whole); each nil field
// inherits it. A key written with no value is nil. Use Config.PolicyFor for
// the result.
type PolicyOverride struct {
	Channels          *[]string       `yaml:"channels"`
	Requesters        *[]string       `yaml:"requesters"`
	Approvers         *[]string       `yaml:"approvers"`
	ApprovalsRequired *int            `yaml:"approvals_required"`
	TTL               *Duration       `yaml:"ttl"`
	MaxAddrs          *int            `yaml:"max_addrs"`
	RequireReason     *bool           `yaml:"require_reason"`
	KillAll           KillAllOverride `yaml:"kill_all"`
}

// KillAllOverride overrides KillAll key by key, as PolicyOverride does.
type KillAllOverride struct {
	Enabled           *bool `yaml:"enabled"`
	ApprovalsRequired *int  `yaml:"approvals_required"`
}

// apply returns base with o's overrides applied. The result shares no slice
// with base or o.
func (o PolicyOverride) apply(base Policy) Policy {
	out := base
	out.Channels = pick(o.Channels, base.Channels)
	out.Requesters = pick(o.Requesters, base.Requesters)
	out.Approvers = pick(o.Approvers, base.Approvers)
	set(&out.ApprovalsRequired, o.ApprovalsRequired)
	set(&out.TTL, o.TTL)
	set(&out.MaxAddrs, o.MaxAddrs)
	set(&out.RequireReason, o.RequireReason)
	set(&out.KillAll.Enabled, o.KillAll.Enabled)
	set(&out.KillAll.ApprovalsRequired, o.KillAll.ApprovalsRequired)
	return out
}

// sets reports whether o sets the key a problem is at, given relative to the
// policy block ("approvers[2]", "kill_all.enabled").
func (o PolicyOverride) sets(rel string) bool {
	if i := strings.IndexByte(rel, '['); i >= 0 {
		rel = rel[:i]
	}
	switch rel {
	case "channels":
		return o.Channels != nil
	case "requesters":
		return o.Requesters != nil
	case "approvers":
		return o.Approvers != nil
	case "approvals_required":
		return o.ApprovalsRequired != nil
	case "ttl":
		return o.TTL != nil
	case "max_addrs":
		return o.MaxAddrs != nil
	case "require_reason":
		return o.RequireReason != nil
	case "kill_all.enabled":
		return o.KillAll.Enabled != nil
	case "kill_all.approvals_required":
		return o.KillAll.ApprovalsRequired != nil
	}
	return false
}

func pick(override *[]string, base []string) []string {
	if override != nil {
		return slices.Clone(*override)
	}
	return slices.Clone(base)
}

func set[T any](dst *T, override *T) {
	if override != nil {
		*dst = *override
	}
}

// Store is where requests are kept.
type Store struct {
	Driver string `yaml:"driver"` // StoreSQLite or StorePostgres
	// DSN is a file name for sqlite, a connection string for postgres. It is
	// a Secret because a postgres DSN may hold a password.
	DSN Secret `yaml:"dsn"`
}

// The store drivers.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// HTTP is the health and metrics server.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; empty disables the server
}

// Schedule is when background work runs.
type Schedule struct {
	// Sweep is a cron spec (ParseSchedule) for expiring stale requests.
	Sweep string `yaml:"sweep"`
	// Remind is a cron spec (ParseSchedule) for reminding approvers, once,
	// of a request still pending after half its TTL. Empty: no reminders.
	Remind string `yaml:"remind"`
}

// Log is how the bot logs.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // text or json
}

// DefaultSlackAPIURL is Slack's Web API base URL.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Default returns a Config holding every default, the starting point the
// file is decoded onto.
func Default() *Config {
	return &Config{
		Slack:       Slack{APIURL: DefaultSlackAPIURL},
		HuaweiCloud: HuaweiCloud{Timeout: Dur(20 * time.Second)},
		Policy: Policy{
			ApprovalsRequired: 1,
			TTL:               Dur(15 * time.Minute),
			MaxAddrs:          50,
			KillAll:           KillAll{ApprovalsRequired: 2},
		},
		Store:           Store{Driver: StoreSQLite, DSN: "dcsbot.db"},
		HTTP:            HTTP{Listen: "127.0.0.1:8080"},
		Schedule:        Schedule{Sweep: "@every 30s"},
		Log:             Log{Level: "info", Format: "text"},
		ShutdownTimeout: Dur(30 * time.Second),
	}
}

// Load reads the config file at path and the secrets through lookupEnv
// (os.LookupEnv in production), and validates both. On failure the error is
// Problems, listing every problem found.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var p problems
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the key already names the file
		}
		p.add(path, "cannot read the config file: %v", err)
		(&Secrets{}).read(lookupEnv, &p)
		return nil, p.err()
	}
	return parse(path, data, lookupEnv)
}

// Parse is Load for a file's contents already in memory. Problems with the
// document as a whole are reported under the key "config".
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse("config", data, lookupEnv)
}

func parse(source string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	var p problems
	c := Default()
	root, ok := parseYAML(source, data, &p)
	if ok {
		d := newDecoder(&p, source)
		if d.root(root, c) {
			c.normalise()
			var v problems
			c.validateFile(&v)
			for _, pr := range v.list {
				if !d.covers(pr.Key) {
					p.list = append(p.list, pr)
				}
			}
		}
	}
	c.Secrets.read(lookupEnv, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseYAML returns the document's root node, nil for an empty document.
func parseYAML(source string, data []byte, p *problems) (root *yaml.Node, ok bool) {
	defer func() {
		// The YAML parser is not ours; a crash in it is a bad file, not a
		// reason to take the bot down without saying which file.
		if r := recover(); r != nil {
			p.add(source, "the YAML parser failed on this file: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		p.add(source, "%v", err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.add(source, "%v", err)
		return nil, false
	case len(extra.Content) == 0 || isNull(extra.Content[0]):
		// A trailing "---" with nothing after it.
	default:
		p.add(source, "holds more than one YAML document (line %d); want one", extra.Line)
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	return doc.Content[0], true
}

// normalise fills in what is derived rather than defaulted.
func (c *Config) normalise() {
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = DefaultSlackAPIURL
	}
	if !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/"
	}
}

// Validate checks a Config, including its Secrets, and returns every problem
// as Problems, or nil. Load and Parse already call it.
func (c *Config) Validate() error {
	var p problems
	c.validateFile(&p)
	c.Secrets.validate(&p)
	return p.err()
}

// DefaultEndpoint is the DCS endpoint of a Huawei Cloud region.
func DefaultEndpoint(region string) string {
	return "https://dcs." + region + ".myhuaweicloud.com"
}

// InstanceTarget is an instance with everything it inherits resolved: what a
// DCS client needs to reach it, and the policy for requests on it.
type InstanceTarget struct {
	Alias     string // the name users type
	ID        string // the DCS instance ID
	Region    string
	ProjectID string
	Endpoint  string // absolute URL, no trailing slash
	Policy    Policy // the effective policy, as PolicyFor
}

// InstanceTargets resolves every instance, by alias. An instance's empty
// region and project ID come from huaweicloud. Its empty endpoint comes from
// huaweicloud.endpoint too, unless it names a region of its own, in which
// case it is that region's DefaultEndpoint.
func (c *Config) InstanceTargets() map[string]InstanceTarget {
	out := make(map[string]InstanceTarget, len(c.Instances))
	for alias, inst := range c.Instances {
		out[alias] = c.resolve(alias, inst)
	}
	return out
}

// Target resolves one instance by alias.
func (c *Config) Target(alias string) (InstanceTarget, bool) {
	inst, ok := c.Instances[alias]
	if !ok {
		return InstanceTarget{}, false
	}
	return c.resolve(alias, inst), true
}

// PolicyFor returns the effective policy of the instance alias: the global
// Policy with the instance's overrides applied. For an unknown alias it is the
// global Policy. The result shares no slice with c.
func (c *Config) PolicyFor(alias string) Policy {
	return c.Instances[alias].Policy.apply(c.Policy)
}

// Aliases returns the instance aliases, sorted.
func (c *Config) Aliases() []string {
	out := make([]string, 0, len(c.Instances))
	for alias := range c.Instances {
		out = append(out, alias)
	}
	sort.Strings(out)
	return out
}

func (c *Config) resolve(alias string, inst Instance) InstanceTarget {
	hc := c.HuaweiCloud
	t := InstanceTarget{Alias: alias, ID: inst.ID, Region: hc.Region, ProjectID: hc.ProjectID, Policy: inst.Policy.apply(c.Policy)}
	if inst.Region != "" {
		t.Region = inst.Region
	}
	if inst.ProjectID != "" {
		t.ProjectID = inst.ProjectID
	}
	switch {
	case inst.Endpoint != "":
		t.Endpoint = inst.Endpoint
	case t.Region != hc.Region || hc.Endpoint == "":
		t.Endpoint = DefaultEndpoint(t.Region)
	default:
		t.Endpoint = hc.Endpoint
	}
	t.Endpoint = strings.TrimRight(t.Endpoint, "/")
	return t
}

// ScheduleParser is the cron parser schedule.sweep and schedule.remind are
// validated with: five fields, an optional leading seconds field, and
// descriptors such as "@every 30s". Prefer ParseSchedule, which also survives
// hostile specs.
var ScheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec with ScheduleParser.
func ParseSchedule(spec string) (s cron.Schedule, err error) {
	defer func() {
		// cron v3.0.1 panics on "TZ=x" with nothing after it.
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("malformed spec")
		}
	}()
	return ScheduleParser.Parse(spec)
}

// SlogLevel is Level as a slog.Level; an unknown level is info.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Handler returns a slog handler writing to w in Format ("json", else text)
// at Level.
func (l Log) Handler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.SlogLevel()}
	if l.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
