package config

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The PostgreSQL DSNs the documentation shows for a real server use
// sslmode=verify-full: TLS that checks the server's certificate and host
// name. (Local test databases on 127.0.0.1 are not examples to copy.)
func TestPostgresExamplesVerifyTheServer(t *testing.T) {
	dsnRE := regexp.MustCompile(`postgres(ql)?://[^\s"'` + "`" + `)]+`)
	seen := 0
	for _, f := range []string{"../../README.md", "../../config.example.yaml", "../../deploy/kubernetes.yaml",
		"../../deploy/helm/dcsbot/values.yaml", "../../deploy/helm/dcsbot/ci/postgres-ha-values.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, dsn := range dsnRE.FindAllString(string(b), -1) {
			if strings.Contains(dsn, "@127.0.0.1") || strings.Contains(dsn, "://127.0.0.1") {
				continue
			}
			u, err := url.Parse(strings.NewReplacer("<", "", ">", "").Replace(dsn))
			if err != nil {
				t.Errorf("%s: %s: %v", f, dsn, err)
				continue
			}
			if u.Host == "" || strings.HasPrefix(u.Host, "…") {
				continue // a mention of the scheme, not an example
			}
			seen++
			if got := u.Query().Get("sslmode"); got != "verify-full" {
				t.Errorf("%s: %s: sslmode %q, want verify-full", f, dsn, got)
			}
		}
	}
	if seen < 3 {
		t.Fatalf("found %d PostgreSQL examples; the test looks in the wrong places", seen)
	}
}
