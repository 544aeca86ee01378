// Package testkit holds what several packages' tests share besides the
// fakes: a log sink safe for concurrent writes, the bot binary built once
// per test process, and a local address nothing listens on.
package testkit

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// SyncBuffer is an io.Writer safe for concurrent writes, for logs and a
// process's output.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BotBinary builds ./cmd/bot once per test process, static and trimmed as
// `make build` does, and returns its path. Without the go command the test
// is skipped with a loud reason. Call Cleanup from TestMain.
func BotBinary(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("SKIPPING: the go command is not on PATH, so the bot binary cannot be built (%v)", err)
	}
	build.once.Do(func() {
		if build.dir, build.err = os.MkdirTemp("", "dcsbot-bin-"); build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "bot")
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", build.bin, "dcsbot/cmd/bot")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/bot: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.bin
}

// Cleanup removes the binary BotBinary built, if any.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// ClosedAddr is a local host:port nothing listens on: a connection to it
// is refused at once.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
