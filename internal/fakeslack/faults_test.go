package fakeslack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/fakeslack"
)

// One broken group does not break the others.
func TestUsergroupFaults(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)
	fake.SetUsergroup("S1", "U1", "U2")
	fake.SetUsergroup("S2", "U3")
	members := func(g string) (string, error) {
		users, err := api.GetUserGroupMembersContext(ctx, g)
		return strings.Join(users, ","), err
	}

	fake.SetUsergroupFault("S2", fakeslack.APIError(0, "fatal_error"))
	fake.SetFaultWhere("usergroups.users.list", "usergroup", "S3", fakeslack.ServerError(1))
	for range 2 {
		if got, err := members("S1"); err != nil || got != "U1,U2" {
			t.Errorf("S1 = %q, %v", got, err)
		}
		if _, err := members("S2"); err == nil || err.Error() != "fatal_error" {
			t.Errorf("S2: %v", err)
		}
	}
	var sc slack.StatusCodeError
	if _, err := members("S3"); !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
		t.Errorf("S3 with its fault: %v", err)
	}
	if _, err := members("S3"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("S3 after its one fault: %v", err)
	}

	// A method-wide fault applies to the groups without their own.
	fake.SetFault("usergroups.users.list", fakeslack.RateLimited(1, time.Second))
	if _, err := members("S2"); err == nil || err.Error() != "fatal_error" {
		t.Errorf("S2 keeps its own fault: %v", err)
	}
	var rl *slack.RateLimitedError
	if _, err := members("S1"); !errors.As(err, &rl) {
		t.Errorf("S1 under the method-wide fault: %v", err)
	}
	fake.ClearFaultWhere("usergroups.users.list", "usergroup", "S2")
	if got, err := members("S2"); err != nil || got != "U3" {
		t.Errorf("S2 after ClearFaultWhere = %q, %v", got, err)
	}
	fake.SetUsergroupFault("S1", fakeslack.APIError(0, "fatal_error"))
	fake.ClearFault("usergroups.users.list")
	if got, err := members("S1"); err != nil || got != "U1,U2" {
		t.Errorf("S1 after ClearFault = %q, %v", got, err)
	}
}

// A slow answer: the client gives up, and Slack still does the work.
func TestSlowFault(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)
	fake.SetFault("chat.postMessage", fakeslack.Slow(1, 500*time.Millisecond))

	short, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(short, "C1", slack.MsgOptionText("slow", false))
		errc <- err
	}()
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return s.InFlight("chat.postMessage") == 1 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("the client's error: %v", err)
	}
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(s.Messages()) == 1 }); err != nil {
		t.Errorf("the slow post did not land: %v", err)
	}
	if fake.InFlight("") != 0 {
		t.Errorf("in flight: %d", fake.InFlight(""))
	}
}

// A hung method never answers; the call is recorded when the client gives
// up, and has no effect.
func TestHungFault(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)
	fake.SetFault("chat.postMessage", fakeslack.Hung(1))

	short, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(short, "C1", slack.MsgOptionText("hung", false))
		errc <- err
	}()
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return s.InFlight("chat.postMessage") == 1 }); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 0 {
		t.Errorf("%d calls recorded while held", n)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("the client's error: %v", err)
	}
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(s.Calls("chat.postMessage")) == 1 }); err != nil {
		t.Fatal(err)
	}
	if c := fake.Calls("chat.postMessage")[0]; !c.Hung || c.Status != 0 || len(fake.Messages()) != 0 {
		t.Errorf("call = %+v, messages %d", c, len(fake.Messages()))
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("after", false)); err != nil {
		t.Errorf("after the one hang: %v", err)
	}
}

// A hung request ends when the fake stops, so the test's cleanup does not
// wait for it.
func TestHungUntilClose(t *testing.T) {
	errc := make(chan error, 1)
	t.Run("hang", func(t *testing.T) {
		fake := fakeslack.New(t, fakeslack.Options{})
		api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
		fake.SetFault("auth.test", fakeslack.Hung(0))
		go func() {
			_, err := api.AuthTestContext(context.Background())
			errc <- err
		}()
		if err := fake.WaitFor(context.Background(), func(s *fakeslack.Server) bool { return s.InFlight("auth.test") == 1 }); err != nil {
			t.Fatal(err)
		}
	})
	select {
	case err := <-errc:
		if err == nil {
			t.Error("auth.test answered")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request outlived the fake")
	}
}

// The whole Web API hung: the bot cannot open a socket nor call auth.test;
// when Slack comes back, the held open goes on and the bot connects.
func TestWebAPIHung(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetWebAPIHung(true)
	startBot(t, fake, fake.AppToken(), ackAll)
	ctx := timeout(t, 10*time.Second)
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return s.InFlight("apps.connections.open") == 1 }); err != nil {
		t.Fatal(err)
	}
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := api.AuthTestContext(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("auth.test while hung: %v", err)
	}
	if fake.Connections() != 0 || fake.Opens() != 0 {
		t.Errorf("connections %d, opens %d", fake.Connections(), fake.Opens())
	}
	// The server sees the client go shortly after the client does.
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(s.Calls("auth.test")) == 1 }); err != nil {
		t.Fatal(err)
	}
	if c := fake.Calls("auth.test")[0]; !c.Hung || c.Status != 0 {
		t.Errorf("auth.test call = %+v", c)
	}

	fake.SetWebAPIHung(false)
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := fake.FailedOpens(); n != 0 {
		t.Errorf("FailedOpens = %d: the held open was answered", n)
	}
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Errorf("auth.test after: %v", err)
	}
}

// apps.connections.open failing: a 500 is retried and counted; invalid_auth
// ends the client.
func TestFailedOpens(t *testing.T) {
	t.Run("500", func(t *testing.T) {
		fake := fakeslack.New(t, fakeslack.Options{})
		fake.SetFault("apps.connections.open", fakeslack.ServerError(3))
		startBot(t, fake, fake.AppToken(), ackAll)
		if err := fake.WaitConnections(timeout(t, 10*time.Second), 1); err != nil {
			t.Fatal(err)
		}
		if n := fake.FailedOpens(); n != 3 {
			t.Errorf("FailedOpens = %d, want 3", n)
		}
	})
	t.Run("invalid_auth", func(t *testing.T) {
		fake := fakeslack.New(t, fakeslack.Options{})
		fake.SetFault("apps.connections.open", fakeslack.APIError(2, "invalid_auth"))
		b := startBot(t, fake, fake.AppToken(), ackAll)
		select {
		case err := <-b.done:
			if err == nil || err.Error() != "invalid_auth" {
				t.Errorf("RunContext = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("RunContext did not return")
		}
		if n := fake.FailedOpens(); n != 1 {
			t.Errorf("FailedOpens = %d, want 1", n)
		}
	})
}
