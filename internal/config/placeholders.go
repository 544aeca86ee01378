package config

import (
	"slices"
	"strings"
	"unicode"
)

// exampleIDs are the placeholder IDs config.example.yaml shows. A
// configuration that still holds one was copied and not finished:
// Warnings names the key. TestExampleIDsInStep keeps this table in step
// with the file.
var exampleIDs = struct {
	projects, instances, slack []string
}{
	projects:  []string{"0123456789abcdef0123456789abcdef"},
	instances: []string{"3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
	slack:     []string{"C0123ABCD", "S0123ABCD", "U0123ABCD"},
}

const examplePlaceholder = "%s is the placeholder from config.example.yaml: set your own"

// warnExampleIDs warns at each key whose value is still one of the
// example's placeholder IDs: the project IDs, the instance IDs, and the
// channel, user and group IDs of every policy.
func (c *Config) warnExampleIDs(p *problems) {
	warn := func(key, id string, examples []string) {
		if id != "" && slices.ContainsFunc(examples, func(e string) bool { return strings.EqualFold(e, id) }) {
			p.add(key, examplePlaceholder, quote(id))
		}
	}
	warn("huaweicloud.project_id", c.HuaweiCloud.ProjectID, exampleIDs.projects)
	for _, alias := range c.Aliases() {
		inst, key := c.Instances[alias], child("instances", alias)
		warn(key+".id", inst.ID, exampleIDs.instances)
		warn(key+".project_id", inst.ProjectID, exampleIDs.projects)
	}
	c.eachPolicy(p, warnPolicyIDs)
}

// warnPolicyIDs warns at each example Slack ID in the lists of the policy
// at key.
func warnPolicyIDs(p *problems, key string, pol Policy) {
	for _, l := range []struct {
		name string
		ids  []string
	}{{"channels", pol.Channels}, {"requesters", pol.Requesters}, {"approvers", pol.Approvers}} {
		for i, id := range l.ids {
			if slices.Contains(exampleIDs.slack, id) {
				p.add(index(key+"."+l.name, i), examplePlaceholder, quote(id))
			}
		}
	}
}

// warnPlaceholders warns at each secret whose value looks like a
// placeholder copied from the docs (`xapp-…`, `<token>`, `changeme`)
// rather than a credential. The warning says which kind, never the value.
func (s *Secrets) warnPlaceholders(p *problems) {
	for _, v := range secretVars {
		val := v.field(s).Reveal()
		if val == "" {
			continue
		}
		if why := placeholder(val, v.prefix); why != "" {
			p.add(v.name, "the value looks like a placeholder (%s), not a real credential", why)
		}
	}
}

// placeholderWords are what docs and templates put where a secret goes,
// lowercased, with only letters and digits.
var placeholderWords = map[string]bool{
	"changeme": true, "replaceme": true, "placeholder": true, "todo": true, "tbd": true, "fixme": true,
	"secret": true, "password": true, "token": true, "apptoken": true, "bottoken": true,
	"accesskey": true, "secretkey": true, "ak": true, "sk": true, "redacted": true, "example": true,
	"dummy": true, "none": true, "null": true, "empty": true, "notset": true, "unset": true, "setme": true,
}

// placeholder says why val, a secret's value with its required prefix,
// looks like a placeholder, or "" when it does not.
func placeholder(val, prefix string) string {
	rest := strings.TrimPrefix(val, prefix)
	if rest == "" {
		return "nothing after " + quote(prefix)
	}
	if strings.Contains(rest, "…") || strings.Contains(rest, "...") {
		return "an ellipsis"
	}
	first, last := rest[0], rest[len(rest)-1]
	if strings.IndexByte("<[{", first) >= 0 && strings.IndexByte(">]}", last) >= 0 {
		return "a description in brackets"
	}
	if strings.HasPrefix(rest, "${") || strings.HasPrefix(rest, "$(") {
		return "a variable that was not expanded"
	}
	word := strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, rest))
	switch {
	case placeholderWords[word]:
		return "a word such as changeme"
	case strings.Trim(word, "x") == "":
		return "only x's or punctuation"
	case strings.HasPrefix(word, "your"):
		return `it starts with "your"`
	}
	return ""
}
