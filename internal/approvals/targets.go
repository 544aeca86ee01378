package approvals

import (
	"fmt"
	"net/netip"
	"time"
)

// ageSlack absorbs the lag between DCS's session scan and the clock when
// ages are compared.
const ageSlack = 10 * time.Second

// findSession returns the session at addr, matched on its address or its
// peer address (which the kill API takes).
func findSession(sessions []Session, addr string) *Session {
	for i := range sessions {
		if sessions[i].Addr == addr || sessions[i].Peer == addr {
			return &sessions[i]
		}
	}
	return nil
}

// BuildPreview records, for each address, the session found at it now.
func BuildPreview(addrs []string, sessions []Session, at time.Time) *Preview {
	p := &Preview{At: at, Sessions: len(sessions), ProxyOnly: len(sessions) > 0}
	for _, s := range sessions {
		if !isProxyAddr(s.Addr) {
			p.ProxyOnly = false
			break
		}
	}
	for _, a := range addrs {
		t := Target{Addr: a}
		if s := findSession(sessions, a); s != nil {
			c := *s
			t.Session = &c
		}
		p.Targets = append(p.Targets, t)
	}
	return p
}

// proxyNet is where DCS proxies connect from when client IP pass-through is
// off: sessions there are the proxy's, not the clients'.
var proxyNet = netip.MustParsePrefix("198.19.0.0/16")

func isProxyAddr(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	return err == nil && proxyNet.Contains(ap.Addr())
}

// Guard decides, just before a kill, which previewed addresses may still
// be killed: an address whose session is gone, or is no longer the one the
// approvers saw (another client id or name, or younger than the time since
// the preview), is held back. An address that had no session at preview
// time is held back too: nobody approved what is there now.
func Guard(p *Preview, now []Session, at time.Time) (keep []string, skipped []Skip) {
	elapsed := at.Sub(p.At)
	for _, t := range p.Targets {
		cur := findSession(now, t.Addr)
		switch {
		case t.Session == nil && cur == nil:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: "not connected when requested, and not now"})
		case t.Session == nil:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: "was not connected when the request was approved: the session there now was never shown to the approvers"})
		case cur == nil:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: "no longer connected"})
		case t.Session.ID != "" && cur.ID != "" && cur.ID != t.Session.ID:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: fmt.Sprintf("reused by a new connection (client id %s, was %s)", cur.ID, t.Session.ID)})
		case cur.Name != t.Session.Name:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: fmt.Sprintf("reused by a new connection (client name %q, was %q)", cur.Name, t.Session.Name)})
		case cur.Age+ageSlack < t.Session.Age+elapsed:
			skipped = append(skipped, Skip{Addr: t.Addr, Why: fmt.Sprintf("reused by a new connection (connected %s ago, after the request)", cur.Age.Round(time.Second))})
		default:
			keep = append(keep, t.Addr)
		}
	}
	return keep, skipped
}

// Verify says, for each killed address, what the sessions look like after
// the kill: killed, still connected (the same session), or reconnected (a
// new session from the same client IP, on the same or another port).
func Verify(killed []string, before *Preview, after []Session, sinceKill time.Duration) []Check {
	out := make([]Check, 0, len(killed))
	for _, addr := range killed {
		var old *Session
		if before != nil {
			for _, t := range before.Targets {
				if t.Addr == addr {
					old = t.Session
				}
			}
		}
		if cur := findSession(after, addr); cur != nil {
			if old == nil {
				out = append(out, Check{Addr: addr, Outcome: CheckStillConnected, Detail: "a session is there; the bot had no earlier view to compare"})
				continue
			}
			if cur.ID == old.ID && cur.Age+ageSlack >= old.Age {
				out = append(out, Check{Addr: addr, Outcome: CheckStillConnected})
			} else {
				out = append(out, Check{Addr: addr, Outcome: CheckReconnected, Detail: fmt.Sprintf("a new session on the same address, %s old", cur.Age.Round(time.Second))})
			}
			continue
		}
		if s := newSessionFromSameIP(addr, after, sinceKill); s != nil {
			out = append(out, Check{Addr: addr, Outcome: CheckReconnected, Detail: "from " + s.Addr})
			continue
		}
		out = append(out, Check{Addr: addr, Outcome: CheckKilled})
	}
	return out
}

func newSessionFromSameIP(addr string, after []Session, since time.Duration) *Session {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil
	}
	for i, s := range after {
		sp, err := netip.ParseAddrPort(s.Addr)
		if err != nil || sp.Addr() != ap.Addr() {
			continue
		}
		if s.Age <= since+ageSlack {
			return &after[i]
		}
	}
	return nil
}
