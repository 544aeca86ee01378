package dcs

import "testing"

func TestOneSDKClientPerURLAndProject(t *testing.T) {
	c, err := New(Params{
		AK: "ak", SK: "sk",
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
	if c.sdks != 3 {
		t.Fatalf("built %d SDK clients, want 3", c.sdks)
	}
	if c.targets["a"].sdk != c.targets["b"].sdk || c.targets["a"].sdk == c.targets["c"].sdk {
		t.Fatal("SDK clients not shared by (URL, project)")
	}
	if c.timeout != DefaultTimeout {
		t.Fatalf("timeout = %s", c.timeout)
	}
}
