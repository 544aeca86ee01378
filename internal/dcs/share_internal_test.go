package dcs

import (
	"testing"
	"time"
)

func TestOneSDKClientPerURLAndProject(t *testing.T) {
	c, err := New(Params{
		AK: "ak", SK: "sk", Timeout: 7 * time.Second, ScanWait: 9 * time.Second, BusyTimeout: 11 * time.Second, ScanBound: 36 * time.Second,
		Instances: map[string]Endpoint{
			"a": {ProjectID: "p1", URL: "http://127.0.0.1:1"},
			"b": {ProjectID: "p1", URL: "http://127.0.0.1:1/"},
			"c": {ProjectID: "p2", URL: "http://127.0.0.1:1"},
			"d": {ProjectID: "p1", URL: "http://127.0.0.1:2"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[any]bool{}
	for _, tg := range c.targets {
		distinct[tg.sdk] = true
	}
	if len(distinct) != 3 {
		t.Fatalf("built %d SDK clients, want 3", len(distinct))
	}
	if c.targets["a"].sdk != c.targets["b"].sdk || c.targets["a"].sdk == c.targets["c"].sdk {
		t.Fatal("SDK clients not shared by (URL, project)")
	}
	if c.timeout != 7*time.Second || c.scanWait != 9*time.Second || c.busyTimeout != 11*time.Second {
		t.Fatalf("timeout = %s, scan wait = %s, busy timeout = %s", c.timeout, c.scanWait, c.busyTimeout)
	}
}
