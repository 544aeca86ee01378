package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func good(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mutate replaces the one occurrence of old in the good manifest.
func mutate(t *testing.T, old, replacement string) string {
	t.Helper()
	g := good(t)
	if n := strings.Count(g, old); n != 1 {
		t.Fatalf("%q occurs %d times in testdata/good.yaml, want 1", old, n)
	}
	return strings.Replace(g, old, replacement, 1)
}

func TestGoodManifestPasses(t *testing.T) {
	objs, errs := Check([]byte(good(t)))
	for _, e := range errs {
		t.Error(e)
	}
	if len(objs) != len(kinds) {
		t.Errorf("decoded %d objects (%s), want one of each of the %d kinds", len(objs), Summary(objs), len(kinds))
	}
}

// Each broken manifest fails with a message naming the document and what
// is wrong.
func TestBrokenManifestsFail(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string // fragments of one error message
	}{
		{"misspelled field", "readOnlyRootFilesystem: true", "readOnlyRootFilesytem: true",
			[]string{"document 9", `Deployment "dcsbot"`, "dcsbot/templates/deployment.yaml",
				`unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem"`}},
		{"field in the wrong case", "imagePullPolicy: IfNotPresent", "ImagePullPolicy: IfNotPresent",
			[]string{`unknown field "spec.template.spec.containers[0].ImagePullPolicy"`}},
		{"field at the wrong level", "      automountServiceAccountToken: false\n      securityContext:",
			"      securityContext:\n        automountServiceAccountToken: false",
			[]string{`unknown field "spec.template.spec.securityContext.automountServiceAccountToken"`}},
		{"misspelled ServiceMonitor field", "  endpoints:\n", "  endpoint:\n",
			[]string{`ServiceMonitor "dcsbot"`, `unknown field "spec.endpoint"`}},
		{"misspelled top-level field", "automountServiceAccountToken: false\n---\n# Source: dcsbot/templates/secret.yaml",
			"automountServiceAcountToken: false\n---\n# Source: dcsbot/templates/secret.yaml",
			[]string{`ServiceAccount "dcsbot"`, `unknown field "automountServiceAcountToken"`}},
		{"duplicate key", "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n", []string{"document 9", "replicas"}},
		{"wrong type", "  replicas: 2\n", "  replicas: two\n", []string{"document 9", "replicas"}},
		{"unknown kind", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgett",
			[]string{"document 7", `unknown kind "PodDisruptionBudgett"`}},
		{"known kind, wrong version", "apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n",
			[]string{`unknown kind "PodDisruptionBudget", apiVersion "policy/v1beta1"`}},
		{"no name", "  name: dcsbot\ndata:", "  labels: {}\ndata:", []string{"metadata.name is empty"}},
		{"named user only", "        runAsUser: 65532\n", "", []string{"runAsUser must be set to a numeric non-root user"}},
		{"root user", "runAsUser: 65532", "runAsUser: 0", []string{"runAsUser is 0"}},
		{"root allowed", "runAsNonRoot: true", "runAsNonRoot: false", []string{"runAsNonRoot must be true"}},
		{"writable root filesystem", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
			[]string{"readOnlyRootFilesystem must be true"}},
		{"privilege escalation", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true",
			[]string{"allowPrivilegeEscalation must be false"}},
		{"capabilities kept", "drop: [ALL]", "drop: [NET_RAW]", []string{"capabilities.drop must hold ALL"}},
		{"service account token", "      automountServiceAccountToken: false\n", "",
			[]string{"spec.template.spec.automountServiceAccountToken must be false"}},
		{"service account automounts", "automountServiceAccountToken: false\n---\n# Source: dcsbot/templates/secret.yaml",
			"automountServiceAccountToken: true\n---\n# Source: dcsbot/templates/secret.yaml",
			[]string{`ServiceAccount "dcsbot"`, "automountServiceAccountToken must be false"}},
		{"no readiness probe", "          readinessProbe:\n            httpGet: {path: /readyz, port: http}\n", "",
			[]string{"containers[0] (dcsbot): readinessProbe is missing"}},
		{"no startup probe", "          startupProbe:\n            httpGet: {path: /healthz, port: http}\n", "",
			[]string{"startupProbe is missing"}},
		{"selector not matching the pod", "      labels: {app: dcsbot}", "      labels: {app: other}",
			[]string{"matchLabels app=dcsbot is not a label of the pod template"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Check([]byte(mutate(t, tt.old, tt.new)))
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			for _, e := range errs {
				if containsAll(e.Error(), tt.want) {
					return
				}
			}
			t.Errorf("no error holds all of %q; got:\n%s", tt.want, joinErrors(errs))
		})
	}
}

func TestEmptyStreamFails(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n---\n---\n"} {
		if _, errs := Check([]byte(in)); len(errs) == 0 {
			t.Errorf("Check(%q): no error", in)
		}
	}
}

func TestSplitNumbersDocumentsAndKeepsSource(t *testing.T) {
	docs := split([]byte("a: 1\n---\n# comment only\n--- # trailing\n# Source: x/y.yaml\nb: 2\n"))
	if len(docs) != 2 {
		t.Fatalf("split: %d documents, want 2", len(docs))
	}
	if docs[0].Index != 1 || docs[1].Index != 3 || docs[1].Source != "x/y.yaml" {
		t.Errorf("split: %+v", docs)
	}
}

// The command: exit 0 and a summary for a good file, exit 1 and the
// problem for a bad one; -configs writes the ConfigMaps' data.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	goodPath := filepath.Join(dir, "good.yaml")
	badPath := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(goodPath, []byte(good(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badPath, []byte(mutate(t, "  endpoints:\n", "  endpoint:\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	configs := filepath.Join(dir, "configs")
	if code := run([]string{"-configs", configs, goodPath}, nil, &out, &errOut); code != 0 {
		t.Fatalf("good: exit %d\n%s", code, &errOut)
	}
	if !strings.Contains(out.String(), "8 objects") {
		t.Errorf("good: %q", &out)
	}
	cfg, err := os.ReadFile(filepath.Join(configs, "dcsbot", "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "listen: 0.0.0.0:8080") {
		t.Errorf("-configs: %q, %v", cfg, err)
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{badPath}, nil, &out, &errOut); code != 1 {
		t.Fatalf("bad: exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), badPath) || !strings.Contains(errOut.String(), `unknown field "spec.endpoint"`) {
		t.Errorf("bad: stderr %q", &errOut)
	}

	errOut.Reset()
	if code := run(nil, strings.NewReader(good(t)), &out, &errOut); code != 0 {
		t.Errorf("stdin: exit %d\n%s", code, &errOut)
	}
}

func containsAll(s string, fragments []string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

func joinErrors(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}
