package config

import (
	"sort"
	"strings"
)

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
	Policy    Policy // the effective policy: the instance's overrides on Config.Policy
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
