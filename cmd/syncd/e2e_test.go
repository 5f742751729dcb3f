package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
)

// TestDemoEndToEnd builds the real binary, runs `syncd demo` on port 0 and
// checks over HTTP that both simulated suppliers were synced, that a sync
// can be triggered, that orders placed with the storefront token the demo
// prints complete at the simulators, and that SIGTERM shuts it down
// cleanly.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "syncd")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	const token = "e2e-admin-token"
	dbPath := dbtest.DSN(t)
	cmd := exec.Command(bin, "demo")
	cmd.Env = append(os.Environ(), "SYNCD_ADDR=127.0.0.1:0", "SYNCD_ADMIN_TOKEN="+token, "SYNCD_LOG_LEVEL=warn", "SYNCD_DB="+dbPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	base, shop, dbLine := make(chan string, 1), make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "database:"); ok {
				dbLine <- strings.TrimSpace(rest)
			}
			if addr, ok := strings.CutPrefix(sc.Text(), "syncd: listening on "); ok {
				base <- addr
			}
			if token, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export SHOP="); ok {
				shop <- token
			}
		}
	}()
	var url string
	select {
	case url = <-base:
	case err := <-exited:
		t.Fatalf("demo exited before listening: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("demo did not print its address\n%s", stderr.String())
	}

	getAs := func(token, method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	get := func(method, path string) (int, []byte) { return getAs(token, method, path) }

	// Ready once the start-up syncs are done.
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _ := get("GET", "/readyz")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	status, body := get("GET", "/v1/suppliers")
	if status != 200 {
		t.Fatalf("GET /v1/suppliers: got %d, want 200: %s", status, body)
	}
	var got struct {
		Suppliers []offers.SupplierStatus `json:"suppliers"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Suppliers) != 2 {
		t.Fatalf("suppliers: got %d, want 2: %s", len(got.Suppliers), body)
	}
	for _, s := range got.Suppliers {
		if s.State != "ok" || s.ActiveOffers < 20 || s.Added != s.Seen {
			t.Errorf("%s: got state=%s active=%d seen=%d added=%d, want ok with its catalog added", s.Supplier, s.State, s.ActiveOffers, s.Seen, s.Added)
		}
	}

	// The merged catalog is served to storefronts.
	status, body = get("GET", "/v1/games/mobile-legends")
	if status != 200 {
		t.Fatalf("GET /v1/games/mobile-legends: got %d, want 200: %s", status, body)
	}
	var game struct {
		Game struct {
			Items []struct {
				ID        string `json:"id"`
				Price     *int64 `json:"price"`
				Available bool   `json:"available"`
			} `json:"items"`
		} `json:"game"`
	}
	if err := json.Unmarshal(body, &game); err != nil {
		t.Fatal(err)
	}
	available := 0
	for _, it := range game.Game.Items {
		if it.Available && it.Price != nil && *it.Price > 0 {
			available++
		}
	}
	if available < 10 {
		t.Fatalf("mobile-legends: %d available items with a price, want at least 10: %s", available, body)
	}

	// The guide, printed once the start-up syncs are done, names a
	// storefront's token.
	var shopToken string
	select {
	case shopToken = <-shop:
	case <-time.After(30 * time.Second):
		t.Fatalf("demo printed no storefront token\n%s", stderr.String())
	}
	// SYNCD_DB named the database, so the demo keeps it and says so.
	if got := <-dbLine; got != dbPath+" (kept on exit)" {
		t.Fatalf("guide's database line: got %q, want %q", got, dbPath+" (kept on exit)")
	}
	order := func(ref string) string {
		t.Helper()
		return placeDemoOrder(t, url, shopToken, ref, "mobile-legends.diamonds-86-78-8")
	}
	// 86 Diamonds is cheapest at the simulated Isipay now (its order is
	// polled to success); after the price_update below, at Senpay (its
	// order is settled by the simulator's transaction_status webhook).
	// Prices drift while the demo runs, so neither supplier is asserted.
	firstOrder := order("e2e-1")

	// The demo takes Senpay webhooks from loopback, as its simulator posts
	// them: a price_update is served at once.
	hook := `{"webhook_type": "price_update", "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_new": 19000}]}`
	resp, err := http.Post(url+"/v1/webhooks/senpay", "application/json", strings.NewReader(hook))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(reply), `"status":200`) {
		t.Fatalf("POST /v1/webhooks/senpay: got %d %s, want 200", resp.StatusCode, reply)
	}
	// The demo shop's Mobile Legends rule: cost +7% on a 100 grid, up.
	_, body = get("GET", "/v1/items/mobile-legends.diamonds-86-78-8")
	if !strings.Contains(string(body), `"price":20400`) {
		t.Fatalf("86 diamonds after the webhook: %s, want price 20400 (19000 +7%%, on the 100 grid)", body)
	}

	secondOrder := order("e2e-2")
	for _, id := range []string{firstOrder, secondOrder} {
		o := waitDemoOrder(t, url, shopToken, id, 30*time.Second)
		if o.Status != "success" {
			t.Errorf("order %s: got %s (%s) at %s, want success", id, o.Status, o.Reason, o.Supplier)
		}
	}

	// 409 when the demo's own scheduled sync of isipay is running: a slow
	// run can have reached its 30 s interval by now.
	if status, body := get("POST", "/v1/suppliers/isipay/sync"); status != 202 && status != 409 {
		t.Fatalf("trigger sync: got %d, want 202 (or 409, a sync already running): %s", status, body)
	}

	// `syncd token` beside the running server: a token it creates works
	// within a second, and one it revokes stops working within seconds.
	tokenCmd := func(args ...string) (stdout, stderr string) {
		c := exec.Command(bin, append([]string{"token"}, args...)...)
		c.Env = append(os.Environ(), "SYNCD_DB="+dbPath)
		var errOut strings.Builder
		c.Stderr = &errOut
		out, err := c.Output()
		if err != nil {
			t.Fatalf("syncd token %v: %v\n%s", args, err, errOut.String())
		}
		return strings.TrimSpace(string(out)), errOut.String()
	}
	waitStatus := func(token string, want int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			status, body := getAs(token, "GET", "/v1/suppliers")
			if status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /v1/suppliers: got %d, want %d within %s: %s", status, want, within, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	secret, said := tokenCmd("create", "-role", "admin", "-name", "e2e")
	var id int
	if _, err := fmt.Sscanf(said, "syncd: created token %d", &id); err != nil {
		t.Fatalf("token create said %q: %v", said, err)
	}
	waitStatus(secret, 200, 5*time.Second)
	tokenCmd("revoke", fmt.Sprint(id))
	waitStatus(secret, 401, 20*time.Second)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop within 30s of SIGTERM")
	}
}

// placeDemoOrder orders item at its current price as a storefront and
// returns the order's id. A price that moved between the read and the
// order (the demo drifts prices) is read again.
func placeDemoOrder(t *testing.T, base, token, ref, item string) string {
	t.Helper()
	for range 5 {
		resp, body := get(t, base+"/v1/items/"+item, token)
		var it struct {
			Item struct {
				Price *int64 `json:"price"`
			} `json:"item"`
		}
		if err := json.Unmarshal(body, &it); resp.StatusCode != 200 || err != nil || it.Item.Price == nil {
			t.Fatalf("GET /v1/items/%s: got %d %s (%v), want a price", item, resp.StatusCode, body, err)
		}
		order, _ := json.Marshal(map[string]any{"reference": ref, "item": item, "expected_price": *it.Item.Price,
			"fields": map[string]string{"user_id": "12345678", "server": "2001"}})
		req, _ := http.NewRequest("POST", base+"/v1/orders", bytes.NewReader(order))
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusConflict && strings.Contains(string(reply), "price_changed") {
			continue
		}
		var o orders.Order
		if r.StatusCode != http.StatusCreated || json.Unmarshal(reply, &o) != nil {
			t.Fatalf("POST /v1/orders: got %d %s, want 201", r.StatusCode, reply)
		}
		return o.ID
	}
	t.Fatalf("order %s: the price kept changing", ref)
	return ""
}

// waitDemoOrder reads an order until it is final or within has passed.
func waitDemoOrder(t *testing.T, base, token, id string, within time.Duration) orders.Order {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, body := get(t, base+"/v1/orders/"+id, token)
		var o orders.Order
		if resp.StatusCode != 200 || json.Unmarshal(body, &o) != nil {
			t.Fatalf("GET /v1/orders/%s: got %d %s", id, resp.StatusCode, body)
		}
		if o.Status.Final() || time.Now().After(deadline) {
			return o
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSyncCommand runs `syncd sync` in-process against the simulators.
func TestSyncCommand(t *testing.T) {
	sp, ip := startSims(t)
	db := dbtest.DSN(t)
	env := map[string]string{
		"SYNCD_DB": db, "SENPAY_BASE_URL": sp, "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s",
		"ISIPAY_BASE_URL": ip, "ISIPAY_API_TOKEN": "t",
	}
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"sync"}, func(k string) string { return env[k] }, &out, &errOut)
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"SUPPLIER", "senpay", "isipay", "ok"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("summary lacks %q:\n%s", want, out.String())
		}
	}

	// With a wrong token, isipay fails, the exit is an error, and the
	// catalog synced before is kept.
	env["ISIPAY_API_TOKEN"] = "wrong"
	out.Reset()
	err = run(context.Background(), []string{"sync"}, func(k string) string { return env[k] }, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "isipay") {
		t.Fatalf("sync with a bad token: got %v, want an error naming isipay", err)
	}
	if !strings.Contains(out.String(), "FAILED") {
		t.Fatalf("summary does not show the failure:\n%s", out.String())
	}
	fmt.Fprint(io.Discard, out.String())
}
