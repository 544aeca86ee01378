package config

import (
	"slices"
	"testing"
)

// The example loads with a warning at each placeholder ID it shows, and
// the table of those IDs is exactly what the file holds.
func TestExampleIDsInStep(t *testing.T) {
	c, err := Load("../../config.example.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	var projects, instances, ids []string
	add := func(dst *[]string, v ...string) {
		for _, x := range v {
			if x != "" && !slices.Contains(*dst, x) {
				*dst = append(*dst, x)
			}
		}
	}
	add(&projects, c.HuaweiCloud.ProjectID)
	add(&ids, c.Policy.Channels...)
	add(&ids, c.Policy.Requesters...)
	add(&ids, c.Policy.Approvers...)
	for _, inst := range c.Instances {
		add(&projects, inst.ProjectID)
		add(&instances, inst.ID)
		add(&ids, listOf(inst.Policy.Channels)...)
		add(&ids, listOf(inst.Policy.Requesters)...)
		add(&ids, listOf(inst.Policy.Approvers)...)
	}
	for name, got := range map[string][]string{"projects": projects, "instances": instances, "slack": ids} {
		want := map[string][]string{"projects": exampleIDs.projects, "instances": exampleIDs.instances, "slack": exampleIDs.slack}[name]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("exampleIDs.%s = %v, the example holds %v", name, want, got)
		}
	}

	want := `huaweicloud.project_id: "0123456789abcdef0123456789abcdef" is the placeholder from config.example.yaml: set your own
instances.orders-prod.id: "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" is the placeholder from config.example.yaml: set your own
instances.payments-prod.id: "7c9e6679-7425-40de-944b-e07fc1f90ae7" is the placeholder from config.example.yaml: set your own
policy.approvers[0]: "U0123ABCD" is the placeholder from config.example.yaml: set your own
policy.approvers[1]: "S0123ABCD" is the placeholder from config.example.yaml: set your own
policy.channels[0]: "C0123ABCD" is the placeholder from config.example.yaml: set your own`
	if got := c.Warnings().Error(); got != want {
		t.Errorf("the example's warnings:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlaceholderSecret(t *testing.T) {
	for _, tt := range []struct {
		val, prefix, want string
	}{
		{"xapp-…", "xapp-", "an ellipsis"},
		{"xoxb-...", "xoxb-", "an ellipsis"},
		{"…", "", "an ellipsis"},
		{"xapp-", "xapp-", `nothing after "xapp-"`},
		{"xapp-<app-level-token>", "xapp-", "a description in brackets"},
		{"<ak>", "", "a description in brackets"},
		{"[REDACTED]", "", "a description in brackets"},
		{"{{ .Values.sk }}", "", "a description in brackets"},
		{"${CLOUD_SDK_AK}", "", "a variable that was not expanded"},
		{"changeme", "", "a word such as changeme"},
		{"xoxb-change-me", "xoxb-", "a word such as changeme"},
		{"Secret_Key", "", "a word such as changeme"},
		{"xxxxxxxxxxxx", "", "only x's or punctuation"},
		{"xapp-xxxx-xxxx", "xapp-", "only x's or punctuation"},
		{"your-access-key-id", "", `it starts with "your"`},
		// Real-looking values.
		{fakeAppToken, "xapp-", ""},
		{fakeBotToken, "xoxb-", ""},
		{fakeAccessKey, "", ""},
		{fakeSecretKey, "", ""},
		{"xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-", ""},
		{"HPUAXXXXXXXXXXXXXXXX", "", ""},
	} {
		if got := placeholder(tt.val, tt.prefix); got != tt.want {
			t.Errorf("placeholder(%q, %q) = %q, want %q", tt.val, tt.prefix, got, tt.want)
		}
	}
}

// listOf is an override's list, nil when it sets none.
func listOf(ids *[]string) []string {
	if ids == nil {
		return nil
	}
	return *ids
}
