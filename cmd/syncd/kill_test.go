package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// gate stands between syncd and the Isipay simulator's order endpoint. It
// lets a test stop syncd (SIGKILL) at an exact point of a purchase: with
// the request received and not yet acted on, or acted on (the order
// placed at the simulator) with the reply withheld.
type gate struct {
	sim     http.Handler
	hold    atomic.Int32 // 0: pass; holdBefore; holdAfter
	reached chan struct{}
}

const (
	holdBefore = 1
	holdAfter  = 2
)

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != isipaysim.PathOrder {
		g.sim.ServeHTTP(w, r)
		return
	}
	switch g.hold.Swap(0) {
	case holdBefore:
		io.ReadAll(r.Body)
		g.reached <- struct{}{}
		<-r.Context().Done() // until syncd dies
	case holdAfter:
		rec := httptest.NewRecorder()
		g.sim.ServeHTTP(rec, r) // the order is placed
		g.reached <- struct{}{}
		<-r.Context().Done() // its answer never reaches syncd
	default:
		g.sim.ServeHTTP(w, r)
	}
}

// TestOrderSurvivesKill runs the real binary, kills it with SIGKILL in
// the middle of a purchase, starts it again on the same database and
// counts the purchases at the simulator: exactly one, whichever side of
// the supplier's acceptance the kill fell on.
func TestOrderSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "syncd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		hold int32
		want orders.Status
	}{
		// Never acted on: the resend after the restart is the purchase.
		{"killed before the supplier acted", holdBefore, orders.Success},
		// Placed, answer lost: the resend is refused as a used reference,
		// and Isipay can tell no more; an operator's, still one purchase.
		{"killed after the supplier accepted", holdAfter, orders.Attention},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSims(t)
			g := &gate{sim: s.isipay, reached: make(chan struct{}, 1)}
			ip := httptest.NewServer(g)
			t.Cleanup(ip.Close)
			env := s.env()
			env["ISIPAY_BASE_URL"] = ip.URL
			env["SYNCD_DB"] = dbtest.DSN(t)
			// The restarted process is the same instance: on PostgreSQL it
			// takes its orders' leases back at once, as on SQLite.
			env["SYNCD_INSTANCE"] = "kill-test"
			env["SYNCD_ADMIN_TOKEN"] = testAdmin
			env["SYNCD_ORDER_POLL_INTERVAL"] = "200ms"
			env["SYNCD_ORDER_RECONCILE_TIMEOUT"] = "2s"
			env["SYNCD_LOG_LEVEL"] = "warn"

			p := startBinary(t, bin, env)
			shop := p.token(t, "storefront")
			price := itemPrice(t, p.base, shop, "mobile-legends.diamonds-86-78-8")

			g.hold.Store(tc.hold)
			go func() {
				// Answered or cut off by the kill; either way not waited on.
				body, _ := json.Marshal(map[string]any{"reference": "kill-1", "item": "mobile-legends.diamonds-86-78-8",
					"expected_price": price, "fields": map[string]string{"user_id": "12345678", "server": "2001"}})
				req, _ := http.NewRequest("POST", p.base+"/v1/orders", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+shop)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			select {
			case <-g.reached:
			case <-time.After(30 * time.Second):
				t.Fatal("the order never reached Isipay")
			}
			p.kill(t)

			p = startBinary(t, bin, env)
			var o orders.Order
			deadline := time.Now().Add(30 * time.Second)
			for {
				resp, body := get(t, p.base+"/v1/orders?reference=kill-1", shop)
				var list struct{ Orders []orders.Order }
				if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Orders) != 1 {
					t.Fatalf("order after restart: %d %s", resp.StatusCode, body)
				}
				if o = list.Orders[0]; o.Status == tc.want || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if o.Status != tc.want {
				t.Fatalf("after restart: got %s (%s), want %s", o.Status, o.Reason, tc.want)
			}
			if n, m := len(s.isipay.Orders()), len(s.senpay.Transactions()); n != 1 || m != 0 {
				t.Fatalf("purchases: isipay %d, senpay %d; want exactly one, at isipay", n, m)
			}
		})
	}
}

// binary is a running syncd serve.
type binary struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func startBinary(t *testing.T, bin string, env map[string]string) *binary {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "SYNCD_ADDR=127.0.0.1:0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &binary{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(b.done) }()
	t.Cleanup(func() { b.kill(t) })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "syncd: listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case b.base = <-addr:
	case <-b.done:
		t.Fatalf("syncd exited before listening\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("syncd did not print its address\n%s", stderr.String())
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get(b.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("syncd never ready\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown, no last write.
func (b *binary) kill(t *testing.T) {
	if b.cmd.ProcessState == nil {
		b.cmd.Process.Kill()
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Error("syncd did not die")
	}
}

// token makes a token of role over the API, as the admin.
func (b *binary) token(t *testing.T, role string) string {
	t.Helper()
	body := `{"name": "kill-test-` + role + `", "role": "` + role + `"}`
	req, _ := http.NewRequest("POST", b.base+"/v1/tokens", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Secret string `json:"secret"`
		Token  string `json:"token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("create token: %d %s", resp.StatusCode, raw)
	}
	if out.Secret != "" {
		return out.Secret
	}
	return out.Token
}

func itemPrice(t *testing.T, base, token, item string) int64 {
	t.Helper()
	resp, body := get(t, base+"/v1/items/"+item, token)
	var it struct {
		Item struct {
			Price *int64 `json:"price"`
		} `json:"item"`
	}
	if err := json.Unmarshal(body, &it); resp.StatusCode != 200 || err != nil || it.Item.Price == nil {
		t.Fatalf("GET /v1/items/%s: got %d %s", item, resp.StatusCode, body)
	}
	return *it.Item.Price
}
