package slackbot

import (
	"strings"
	"testing"
)

// The advice follows DCS's published error table: what DCS documents is
// said to be DCS's, what the bot suggests is said to be the bot's, and
// throttling is recognised before any advice about credentials.
func TestDCSAdviceFollowsTheTable(t *testing.T) {
	cases := []struct {
		code    string
		status  int
		want    []string
		mustNot []string
	}{
		{"APIGW.0308", 429, []string{"DCS documents APIGW.0308 as: the request was throttled", "throttling"}, []string{"credentials", "CLOUD_SDK"}},
		{"APIG.0308", 429, []string{"throttled", "few seconds"}, []string{"CLOUD_SDK"}},
		{"APIGW.0309", 429, []string{"HTTP 429", "throttling"}, []string{"credentials", "DCS documents"}},
		{"", 429, []string{"throttling"}, []string{"credentials"}},
		{"DCS.1004", 401, []string{"the project ID does not match the token", "huaweicloud.project_id"}, []string{"CLOUD_SDK_SK"}},
		{"DCS.5006", 500, []string{"a job could not be submitted"}, []string{"internal error"}},
		{"DCS.4957", 400, []string{"DCS documents DCS.4957", "The bot suggests: A session task"}, nil},
		{"APIGW.0301", 401, []string{"credentials", "CLOUD_SDK_AK"}, []string{"DCS documents"}},
		{"DCS.9999", 400, nil, []string{"DCS documents", "suggests"}},
	}
	for _, c := range cases {
		got := nextStep(c.code, c.status)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %d: %q lacks %q", c.code, c.status, got, w)
			}
		}
		for _, w := range c.mustNot {
			if strings.Contains(got, w) {
				t.Errorf("%s %d: %q says %q", c.code, c.status, got, w)
			}
		}
		if i, j := strings.Index(got, "DCS documents"), strings.Index(got, "The bot suggests"); i >= 0 && (j < 0 || j < i) {
			t.Errorf("%s: %q: DCS's meaning must come first, then the bot's suggestion", c.code, got)
		}
	}
}
