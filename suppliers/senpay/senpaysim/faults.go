package senpaysim

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultMode is how a request goes wrong.
type FaultMode int

const (
	// Fault500 answers HTTP 500 with Laravel's {"message": "Server Error"}.
	Fault500 FaultMode = iota + 1
	// Fault429 answers HTTP 429 with Retry-After.
	Fault429
	// FaultHTML answers HTTP 200 with an HTML error page (a proxy or
	// maintenance page in front of the API).
	FaultHTML
	// FaultEmpty answers HTTP 200 with no body.
	FaultEmpty
	// FaultTruncated does the real work (a create does create the order)
	// and sends the first half of the reply.
	FaultTruncated
	// FaultStatus400 answers HTTP 200 with {"status": 400, "message": ...}
	// without doing anything.
	FaultStatus400
	// FaultHang never answers: the request hangs until the client gives up
	// or the simulator closes.
	FaultHang
	// FaultDrop reads the request, does nothing and closes the connection.
	FaultDrop
	// FaultAcceptDrop does the real work (a create does create the order)
	// and closes the connection instead of replying.
	FaultAcceptDrop
)

var modeNames = map[FaultMode]string{
	Fault500: "http500", Fault429: "http429", FaultHTML: "html", FaultEmpty: "empty",
	FaultTruncated: "truncated", FaultStatus400: "status400", FaultHang: "hang",
	FaultDrop: "drop", FaultAcceptDrop: "accept-drop",
}

func (m FaultMode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return "fault(" + strconv.Itoa(int(m)) + ")"
}

// Fault makes matching requests fail.
type Fault struct {
	// Path is a prefix of the request URI (path and query) to match, e.g.
	// "/api/prepaid/transaction/create" or
	// "/api/prepaid/product?provider=GI-BJ"; "" matches every request.
	Path  string
	Mode  FaultMode
	Count int // requests to fail; 0 means until ClearFaults
	// RetryAfter is sent with Fault429, in whole seconds rounded up.
	RetryAfter time.Duration
	// Message is FaultStatus400's message; a generic outage notice if empty.
	Message string
}

type fault struct {
	Fault
	left int // remaining uses; unlimited when Count is 0
}

// Fail adds a fault. Faults apply in the order added, the first match wins.
func (s *Sim) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f, left: f.Count})
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault that applies to uri and uses it up; s.mu held.
func (s *Sim) takeFault(uri string) *Fault {
	for i, f := range s.faults {
		if !strings.HasPrefix(uri, f.Path) {
			continue
		}
		if f.Count > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f.Fault
	}
	return nil
}

const htmlPage = `<!DOCTYPE html>
<html lang="id"><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>Server sedang dalam pemeliharaan. Silakan coba beberapa saat lagi.</p></body></html>
`

func (s *Sim) injure(w http.ResponseWriter, r *http.Request, f *Fault) {
	switch f.Mode {
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Server Error"})
	case Fault429:
		secs := (f.RetryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		io.WriteString(w, htmlPage)
	case FaultEmpty:
		w.WriteHeader(http.StatusOK)
	case FaultTruncated:
		rec := s.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.code)
		w.Write(rec.body.Bytes()[:rec.body.Len()/2])
	case FaultStatus400:
		msg := f.Message
		if msg == "" {
			msg = "Sedang terjadi gangguan, silakan coba lagi"
		}
		writeJSON(w, http.StatusOK, failJSON{Status: 400, Message: msg})
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	case FaultDrop:
		io.Copy(io.Discard, r.Body)
		drop(w)
	case FaultAcceptDrop:
		s.record(r)
		drop(w)
	default:
		http.Error(w, "senpaysim: unknown fault mode", http.StatusInternalServerError)
	}
}

// drop closes the connection without a reply.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not HTTP/1 (no hijacking): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// record runs the real handler and keeps its reply.
func (s *Sim) record(r *http.Request) *recorder {
	rec := &recorder{header: make(http.Header), code: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	return rec
}

type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
