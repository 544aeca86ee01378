package approvals

import (
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
		if reason := staleness(t.Session, cur, elapsed); reason != "" {
			skip := Skip{Addr: t.Addr, Reason: reason}
			if t.Session != nil {
				skip.WasID, skip.WasName = t.Session.ID, t.Session.Name
			}
			if cur != nil {
				skip.ID, skip.Name, skip.Age = cur.ID, cur.Name, cur.Age
			}
			skipped = append(skipped, skip)
			continue
		}
		keep = append(keep, t.Addr)
	}
	return keep, skipped
}

// guardAddrs lists the addresses whose sessions are all Guard needs from
// the re-read before a kill: the targets' addresses, when every target's
// session was previewed at the address typed. Otherwise it is nil, and the
// guard needs the whole list: Guard also matches a session by its peer
// address, and a target previewed with no session by any.
func guardAddrs(p *Preview) []string {
	out := make([]string, 0, len(p.Targets))
	for _, t := range p.Targets {
		if t.Session == nil || t.Session.Addr != t.Addr {
			return nil
		}
		out = append(out, t.Addr)
	}
	return out
}

// staleness says why the session cur, found at an address where the
// approvers saw was, is not theirs to kill; "" when it is.
func staleness(was, cur *Session, elapsed time.Duration) SkipReason {
	switch {
	case was == nil && cur == nil:
		return SkipNeverConnected
	case was == nil:
		return SkipNewSession
	case cur == nil:
		return SkipGone
	case was.ID != "" && cur.ID != "" && cur.ID != was.ID:
		return SkipOtherID
	case cur.Name != was.Name:
		return SkipOtherName
	case cur.Age+ageSlack < was.Age+elapsed:
		return SkipYounger
	}
	return ""
}

// Verify says, for each killed address, what the sessions look like after
// the kill: killed, still connected (the same session), or reconnected (a
// new session from the same client IP, on the same or another port).
func Verify(killed []string, before *Preview, after []Session, sinceKill time.Duration) []Check {
	out := make([]Check, 0, len(killed))
	for _, addr := range killed {
		var old *Session
		if before != nil {
			old = findTarget(before, addr)
		}
		out = append(out, check(addr, old, after, sinceKill))
	}
	return out
}

// check is Verify for one address whose session before the kill was old.
func check(addr string, old *Session, after []Session, sinceKill time.Duration) Check {
	if cur := findSession(after, addr); cur != nil {
		switch {
		case old == nil:
			return Check{Addr: addr, Outcome: CheckStillConnected, NoBaseline: true}
		case cur.ID == old.ID && cur.Age+ageSlack >= old.Age:
			return Check{Addr: addr, Outcome: CheckStillConnected}
		}
		return Check{Addr: addr, Outcome: CheckReconnected, NewAge: cur.Age}
	}
	if s := newSessionFromSameIP(addr, after, sinceKill); s != nil {
		return Check{Addr: addr, Outcome: CheckReconnected, NewAddr: s.Addr, NewAge: s.Age}
	}
	return Check{Addr: addr, Outcome: CheckKilled}
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
