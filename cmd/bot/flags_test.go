package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dcsbot/internal/config"
	"dcsbot/internal/version"
)

// The command line without a config file: help, version and usage errors
// never read one.
func TestCommandLine(t *testing.T) {
	flags := []string{"-config", "-check-config", "-version"}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // fragments stdout must hold
		stderr     []string // fragments stderr must hold
		quietOut   bool     // nothing on stdout
		quietError bool     // nothing on stderr
	}{
		{name: "-help", args: []string{"-help"}, code: 0, stdout: append([]string{"Usage:", "bot version"}, flags...), quietError: true},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: flags, quietError: true},
		{name: "-version", args: []string{"-version"}, code: 0, stdout: []string{"dcsbot ", "revision ", "go1."}, quietError: true},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"dcsbot ", "revision ", "go1."}, quietError: true},
		{name: "version after flags", args: []string{"-config", "nowhere.yaml", "version"}, code: 0, stdout: []string{"dcsbot "}, quietError: true},
		{name: "unknown flag", args: []string{"-chek-config"}, code: 2, stderr: []string{"-chek-config", "bot -help"}, quietOut: true},
		{name: "unknown argument", args: []string{"start"}, code: 2, stderr: []string{`"start"`, "bot -help"}, quietOut: true},
		{name: "argument after flags", args: []string{"-config", "c.yaml", "extra"}, code: 2, stderr: []string{`"extra"`}, quietOut: true},
		{name: "version with arguments", args: []string{"version", "--short"}, code: 2, stderr: []string{"version takes no arguments"}, quietOut: true},
		{name: "flag needs a value", args: []string{"-config"}, code: 2, stderr: []string{"-config"}, quietOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, f := range tt.stdout {
				if !strings.Contains(stdout.String(), f) {
					t.Errorf("stdout lacks %q:\n%s", f, &stdout)
				}
			}
			for _, f := range tt.stderr {
				if !strings.Contains(stderr.String(), f) {
					t.Errorf("stderr lacks %q:\n%s", f, &stderr)
				}
			}
			if tt.quietOut && stdout.Len() > 0 {
				t.Errorf("stdout should be empty:\n%s", &stdout)
			}
			if tt.quietError && stderr.Len() > 0 {
				t.Errorf("stderr should be empty:\n%s", &stderr)
			}
		})
	}
}

// The help names every secret config reads, and when a secret is needed
// only sometimes, when.
func TestHelpNamesEverySecret(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, &stderr)
	}
	for _, v := range config.SecretVars() {
		if !strings.Contains(stdout.String(), v.Name) || !strings.Contains(stdout.String(), v.When) {
			t.Errorf("the help lacks %s (%q):\n%s", v.Name, v.When, &stdout)
		}
	}
}

// `-version` prints version.Get() itself.
func TestVersionLine(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, &stderr)
	}
	if got, want := stdout.String(), version.Get().String()+"\n"; got != want {
		t.Errorf("-version printed %q, want %q", got, want)
	}
}

// `make build`, the build command of the Dockerfile and CI, stamps the
// version and revision it is given into the binary.
func TestMakeBuildStampsVersion(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skipf("SKIPPING: make is not on PATH, so `make build` cannot be tested (%v)", err)
	}
	const (
		ver = "v9.8.7-test.1"
		rev = "0123456789abcdef0123456789abcdef01234567"
	)
	bin := filepath.Join(t.TempDir(), "bot")
	build := exec.Command(makeBin, "-s", "-C", filepath.Join("..", ".."), "build", "BIN="+bin, "VERSION="+ver, "REVISION="+rev)
	// Not the make running these tests: its jobserver is not this one's.
	build.Env = withoutMakeVars(os.Environ())
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"-version"}, {"version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("bot %s: %v\n%s", args[0], err, out)
		}
		want := "dcsbot " + ver + " (revision " + rev + ", go1."
		if !strings.HasPrefix(string(out), want) {
			t.Errorf("bot %s printed %q, want it to start with %q", args[0], out, want)
		}
	}
}

func withoutMakeVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
