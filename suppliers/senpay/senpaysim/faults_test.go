package senpaysim

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// raw sends a GET without net/http's transparent retries. Only a hang may
// time out; a slow machine must not make a reply look like one.
func raw(t *testing.T, srv string, uri string) (int, string, http.Header, error) {
	t.Helper()
	return rawWithin(t, srv, uri, 5*time.Second)
}

func rawWithin(t *testing.T, srv string, uri string, timeout time.Duration) (int, string, http.Header, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv+uri, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header, nil
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault   Fault
		code    int
		body    string // exact body, when not ""
		wantErr bool   // no HTTP reply at all
	}{
		{Fault{Mode: Fault500}, 500, `{"message":"Server Error"}`, false},
		{Fault{Mode: Fault429, RetryAfter: 1500 * time.Millisecond}, 429, `{"message":"Too Many Attempts."}`, false},
		{Fault{Mode: FaultHTML}, 200, htmlPage, false},
		{Fault{Mode: FaultEmpty}, 200, "", false},
		{Fault{Mode: FaultStatus400, Message: "Maintenance"}, 200, `{"status":400,"message":"Maintenance"}`, false},
		{Fault{Mode: FaultHang}, 0, "", true},
		{Fault{Mode: FaultDrop}, 0, "", true},
		{Fault{Mode: FaultAcceptDrop}, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Mode.String(), func(t *testing.T) {
			s, srv := start(t, Options{})
			tt.fault.Path, tt.fault.Count = PathProviders, 1
			s.Fail(tt.fault)
			timeout := 5 * time.Second
			if tt.fault.Mode == FaultHang {
				timeout = 300 * time.Millisecond
			}
			code, body, h, err := rawWithin(t, srv.URL, PathProviders, timeout)
			if tt.wantErr {
				if err == nil {
					t.Errorf("got http %d, want no reply", code)
				}
			} else if err != nil || code != tt.code || body != tt.body {
				t.Errorf("got %d %q %v, want %d %q", code, body, err, tt.code, tt.body)
			}
			if tt.fault.Mode == Fault429 && h.Get("Retry-After") != "2" {
				t.Errorf("got Retry-After %q, want 2 (whole seconds, rounded up)", h.Get("Retry-After"))
			}
			// Count 1: the next request is served normally.
			if code, body, _, err := raw(t, srv.URL, PathProviders); err != nil || code != 200 || len(body) < 100 {
				t.Errorf("after the fault: got %d %.60q %v", code, body, err)
			}
		})
	}
}

func TestTruncatedReply(t *testing.T) {
	s, srv := start(t, Options{})
	_, full, _, _ := raw(t, srv.URL, PathProducts+"?provider=GI-BJ")
	s.Fail(Fault{Path: PathProducts, Mode: FaultTruncated, Count: 1})
	_, half, _, err := raw(t, srv.URL, PathProducts+"?provider=GI-BJ")
	if err != nil || half != full[:len(full)/2] {
		t.Errorf("got %q (%v), want the first half of %q", half, err, full)
	}
}

func TestFaultMatchingAndCounts(t *testing.T) {
	s, srv := start(t, Options{})
	s.Fail(Fault{Path: PathProducts + "?provider=GI-BJ", Mode: Fault500, Count: 2})
	s.Fail(Fault{Path: PathProducts, Mode: FaultEmpty}) // until cleared
	steps := []struct {
		uri  string
		code int
		body bool
	}{
		{PathProducts + "?provider=GI-BJ", 500, true},
		{PathProducts + "?provider=HSR-BJ", 200, false},
		{PathProducts + "?provider=GI-BJ", 500, true},
		{PathProducts + "?provider=GI-BJ", 200, false}, // the 500s are used up; the empty body applies
		{PathProviders, 200, true},                     // no fault matches
	}
	for i, st := range steps {
		code, body, _, err := raw(t, srv.URL, st.uri)
		if err != nil || code != st.code || (body != "") != st.body {
			t.Errorf("step %d %s: got %d body %q %v, want %d body %v", i, st.uri, code, body, err, st.code, st.body)
		}
	}
	s.ClearFaults()
	if code, body, _, _ := raw(t, srv.URL, PathProducts+"?provider=GI-BJ"); code != 200 || body == "" {
		t.Errorf("after ClearFaults: got %d %q", code, body)
	}
	if got := s.Requests(PathProducts + "?provider=GI-BJ"); got != 4 {
		t.Errorf("got %d GI-BJ requests, want 4", got)
	}
}

// Latency and hanging faults end with the request or the simulator.
func TestCloseReleasesHangs(t *testing.T) {
	s, srv := start(t, Options{})
	s.Fail(Fault{Mode: FaultHang})
	done := make(chan error)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+PathProviders, nil)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Requests(PathProviders) == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	<-done // the handler returned: the test would time out otherwise
}
