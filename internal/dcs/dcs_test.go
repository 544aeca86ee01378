package dcs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/dcs"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/testkit"
)

const (
	ak      = "HWAKTESTVALUE7Q2ZK9XW"
	sk      = "hwSkTestValue-6c1d9f8e2b7a4c3d5e6f7a8b9c0d"
	project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	instID  = "8f7ee181-88e2-49b7-a4bf-81f18f93a135"
	node    = "ff80808179c0e6e50179c0ee4b0c0005"
	alias   = "prod-cache"
)

var prod = approvals.Instance{Alias: alias, ID: instID}

type setup struct {
	fake *fakedcs.Server
	c    *dcs.Client
	logs *testkit.SyncBuffer
}

func newSetup(t *testing.T, mod func(*dcs.Params)) setup {
	t.Helper()
	return newScanSetup(t, 0, mod)
}

func newLogger(w *testkit.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestKillHappyPath(t *testing.T) {
	s := newSetup(t, nil)
	addrs := []string{"10.1.2.3:51234", "[2001:db8::1]:6000"}
	if err := s.c.Kill(context.Background(), prod, node, addrs); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	ks := s.fake.Kills()
	if len(ks) != 1 {
		t.Fatalf("fake saw %d kills, want 1", len(ks))
	}
	if ks[0].InstanceID != instID || ks[0].NodeID != node || strings.Join(ks[0].Addrs, " ") != strings.Join(addrs, " ") {
		t.Fatalf("fake saw %+v", ks[0])
	}
	if n := s.fake.BadSignatures(); n != 0 {
		t.Fatalf("BadSignatures = %d", n)
	}
	log := s.logs.String()
	for _, want := range []string{"api=HangUpClients", "instance=" + alias, "status=204", "dcs_request_id="} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestKillFallsBackToConfiguredID(t *testing.T) {
	s := newSetup(t, nil)
	if err := s.c.Kill(context.Background(), approvals.Instance{Alias: alias}, node, []string{"10.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if ks := s.fake.Kills(); len(ks) != 1 || ks[0].InstanceID != instID {
		t.Fatalf("kills = %+v", ks)
	}
}

func TestKillWrongSK(t *testing.T) {
	s := newSetup(t, func(p *dcs.Params) { p.SK = "not-" + sk })
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	var de *approvals.DCSError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *approvals.DCSError", err)
	}
	if de.HTTPStatus != 401 || de.Code != "APIGW.0301" || de.RequestID == "" {
		t.Fatalf("DCSError = %+v", de)
	}
	if errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatal("a refused request is not an unknown outcome")
	}
	if n := s.fake.BadSignatures(); n != 1 {
		t.Fatalf("BadSignatures = %d, want 1", n)
	}
	if len(s.fake.Kills()) != 0 {
		t.Fatal("fake recorded a kill it refused")
	}
}

func TestKillDCSErrorMapped(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply {
		r := fakedcs.Error(400, "DCS.4800", "Invalid parameter: client_addrs.")
		r.RequestID = "5f1c0d2e-req"
		return r
	})
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	var de *approvals.DCSError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	want := approvals.DCSError{HTTPStatus: 400, Code: "DCS.4800", Message: "Invalid parameter: client_addrs.", RequestID: "5f1c0d2e-req"}
	if *de != want {
		t.Fatalf("DCSError = %+v, want %+v", *de, want)
	}
	if !strings.HasPrefix(err.Error(), "kill sessions on "+alias+": ") {
		t.Fatalf("err text %q lacks context", err)
	}
	if errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatal("a DCS answer is not an unknown outcome")
	}
}

func TestKillHang(t *testing.T) {
	s := newSetup(t, func(p *dcs.Params) { p.Timeout = 300 * time.Millisecond })
	s.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	start := time.Now()
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	took := time.Since(start)
	if !errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if !strings.Contains(err.Error(), "no answer within 0.3 s") {
		t.Fatalf("err text %q", err)
	}
	if took > 2*time.Second {
		t.Fatalf("Kill took %s", took)
	}
	if len(s.fake.Kills()) != 1 {
		t.Fatal("the request should have reached the fake")
	}
}

func TestKillConnectionDropped(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Drop: true} })
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	if !errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	var de *approvals.DCSError
	if errors.As(err, &de) {
		t.Fatal("no DCS answer came back")
	}
	if n := s.fake.Calls(fakedcs.APIKill); n != 1 {
		t.Fatalf("kill sent %d times, want exactly 1 (never retried)", n)
	}
}

func closedPort(t *testing.T) string { return "http://" + testkit.ClosedAddr(t) }

func TestKillConnectionRefused(t *testing.T) {
	url := closedPort(t)
	s := newSetup(t, func(p *dcs.Params) {
		p.Instances = map[string]dcs.Endpoint{alias: {InstanceID: instID, ProjectID: project, URL: url}}
	})
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	if err == nil {
		t.Fatal("Kill to a closed port succeeded")
	}
	if errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatalf("refused connection reported as unknown outcome: %v", err)
	}
	var de *approvals.DCSError
	if errors.As(err, &de) {
		t.Fatalf("refused connection reported as a DCS answer: %v", err)
	}
	if !strings.Contains(err.Error(), "could not reach DCS") {
		t.Fatalf("err text %q", err)
	}
}

func TestKillNotRetried(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Error(503, "DCS.5000", "Internal error") })
	err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"})
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.HTTPStatus != 503 {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APIKill); n != 1 {
		t.Fatalf("kill sent %d times", n)
	}
}

func TestKillCancelledBeforeSend(t *testing.T) {
	s := newSetup(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.c.Kill(ctx, prod, node, []string{"10.0.0.1:1"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, approvals.ErrOutcomeUnknown) {
		t.Fatalf("err = %v", err)
	}
	if s.fake.Calls(fakedcs.APIKill) != 0 {
		t.Fatal("a kill was sent under a cancelled context")
	}
}

// An in-flight kill finishes even when ctx is cancelled meanwhile (graceful
// shutdown records its real outcome).
func TestKillInFlightSurvivesCancel(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 300 * time.Millisecond} })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		_, _ = s.fake.WaitKills(wctx, 1)
		cancel()
	}()
	if err := s.c.Kill(ctx, prod, node, []string{"10.0.0.1:1"}); err != nil {
		t.Fatalf("in-flight kill: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("test did not cancel while the kill was in flight")
	}
}

func TestUnknownAliasAndBadInput(t *testing.T) {
	s := newSetup(t, nil)
	ctx := context.Background()
	cases := map[string]struct {
		inst  approvals.Instance
		node  string
		addrs []string
		want  string
	}{
		"unknown alias":  {approvals.Instance{Alias: "staging", ID: instID}, node, []string{"10.0.0.1:1"}, `"staging" is not configured`},
		"id mismatch":    {approvals.Instance{Alias: alias, ID: "11111111-2222-3333-4444-555555555555"}, node, []string{"10.0.0.1:1"}, "does not match"},
		"empty node":     {prod, "", []string{"10.0.0.1:1"}, "node ID is empty"},
		"no addrs":       {prod, node, nil, "no addresses"},
		"empty addr":     {prod, node, []string{"10.0.0.1:1", ""}, "no addresses"},
		"path injection": {approvals.Instance{Alias: "other", ID: "x/../../y"}, node, []string{"10.0.0.1:1"}, "not a DCS instance ID"},
	}
	s2 := newSetup(t, func(p *dcs.Params) {
		p.Instances["other"] = dcs.Endpoint{ProjectID: project, URL: p.Instances[alias].URL}
	})
	for name, tc := range cases {
		c := s.c
		if tc.inst.Alias == "other" {
			c = s2.c
		}
		err := c.Kill(ctx, tc.inst, tc.node, tc.addrs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		if errors.Is(err, approvals.ErrOutcomeUnknown) {
			t.Errorf("%s: unknown outcome for a request never sent", name)
		}
	}
	if s.fake.Calls(fakedcs.APIKill)+s2.fake.Calls(fakedcs.APIKill) != 0 {
		t.Fatal("a bad request reached DCS")
	}
	if _, err := s.c.Sessions(ctx, approvals.Instance{Alias: "nope"}, node); err == nil {
		t.Fatal("Sessions: unknown alias accepted")
	}
	if _, err := s.c.Sessions(ctx, prod, ""); err == nil || !strings.Contains(err.Error(), "node ID is empty") {
		t.Fatalf("Sessions: empty node: %v", err)
	}
	if _, err := s.c.Nodes(ctx, approvals.Instance{Alias: "nope"}); err == nil {
		t.Fatal("Nodes: unknown alias accepted")
	}
	if s.fake.Calls(fakedcs.APIScanClients)+s.fake.Calls(fakedcs.APIListClients)+s.fake.Calls(fakedcs.APINodes) != 0 {
		t.Fatal("a bad read reached DCS")
	}
}

func TestNewValidation(t *testing.T) {
	good := dcs.Endpoint{InstanceID: instID, ProjectID: project, URL: "https://dcs.example.test"}
	cases := map[string]struct {
		p    dcs.Params
		want []string
	}{
		"empty AK": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": good}, SK: sk}, []string{"access key (AK) is empty"}},
		"empty SK": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": good}, AK: ak}, []string{"secret key (SK) is empty"}},
		"no project": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": {URL: good.URL}}, AK: ak, SK: sk},
			[]string{`instances["a"].project_id is empty`}},
		"bad url": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": {ProjectID: project, URL: "ftp://x"}}, AK: ak, SK: sk},
			[]string{`instances["a"].url "ftp://x"`}},
		"no url or region": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": {ProjectID: project}}, AK: ak, SK: sk},
			[]string{`instances["a"]: set url or region`}},
		"bad region": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": {ProjectID: project, Region: "mars-1"}}, AK: ak, SK: sk},
			[]string{`instances["a"].region "mars-1"`}},
		"all at once": {dcs.Params{Instances: map[string]dcs.Endpoint{"a": {}}},
			[]string{"(AK) is empty", "(SK) is empty", "project_id is empty", "set url or region"}},
		"none": {dcs.Params{AK: ak, SK: sk}, []string{"no instances"}},
		"no scan bound": {dcs.Params{AK: ak, SK: sk, Timeout: time.Second, ScanWait: time.Second, BusyTimeout: time.Second,
			Instances: map[string]dcs.Endpoint{"a": good}}, []string{"scan bound is 0s"}},
		"no timeouts": {dcs.Params{AK: ak, SK: sk, Instances: map[string]dcs.Endpoint{"a": good}},
			[]string{"timeout is 0s", "scan wait is 0s", "busy timeout is 0s"}},
	}
	for name, tc := range cases {
		_, err := dcs.New(tc.p)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err %q lacks %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), ak) || strings.Contains(err.Error(), sk) {
			t.Errorf("%s: err %q reveals a key", name, err)
		}
	}
	// A region the SDK knows resolves without a URL.
	if _, err := dcs.New(dcs.Params{AK: ak, SK: sk, Timeout: time.Second, ScanWait: time.Second, BusyTimeout: time.Second,
		ScanBound: 4 * time.Second, Instances: map[string]dcs.Endpoint{"a": {ProjectID: project, Region: "cn-north-4"}}}); err != nil {
		t.Errorf("region endpoint: %v", err)
	}
}

// TestSecretsNeverInErrors drives every failure path, including a server
// that echoes the keys back in its error message, and checks that neither
// key appears in an error text or a log line.
func TestSecretsNeverInErrors(t *testing.T) {
	ctx := context.Background()
	var texts []string
	check := func(name string, err error) {
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		texts = append(texts, name+": "+err.Error())
		var de *approvals.DCSError
		if errors.As(err, &de) {
			texts = append(texts, name+" (DCSError): "+de.Error()+de.Message+de.Code)
		}
	}

	echo := newSetup(t, func(p *dcs.Params) { p.Timeout = 300 * time.Millisecond })
	echo.fake.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		switch k.Addrs[0] {
		case "echo:1":
			return fakedcs.Error(403, "DCS.2003", "access key "+ak+" with secret "+sk+" is not allowed")
		case "hang:1":
			return fakedcs.Reply{Hang: true}
		case "drop:1":
			return fakedcs.Reply{Drop: true}
		case "raw:1":
			return fakedcs.Reply{Status: 500, Body: []byte("<html>" + sk + "</html>")}
		}
		return fakedcs.Reply{}
	})
	for _, a := range []string{"echo:1", "hang:1", "drop:1", "raw:1"} {
		check(a, echo.c.Kill(ctx, prod, node, []string{a}))
	}
	wrong := newSetup(t, func(p *dcs.Params) { p.AK = ak + "Z"; p.SK = sk + "Z" })
	check("wrong keys", wrong.c.Kill(ctx, prod, node, []string{"10.0.0.1:1"}))
	url := closedPort(t)
	refused := newSetup(t, func(p *dcs.Params) {
		p.Instances = map[string]dcs.Endpoint{alias: {InstanceID: instID, ProjectID: project, URL: url}}
	})
	check("refused", refused.c.Kill(ctx, prod, node, []string{"10.0.0.1:1"}))
	_, err := refused.c.Nodes(ctx, prod)
	check("refused nodes", err)
	check("unknown alias", echo.c.Kill(ctx, approvals.Instance{Alias: "x"}, node, []string{"a:1"}))

	for _, txt := range texts {
		t.Log(txt)
	}
	if len(texts) < 8 {
		t.Fatalf("only %d error texts collected", len(texts))
	}
	logs := echo.logs.String() + wrong.logs.String() + refused.logs.String()
	for _, secret := range []string{ak, sk, ak + "Z", sk + "Z"} {
		for _, txt := range texts {
			if strings.Contains(txt, secret) {
				t.Errorf("error text reveals a key: %s", txt)
			}
		}
		if strings.Contains(logs, secret) {
			t.Errorf("logs reveal a key:\n%s", logs)
		}
	}
	// The echoed message is kept, scrubbed.
	if !strings.Contains(texts[0], "access key [redacted] with secret [redacted]") {
		t.Errorf("echo text = %s", texts[0])
	}
}

func TestReadsRetryOnThrottleAndServerErrors(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetReply(fakedcs.APINodes, func(call int) fakedcs.Reply {
		switch call {
		case 1:
			return fakedcs.Error(429, "APIG.0308", "too many requests")
		case 2:
			return fakedcs.Error(500, "DCS.5000", "Internal error")
		}
		return fakedcs.Reply{}
	})
	if _, err := s.c.Nodes(context.Background(), prod); err != nil {
		t.Fatalf("Nodes after two retryable failures: %v", err)
	}
	if n := s.fake.Calls(fakedcs.APINodes); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}

	// Bounded: always failing stops after 3 attempts.
	s.fake.SetReply(fakedcs.APIListClients, func(int) fakedcs.Reply { return fakedcs.Error(503, "DCS.5006", "busy") })
	_, err := s.c.Sessions(context.Background(), prod, node)
	var de *approvals.DCSError
	if !errors.As(err, &de) || de.HTTPStatus != 503 || de.Code != "DCS.5006" {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APIListClients); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}

	// A cancelled context stops the retries.
	s.fake.SetReply(fakedcs.APINodes, func(int) fakedcs.Reply { return fakedcs.Error(503, "DCS.5000", "busy") })
	before := s.fake.Calls(fakedcs.APINodes)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.c.Nodes(ctx, prod)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Calls(fakedcs.APINodes) - before; n != 1 {
		t.Fatalf("calls after cancel = %d, want 1", n)
	}
}

func TestConcurrentKills(t *testing.T) {
	s := newSetup(t, nil)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.c.Kill(context.Background(), prod, node, []string{"10.0.0.1:1"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(s.fake.Kills()) != 10 || s.fake.BadSignatures() != 0 {
		t.Fatalf("kills = %d, bad = %d", len(s.fake.Kills()), s.fake.BadSignatures())
	}
}
