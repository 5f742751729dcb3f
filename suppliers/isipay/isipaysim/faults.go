package isipaysim

import (
	"net/http"
	"strconv"
	"strings"
)

// FaultMode is how a faulty request is answered.
type FaultMode int

const (
	// FaultHTTP500 answers HTTP 500 with an HTML error page.
	FaultHTTP500 FaultMode = iota + 1
	// FaultRateLimit answers HTTP 429 with a Retry-After header.
	FaultRateLimit
	// FaultGarbage answers HTTP 200 with an HTML page, as a captive portal
	// or a misrouted proxy would.
	FaultGarbage
	// FaultEmpty answers HTTP 200 with an empty body.
	FaultEmpty
	// FaultTruncated answers HTTP 200 with JSON cut off mid-way.
	FaultTruncated
	// FaultErrorBody answers HTTP 200 with an envelope that reports an
	// error (Fault.Code and Fault.Message, default 500 "Internal Server
	// Error"): the body's status must win over the HTTP one.
	FaultErrorBody
	// FaultTimeout never answers: the handler waits until the client gives
	// up and its request context ends.
	FaultTimeout
	// FaultDrop closes the connection after reading the request, without
	// acting on it.
	FaultDrop
	// FaultAcceptDrop acts on the request (an order is created and paid
	// for), then closes the connection without a reply: the unknown outcome
	// that makes reconciliation necessary.
	FaultAcceptDrop
	// FaultBadGateway answers HTTP 502 with nginx's error page, without
	// acting on the request: the API behind the proxy is down.
	FaultBadGateway
)

// Fault makes matching requests fail. Every mode except FaultAcceptDrop
// leaves the simulated account untouched.
type Fault struct {
	// Path is a path prefix such as PathOrder; "" matches every request.
	Path string
	Mode FaultMode
	// Count is how many requests fail; 0 means until ClearFaults.
	Count int
	// RetryAfter is the Retry-After value of FaultRateLimit; "" sends "1".
	RetryAfter string
	// Code and Message are the envelope of FaultErrorBody.
	Code    int
	Message string
}

// Fail adds a fault. Faults are matched in the order added; each request
// consumes at most one.
func (s *Sim) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Sim) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		taken := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return taken, true
	}
	return Fault{}, false
}

const (
	htmlPage  = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
	html500   = "<!DOCTYPE html>\n<html><head><title>Server Error</title></head><body><h1>500 | Server Error</h1></body></html>\n"
	truncated = `{"error": false, "code": 200, "message": "Success", "data": [{"code": "mobile-legends", "name": "Mobile Leg`
)

func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, f Fault, body []byte) {
	switch f.Mode {
	case FaultHTTP500:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(html500))
	case FaultRateLimit:
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		fail(w, http.StatusTooManyRequests, "Too Many Attempts.")
	case FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Write([]byte(htmlPage))
	case FaultBadGateway:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(htmlPage))
	case FaultEmpty:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(truncated))
	case FaultErrorBody:
		code, msg := f.Code, f.Message
		if code == 0 {
			code = http.StatusInternalServerError
		}
		if msg == "" {
			msg = "Internal Server Error"
		}
		write(w, http.StatusOK, envelope{Error: true, Code: code, Message: msg})
	case FaultTimeout:
		<-r.Context().Done()
	case FaultDrop:
		drop(w)
	case FaultAcceptDrop:
		s.serve(discard{h: make(http.Header)}, r, body)
		drop(w)
	default:
		fail(w, http.StatusInternalServerError, "unknown fault mode "+strconv.Itoa(int(f.Mode)))
	}
}

// drop closes the connection without a reply.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// HTTP/2 cannot be hijacked; aborting the handler resets the stream.
	panic(http.ErrAbortHandler)
}

// discard is a ResponseWriter whose reply nobody will read.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
