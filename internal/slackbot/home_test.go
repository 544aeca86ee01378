package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
	"dcsbot/internal/fakeslack"
)

// bigOverview has n requests in each list, each as large as a request gets.
func bigOverview(n int) *approvals.Overview {
	o := &approvals.Overview{User: "UVIEWER01", At: time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC)}
	for i := range n {
		for _, list := range []*[]*approvals.Request{&o.ToDecide, &o.Mine, &o.Decided} {
			r := bigRequest(1000, true)
			r.ID = fmt.Sprintf("R%05d", i)
			r.Note = strings.Repeat("&", 500)
			*list = append(*list, r)
		}
	}
	for _, r := range o.Decided {
		r.State = approvals.Denied
	}
	return o
}

// The Home tab fits Slack's limits however much waits, and says how much
// it leaves out.
func TestHomeViewFitsSlack(t *testing.T) {
	for _, n := range []int{0, 1, approvals.OverviewDecisions, 60} {
		v := homeView(bigOverview(n), nil, textf(":warning: %s", outside(strings.Repeat("<!channel>", 400)).line(capText)))
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := fakeslack.CheckView(b); err != nil {
			t.Errorf("%d requests: Slack would refuse the Home tab: %v", n, err)
		}
		if n > homeMaxToDecide && !strings.Contains(string(b), fmt.Sprintf("and %d more", n-homeMaxToDecide)) {
			t.Errorf("%d requests: the Home tab does not say how many it leaves out", n)
		}
	}
}

// actionsOf lists the actions blocks of a view with their buttons' action
// IDs and values.
func actionsOf(t *testing.T, v slack.HomeTabViewRequest) map[string][]string {
	t.Helper()
	b, _ := json.Marshal(v.Blocks)
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &blocks); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, bl := range blocks {
		if bl.Type != "actions" {
			continue
		}
		for _, e := range bl.Elements {
			out[bl.BlockID] = append(out[bl.BlockID], e.ActionID+"="+e.Value)
		}
	}
	return out
}

// Each request the viewer may decide has Approve and Deny in a block of
// its own (Deny alone once they approved it); their own have Cancel.
func TestHomeViewButtons(t *testing.T) {
	o := overviewWith(func(*approvals.Request) {})
	second := sampleRequest(approvals.Pending)
	second.ID = "Q4M2ZD"
	second.ApprovalsRequired = 2
	second.Approvals = []approvals.Approval{{User: o.User, At: second.CreatedAt}}
	o.ToDecide = append(o.ToDecide, second)
	got := actionsOf(t, homeView(o, nil, ""))
	want := map[string][]string{
		"dcs_home_decide_7K2QFM": {"dcs_approve=7K2QFM", "dcs_deny=7K2QFM"},
		"dcs_home_decide_Q4M2ZD": {"dcs_deny=Q4M2ZD"},
		"dcs_home_mine_7K2QFM":   {"dcs_cancel=7K2QFM"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("buttons %v, want %v", got, want)
	}
	b := marshalPlain(t, homeView(o, map[string]string{"7K2QFM": "https://slack.example/archives/CINCIDENT1/p1700000000000100"}, ""))
	for _, s := range []string{"Waiting for your approval", "Your requests waiting", "Latest decisions", "<@UREQUESTER>",
		"`10.0.0.1:5000`", "1m00s ago", "<https://slack.example/archives/CINCIDENT1/p1700000000000100|`7K2QFM`>", "denied by <@UAPPROVER1>"} {
		if !strings.Contains(b, s) {
			t.Errorf("Home tab lacks %q:\n%s", s, b)
		}
	}
}

// A direct message is the approval message, buttons and all, under a line
// linking to it; ended, it keeps the link and loses the buttons.
func TestApproverMessage(t *testing.T) {
	link := "https://slack.example/archives/CINCIDENT1/p1700000000000100"
	for _, st := range []approvals.State{approvals.Pending, approvals.Succeeded} {
		blocks := approverBlocks(sampleRequest(st), link)
		raw, _ := json.Marshal(blocks)
		if err := fakeslack.CheckBlocks(raw); err != nil {
			t.Fatalf("%s: Slack would refuse it: %v", st, err)
		}
		b := marshalPlain(t, blocks)
		if !strings.Contains(b, "<"+link+"|Open the request>") {
			t.Errorf("%s: no link to the request: %s", st, b)
		}
		if has := strings.Contains(b, "block_id=dcs_decision\n"); has != (st == approvals.Pending) {
			t.Errorf("%s: buttons shown %v", st, has)
		}
	}
	if got := approverBlocks(sampleRequest(approvals.Pending), ""); strings.Contains(fmt.Sprint(got), "Open the request") {
		t.Error("a link without a permalink")
	}
}

// marshalPlain is every string of v's JSON, one per line, as Slack reads
// them (slack-go escapes some < and > as \u003c, some not).
func marshalPlain(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			out.WriteString(x + "\n")
		case []any:
			for _, c := range x {
				walk(c)
			}
		case map[string]any:
			for k, c := range x {
				out.WriteString(k + "=")
				walk(c)
			}
		}
	}
	walk(x)
	return out.String()
}

func TestPendingText(t *testing.T) {
	o := overviewWith(func(*approvals.Request) {})
	got := string(pendingText(o, nil))
	for _, s := range []string{"*Waiting for your approval* (1)", "*Your requests waiting* (1)", "`7K2QFM`", "expires <!date^"} {
		if !strings.Contains(got, s) {
			t.Errorf("/dcs pending lacks %q:\n%s", s, got)
		}
	}
	empty := string(pendingText(&approvals.Overview{User: "U1"}, nil))
	if !strings.Contains(empty, "Nothing waits for your approval.") || !strings.Contains(empty, "no request waiting") {
		t.Errorf("empty /dcs pending:\n%s", empty)
	}
}

func TestLinkRefusesWhatIsNotAURL(t *testing.T) {
	for _, u := range []string{"", "javascript:alert(1)", "https://x/a|b", "https://x/<!channel>", "ftp://x/y", "https://x/a b"} {
		if got := link(u, "label"); got != "label" {
			t.Errorf("link(%q) = %q", u, got)
		}
	}
	if got := link("https://x.slack.com/archives/C1/p1", "label"); got != "<https://x.slack.com/archives/C1/p1|label>" {
		t.Errorf("link = %q", got)
	}
}

// linkRecorder is the Notifier for the Home tab and /dcs pending: it gives
// every approval message a link and records which messages it was asked
// for, and the tabs published.
type linkRecorder struct {
	mu        sync.Mutex
	asked     []string // message timestamps
	published int
}

func (l *linkRecorder) Permalink(_ context.Context, channel, ts string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, ts)
	return "https://slack.example/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", ""), nil
}

func (l *linkRecorder) PublishHome(context.Context, string, slack.HomeTabViewRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.published++
	return nil
}

// overviewSource serves one overview.
type overviewSource struct{ o *approvals.Overview }

func (s overviewSource) CheckChannel(string) error { return nil }
func (s overviewSource) Overview(context.Context, string) (*approvals.Overview, error) {
	return s.o, nil
}
func (s overviewSource) OverviewOpened(context.Context, string) (*approvals.Overview, error) {
	return s.o, nil
}
func (s overviewSource) OverviewWatchers(context.Context, []string) ([]string, error) {
	return nil, nil
}
func (s overviewSource) Cancel(context.Context, string, string) error { return nil }

// longOverview has 100 requests waiting for the viewer, 100 of their own
// and 10 decisions, each request's message at a timestamp of its own.
func longOverview() *approvals.Overview {
	o := &approvals.Overview{User: "UVIEWER01", At: time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC)}
	k := 0
	for _, l := range []struct {
		list *[]*approvals.Request
		n    int
	}{{&o.ToDecide, 100}, {&o.Mine, 100}, {&o.Decided, approvals.OverviewDecisions}} {
		for range l.n {
			r := sampleRequest(approvals.Pending)
			r.ID, r.MessageTS = fmt.Sprintf("R%05d", k), fmt.Sprintf("1700000000.%06d", k)
			*l.list = append(*l.list, r)
			k++
		}
	}
	return o
}

func timestamps(lists ...[]*approvals.Request) []string {
	var out []string
	for _, rs := range lists {
		for _, r := range rs {
			out = append(out, r.MessageTS)
		}
	}
	slices.Sort(out)
	return out
}

// /dcs pending and the Home tab ask Slack for the links of the requests
// they show, and of no other.
func TestLinksOnlyForRequestsShown(t *testing.T) {
	o := longOverview()
	links := &linkRecorder{}
	ans := (&Commands{log: discard()}).Pending(Input{User: o.User, Channel: "C1"}, commands.Pending{}, overviewSource{o}, links)
	if _, err := ans.Later(context.Background()); err != nil {
		t.Fatal(err)
	}
	slices.Sort(links.asked)
	if want := timestamps(o.ToDecide[:pendingMax], o.Mine[:pendingMax]); !slices.Equal(links.asked, want) {
		t.Errorf("/dcs pending asked for %d links, want the %d it shows", len(links.asked), len(want))
	}
	links = &linkRecorder{}
	NewHome(HomeParams{Source: overviewSource{o}, Slack: links}).Show(context.Background(), o.User, "")
	slices.Sort(links.asked)
	if want := timestamps(o.ToDecide[:homeMaxToDecide], o.Mine[:homeMaxMine], o.Decided); !slices.Equal(links.asked, want) || links.published != 1 {
		t.Errorf("the Home tab asked for %d links, want the %d it shows; published %d times", len(links.asked), len(want), links.published)
	}
}

// tabRecorder is a Home's Slack that keeps the last tab published to each
// user and counts the drawings of one user's tab in flight at once; a
// publish waits on hold, when set, before it returns.
type tabRecorder struct {
	linkRecorder
	hold chan struct{}

	mu          sync.Mutex
	last        map[string]string // user → the tab's text
	inFlight    map[string]int
	maxInFlight int
}

func (r *tabRecorder) PublishHome(_ context.Context, user string, v slack.HomeTabViewRequest) error {
	b, err := json.Marshal(v.Blocks)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.last == nil {
		r.last, r.inFlight = map[string]string{}, map[string]int{}
	}
	r.inFlight[user]++
	r.maxInFlight = max(r.maxInFlight, r.inFlight[user])
	r.mu.Unlock()
	if r.hold != nil {
		<-r.hold
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight[user]--
	r.last[user] = string(b)
	return nil
}

// emptyTabs serves each user an overview with nothing in it.
type emptyTabs struct{ overviewSource }

func (emptyTabs) Overview(_ context.Context, user string) (*approvals.Overview, error) {
	return &approvals.Overview{User: user, At: time.Now()}, nil
}

func (e emptyTabs) OverviewOpened(ctx context.Context, user string) (*approvals.Overview, error) {
	return e.Overview(ctx, user)
}

func (r *tabRecorder) tab(user string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[user]
}

// A refusal stays at the top of the clicker's tab through the redraws
// that follow (another click's change feed, the tab opened again) until
// it is a minute old or the user clicks again; nobody else's tab shows it.
func TestHomeNoticeOutlivesRedraws(t *testing.T) {
	rec := &tabRecorder{}
	h := NewHome(HomeParams{Source: emptyTabs{}, Slack: rec})
	now := time.Now()
	h.now = func() time.Time { return now }
	ctx := context.Background()
	const refusal = ":warning: Request `R00001` is already succeeded."

	h.Show(ctx, "UVIEWER01", refusal)
	h.Show(ctx, "UVIEWER01", "") // the change feed's redraw
	h.Opened(ctx, "UVIEWER01")
	if !strings.Contains(rec.tab("UVIEWER01"), "already succeeded") {
		t.Fatalf("the refusal is gone after redraws: %s", rec.tab("UVIEWER01"))
	}
	h.Show(ctx, "UOTHER001", "")
	if other := rec.tab("UOTHER001"); other == "" || strings.Contains(other, "already succeeded") {
		t.Fatal("another user's tab shows the refusal")
	}

	now = now.Add(homeNoticeKeep)
	h.Show(ctx, "UVIEWER01", "")
	if strings.Contains(rec.tab("UVIEWER01"), "already succeeded") {
		t.Fatal("the refusal is still shown after a minute")
	}

	h.Show(ctx, "UVIEWER01", refusal)
	h.forget("UVIEWER01")
	h.Show(ctx, "UVIEWER01", "")
	if strings.Contains(rec.tab("UVIEWER01"), "already succeeded") {
		t.Fatal("the refusal is still shown after the user clicked again")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.drawing) != 0 {
		t.Fatalf("%d drawing turns left behind", len(h.drawing))
	}
}

// One user's tab is drawn by one caller at a time, so that an older
// drawing cannot be published after a newer one.
func TestHomeDrawsOneUserAtATime(t *testing.T) {
	rec := &tabRecorder{hold: make(chan struct{})}
	h := NewHome(HomeParams{Source: emptyTabs{}, Slack: rec})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { h.Show(context.Background(), "UVIEWER01", "") })
	}
	wg.Go(func() { h.Show(context.Background(), "UOTHER001", "") })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		d := h.drawing["UVIEWER01"]
		all := d != nil && d.waiters == 3
		h.mu.Unlock()
		if all {
			break
		}
		if time.Now().After(deadline) {
			close(rec.hold) // let the drawings end
			t.Fatal("the three drawings of one tab never all asked for their turn")
		}
	}
	time.Sleep(50 * time.Millisecond) // time for drawings not held back to reach Slack
	for range 4 {
		rec.hold <- struct{}{}
	}
	wg.Wait()
	if rec.maxInFlight != 1 {
		t.Fatalf("%d drawings of one tab in flight at once, want 1", rec.maxInFlight)
	}
}

// A notice shown while another drawing of the tab is under way is
// recorded at once: a click the user makes before its turn comes drops
// it, and the tab does not show it afterwards.
func TestHomeNoticeDroppedByAClickBeforeItsTurn(t *testing.T) {
	rec := &tabRecorder{hold: make(chan struct{})}
	h := NewHome(HomeParams{Source: emptyTabs{}, Slack: rec})
	var wg sync.WaitGroup
	wg.Go(func() { h.Show(context.Background(), "UVIEWER01", "") }) // a redraw, held by Slack
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		rec.mu.Lock()
		held := rec.inFlight["UVIEWER01"] == 1
		rec.mu.Unlock()
		if held {
			break
		}
		if time.Now().After(deadline) {
			close(rec.hold)
			t.Fatal("the redraw never reached Slack")
		}
	}
	wg.Go(func() { h.Show(context.Background(), "UVIEWER01", ":warning: too busy") })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		d := h.drawing["UVIEWER01"]
		both := d != nil && d.waiters == 2
		h.mu.Unlock()
		if both {
			break
		}
		if time.Now().After(deadline) {
			close(rec.hold)
			t.Fatal("the two drawings never both asked for their turn")
		}
	}
	h.forget("UVIEWER01") // the user clicks again
	rec.hold <- struct{}{}
	rec.hold <- struct{}{}
	wg.Wait()
	if tab := rec.tab("UVIEWER01"); strings.Contains(tab, "too busy") {
		t.Fatalf("the tab shows a notice the user's later click dropped: %s", tab)
	}
}
