package approvals

import (
	"dcsbot/internal/durations"
	"net/netip"
	"strings"
	"time"
)

// Selector chooses sessions by what they are. Each field set narrows the
// choice: a session matches when it matches every one. The zero Selector
// chooses nothing (see IsZero).
type Selector struct {
	// Name is part of the client name, in any case.
	Name string
	// IP is the client's IP address (10.0.3.7, fe80::1), or the start of
	// its canonical text when it ends in "." or ":" (10.0.3., fe80::). The
	// session's address and its peer address are both tried.
	IP string
	// Cmd is the last command, in any case; a command alone ("client")
	// matches its subcommands ("client|list").
	Cmd string
	// IdleOver matches sessions idle for longer; 0 sets no bound.
	IdleOver time.Duration
}

// IsZero reports whether s selects nothing.
func (s Selector) IsZero() bool { return s == Selector{} }

// Match reports whether x matches every field of s. The zero Selector
// matches nothing.
func (s Selector) Match(x Session) bool {
	if s.IsZero() {
		return false
	}
	if s.Name != "" && !strings.Contains(strings.ToLower(x.Name), strings.ToLower(s.Name)) {
		return false
	}
	if s.Cmd != "" && !cmdMatches(x.Cmd, s.Cmd) {
		return false
	}
	if s.IdleOver > 0 && x.Idle <= s.IdleOver {
		return false
	}
	return s.IP == "" || ipMatches(x.Addr, s.IP) || x.Peer != "" && ipMatches(x.Peer, s.IP)
}

// Choose returns the sessions that match s, most idle first.
func (s Selector) Choose(sessions []Session) []Session {
	var out []Session
	for _, x := range sessions {
		if s.Match(x) {
			out = append(out, x)
		}
	}
	SortSessions(out, "idle")
	return out
}

// String writes s as the flags of /dcs kill and /dcs clients that give it
// ("--name billing --ip 10.0.3. --cmd keys --idle-over 10m"); "" for the
// zero Selector.
func (s Selector) String() string {
	var w []string
	for _, f := range [][2]string{{"--name", s.Name}, {"--ip", s.IP}, {"--cmd", s.Cmd}} {
		if f[1] != "" {
			w = append(w, f[0], f[1])
		}
	}
	if s.IdleOver > 0 {
		w = append(w, "--idle-over", durations.Short(s.IdleOver))
	}
	return strings.Join(w, " ")
}

func cmdMatches(cmd, want string) bool {
	cmd, want = strings.ToLower(cmd), strings.ToLower(want)
	name, _, _ := strings.Cut(cmd, "|")
	return cmd == want || name == want
}

// ipMatches reports whether the IP of addr (an ip:port) is ip, or starts
// with it when ip ends in "." or ":".
func ipMatches(addr, ip string) bool {
	got := ipOf(addr)
	ip = strings.ToLower(ip)
	if strings.HasSuffix(ip, ".") || strings.HasSuffix(ip, ":") {
		return got != "" && strings.HasPrefix(got, ip)
	}
	want, err := netip.ParseAddr(ip)
	if err != nil {
		return got == ip
	}
	return got == want.Unmap().WithZone("").String()
}

// ipOf is the canonical text of the IP of an ip:port (IPv4-mapped
// addresses unmapped, zones dropped), or the lowercased host part when the
// address does not parse.
func ipOf(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && !strings.HasSuffix(addr, "]") {
		host = addr[:i]
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}
