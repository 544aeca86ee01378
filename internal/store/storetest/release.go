package storetest

import (
	"slices"
	"testing"

	"dcsbot/internal/approvals"
)

// CheckReleaseV1 checks that s, a database made by the first release (its
// testdata fixture) and migrated by this one, still holds that release's
// request whole: an executed kill with its approval, its result and a
// held-back address recorded in that release's words.
func CheckReleaseV1(t *testing.T, s approvals.Store) {
	t.Helper()
	r, err := s.Get(t.Context(), "7K2QFM")
	if err != nil {
		t.Fatalf("the release's request: %v", err)
	}
	if r.State != approvals.Succeeded || r.Instance.Alias != "orders-prod" || r.Reason != "KEYS storm" ||
		r.MessageTS != "1700000000.000100" || len(r.Approvals) != 1 || r.Approvals[0].User != "UAPPROVER1" {
		t.Errorf("the release's request reads back as %+v", r)
	}
	res := r.Result
	if res == nil || res.Detail != "DCS accepted the kill" || !slices.Equal(res.Killed, []string{"10.0.0.1:5000"}) ||
		len(res.Skipped) != 1 || res.Skipped[0].Why != "no longer connected" || res.Skipped[0].Reason != "" {
		t.Errorf("the release's result reads back as %+v", res)
	}
	evs, err := s.Events(t.Context(), "7K2QFM")
	if err != nil || len(evs) != 5 {
		t.Errorf("the release's audit trail: %d events, %v; want 5", len(evs), err)
	}
}
