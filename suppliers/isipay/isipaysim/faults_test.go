package isipaysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	s, srv := start(t, demo(t), Options{Balance: 1_000_000})
	raw := func(path string) (int, http.Header, string, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(`{"code":"VALO_125","referenceNumber":"`+path+time.Now().String()+`","data":"x#1"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0, nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b), err
	}
	tests := []struct {
		fault  Fault
		status int
		check  func(h http.Header, body string) bool
	}{
		{Fault{Mode: FaultHTTP500}, 500, func(_ http.Header, b string) bool { return strings.Contains(b, "<html>") }},
		{Fault{Mode: FaultRateLimit, RetryAfter: "2"}, 429, func(h http.Header, _ string) bool { return h.Get("Retry-After") == "2" }},
		{Fault{Mode: FaultRateLimit}, 429, func(h http.Header, _ string) bool { return h.Get("Retry-After") == "1" }},
		{Fault{Mode: FaultGarbage}, 200, func(_ http.Header, b string) bool { return strings.HasPrefix(b, "<!DOCTYPE html>") }},
		{Fault{Mode: FaultEmpty}, 200, func(_ http.Header, b string) bool { return b == "" }},
		{Fault{Mode: FaultTruncated}, 200, func(_ http.Header, b string) bool { return b != "" && !json.Valid([]byte(b)) }},
		{Fault{Mode: FaultErrorBody}, 200, func(_ http.Header, b string) bool {
			return b == `{"error":true,"code":500,"message":"Internal Server Error"}`
		}},
		{Fault{Mode: FaultErrorBody, Code: 400, Message: "Saldo tidak mencukupi"}, 200, func(_ http.Header, b string) bool {
			return b == `{"error":true,"code":400,"message":"Saldo tidak mencukupi"}`
		}},
	}
	for _, tt := range tests {
		tt.fault.Path = PathProduct
		tt.fault.Count = 1
		s.Fail(tt.fault)
		status, h, body, err := raw(PathProduct)
		if err != nil || status != tt.status || !tt.check(h, body) {
			t.Errorf("mode %d: got %d %q %v", tt.fault.Mode, status, body, err)
		}
		if status, _, _, _ := raw(PathProduct); status != 200 {
			t.Errorf("mode %d after its count: got %d, want 200", tt.fault.Mode, status)
		}
	}

	// Dropped connections, with and without the order taken.
	s.Fail(Fault{Path: PathOrder, Mode: FaultDrop, Count: 1})
	if _, _, _, err := raw(PathOrder); err == nil {
		t.Errorf("drop: got a reply, want a broken connection")
	}
	if n := len(s.Orders()); n != 0 {
		t.Errorf("drop: got %d orders, want 0", n)
	}
	s.Fail(Fault{Path: PathOrder, Mode: FaultAcceptDrop, Count: 1})
	if _, _, _, err := raw(PathOrder); err == nil {
		t.Errorf("accept-drop: got a reply, want a broken connection")
	}
	if n := len(s.Orders()); n != 1 {
		t.Errorf("accept-drop: got %d orders, want 1", n)
	}

	// A hang ends when the client gives up. On a simulator of its own: on
	// a loaded machine the client can give up before the handler runs,
	// which could then take a fault meant for the checks below.
	{
		hung, hungSrv := start(t, demo(t), Options{})
		hung.Fail(Fault{Path: PathBalance, Mode: FaultTimeout})
		c := &http.Client{Timeout: 100 * time.Millisecond}
		req, _ := http.NewRequest(http.MethodPost, hungSrv.URL+PathBalance, nil)
		if _, err := c.Do(req); err == nil {
			t.Errorf("timeout: got a reply")
		}
	}

	// Path prefixes, counts and ClearFaults.
	s.ClearFaults()
	s.Fail(Fault{Path: PathStatusOrder, Mode: FaultHTTP500, Count: 2})
	s.Fail(Fault{Mode: FaultEmpty, Count: 1})
	var got []string
	for _, p := range []string{PathStatusOrder + "RZ-RAPI1", PathStatusOrder + "RZ-RAPI1", PathStatusOrder + "RZ-RAPI1", PathBalance} {
		st, _, body, _ := raw(p)
		got = append(got, fmt.Sprintf("%d %t", st, body == ""))
	}
	// Two 500s for status-order, then the catch-all empty body once, then
	// the real balance.
	if want := "[500 false 500 false 200 true 200 false]"; fmt.Sprint(got) != want {
		t.Errorf("fault sequence (status, empty body): got %v, want %s", got, want)
	}
	if got := s.Requests(PathStatusOrder); got != 3 {
		t.Errorf("Requests(status-order): got %d, want 3", got)
	}
	if got, want := s.Requests(""), s.Requests("/api/v1/"); got != want || got == 0 {
		t.Errorf("Requests(\"\"): got %d, want %d", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, srv := start(t, demo(t), Options{Balance: 1_000_000_000})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			post(t, srv, PathOrder, fmt.Sprintf(`{"code":"FF_ID_5","referenceNumber":"c-%d","data":"1"}`, i))
			post(t, srv, PathVariant, `{"code":"free-fire"}`)
		})
		wg.Go(func() {
			s.SetPrice("FF_ID_12", int64(1800+i))
			s.Add(fmt.Sprintf("p-%d", i), NewVariant(fmt.Sprintf("X_%d", i), "x", 1))
			s.Orders()
			s.Requests("")
			s.Snapshot()
		})
	}
	wg.Wait()
	if n := len(s.Orders()); n != 20 {
		t.Errorf("orders: got %d, want 20", n)
	}
	ids := make(map[string]bool)
	for _, o := range s.Orders() {
		ids[o.InvoiceNumber] = true
	}
	if len(ids) != 20 {
		t.Errorf("distinct invoices: got %d, want 20", len(ids))
	}
}
