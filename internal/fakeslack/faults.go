package fakeslack

import (
	"fmt"
	"net/http"
	"time"
)

// Fault makes calls to a method fail, slow down or hang. Install it with
// SetFault (every call of the method) or SetFaultWhere (only calls with a
// given argument, e.g. one usergroup).
type Fault struct {
	// Times is how many calls fail; 0 or less: every call until cleared.
	Times int
	// Status is the HTTP status to answer (429, 500, …); 0 answers 200.
	Status int
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) with 429.
	RetryAfter time.Duration
	// Error, with Status 0, answers {"ok":false,"error":Error}.
	Error string
	// Delay holds the answer back. A fault with only a Delay slows the call
	// down and then answers it normally, even if the client has given up
	// meanwhile (so a post that timed out on the client may still land).
	Delay time.Duration
	// Hang never answers: the request is held until the client gives up
	// (its context ends or it closes the connection) or the fake stops. The
	// call is recorded with Hung set and Status 0, and has no effect.
	Hang bool
}

// RateLimited fails the next n calls with HTTP 429 and Retry-After.
func RateLimited(n int, retryAfter time.Duration) Fault {
	return Fault{Times: n, Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// ServerError fails the next n calls with HTTP 500.
func ServerError(n int) Fault {
	return Fault{Times: n, Status: http.StatusInternalServerError}
}

// APIError fails the next n calls with {"ok":false,"error":code}, e.g.
// APIError(3, "invalid_auth") for apps.connections.open.
func APIError(n int, code string) Fault {
	return Fault{Times: n, Error: code}
}

// Slow answers the next n calls normally after d.
func Slow(n int, d time.Duration) Fault {
	return Fault{Times: n, Delay: d}
}

// Hung holds the next n calls without ever answering (0: every call).
func Hung(n int) Fault {
	return Fault{Times: n, Hang: true}
}

// faultKey names a fault for the calls of a method whose argument arg has
// the value val; arg "" is the method-wide fault.
type faultKey struct{ method, arg, val string }

// SetFault installs a fault for every call of a Web API method
// ("chat.postMessage", "apps.connections.open", …) or "response_url". It
// replaces the method's previous method-wide fault.
func (s *Server) SetFault(method string, f Fault) {
	s.setFault(faultKey{method: method}, f)
}

// SetFaultWhere installs a fault for the calls of a method whose argument
// arg (a form field or a top-level JSON field) equals val: e.g.
// SetFaultWhere("chat.postMessage", "channel", "C2", …). It takes precedence
// over the method-wide fault and replaces the previous fault for the same
// method, argument and value.
func (s *Server) SetFaultWhere(method, arg, val string, f Fault) {
	s.setFault(faultKey{method, arg, val}, f)
}

// SetUsergroupFault makes usergroups.users.list fail for one group only, so
// that the other groups still answer.
func (s *Server) SetUsergroupFault(group string, f Fault) {
	s.SetFaultWhere("usergroups.users.list", "usergroup", group, f)
}

func (s *Server) setFault(k faultKey, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[k] = &f
}

// ClearFault removes every fault of a method, method-wide and per argument.
func (s *Server) ClearFault(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.faults {
		if k.method == method {
			delete(s.faults, k)
		}
	}
}

// ClearFaultWhere removes the fault SetFaultWhere installed.
func (s *Server) ClearFaultWhere(method, arg, val string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, faultKey{method, arg, val})
}

// takeFault returns the fault for this call, if any, and counts it: first a
// fault on one of the call's arguments, then the method-wide one.
func (s *Server) takeFault(call *Call) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var key faultKey
	var f *Fault
	for k, x := range s.faults {
		if k.method == call.Method && k.arg != "" && call.Arg(k.arg) == k.val {
			key, f = k, x
			break
		}
	}
	if f == nil {
		key = faultKey{method: call.Method}
		f = s.faults[key]
	}
	if f == nil {
		return Fault{}, false
	}
	out := *f
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, key)
		}
	}
	return out, true
}

// applyFault holds the call back as the fault says and, if the fault fails
// the call, writes the failure. It reports whether the call is answered
// (or, for a hang, abandoned).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, call *Call) bool {
	if f.Delay > 0 || f.Hang {
		s.enter(call.Method)
		defer s.leave(call.Method)
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-s.quit:
			t.Stop()
		}
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.quit:
		}
		call.Hung = true
		return true
	case f.Status != 0 && f.Status != http.StatusOK:
		if f.Status == http.StatusTooManyRequests {
			secs := (f.RetryAfter + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", fmt.Sprint(int64(secs)))
		}
		call.Status = f.Status
		call.Error = http.StatusText(f.Status)
		http.Error(w, http.StatusText(f.Status), f.Status)
		return true
	case f.Error != "":
		call.Status = http.StatusOK
		call.Error = f.Error
		writeJSON(w, http.StatusOK, slackErr(f.Error))
		return true
	}
	return false
}

// SetWebAPIHung makes the whole Web API (every /api/ method, auth.test and
// apps.connections.open included) accept requests and never answer them, as
// a Slack that is down behind a load balancer would. Held requests end when
// their client gives up or the fake stops, and are recorded with Hung set.
// Turning it off lets the requests still held go on and be answered.
// Sockets already open and response_url posts are not affected.
func (s *Server) SetWebAPIHung(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.unhang == nil:
		s.unhang = make(chan struct{})
	case !on && s.unhang != nil:
		close(s.unhang)
		s.unhang = nil
	}
}

// holdIfHung holds a Web API request while the whole API is hung. It
// reports whether the request may go on.
func (s *Server) holdIfHung(r *http.Request, call *Call) bool {
	s.mu.Lock()
	release := s.unhang
	s.mu.Unlock()
	if release == nil {
		return true
	}
	s.enter(call.Method)
	defer s.leave(call.Method)
	select {
	case <-release:
		return true
	case <-r.Context().Done():
	case <-s.quit:
	}
	call.Hung = true
	return false
}

// InFlight is how many calls of a method ("" for all) the fake is holding
// now, by a Delay or Hang fault or SetWebAPIHung. Use it with WaitFor to
// know that the code under test is waiting on Slack.
func (s *Server) InFlight(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method != "" {
		return s.inflight[method]
	}
	n := 0
	for _, v := range s.inflight {
		n += v
	}
	return n
}

func (s *Server) enter(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[method]++
	s.notifyLocked()
}

func (s *Server) leave(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[method]--
	s.notifyLocked()
}
