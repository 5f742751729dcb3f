package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/orders"
)

// TestDemoShop runs `syncd demo` in-process with its simulated storefront
// ordering every 200ms, and checks that it opened as a shop (the member
// tier and the demo rules, through the rules store), that the storefront's
// orders reach a final status at both suppliers, one of them after a
// refusal that fell back and one after a lost reply that was reconciled.
// A second run on the same database leaves its rules as they are.
func TestDemoShop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for several seconds")
	}
	const admin = "demo-shop-test-admin"
	db := dbtest.DSN(t)
	env := map[string]string{"SYNCD_ADDR": "127.0.0.1:0", "SYNCD_ADMIN_TOKEN": admin, "SYNCD_DB": db,
		"SYNCD_LOG_LEVEL": "error", "SYNCD_DEMO_TRAFFIC": "200ms", "SYNCD_ORDER_POLL_INTERVAL": "200ms"}

	base, stop := startDemo(t, env)
	call := func(path string, out any) {
		t.Helper()
		resp, body := get(t, base+path, admin)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d %s, want 200", path, resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	var rl struct {
		Rules []struct {
			Name  string `json:"name"`
			Match struct {
				Tier string `json:"tier"`
			} `json:"match"`
		} `json:"rules"`
	}
	call("/v1/rules", &rl)
	if len(rl.Rules) != len(demoRules()) {
		t.Fatalf("rules: got %d, want the %d demo rules", len(rl.Rules), len(demoRules()))
	}
	member := 0
	for _, r := range rl.Rules {
		if r.Match.Tier == memberTier {
			member++
		}
	}
	if member == 0 {
		t.Errorf("no demo rule prices the %s tier: %+v", memberTier, rl.Rules)
	}

	// Wait for a dozen orders to be final: at least one at each
	// supplier, one that fell back (two attempts) and one whose first
	// reply was lost (an attempt that needed checks).
	deadline := time.Now().Add(90 * time.Second)
	for {
		var list struct {
			Orders []orders.Order `json:"orders"`
		}
		call("/v1/orders?limit=100", &list)
		final, bySupplier, fellBack, reconciled := 0, map[string]int{}, 0, 0
		for _, o := range list.Orders {
			if !strings.HasPrefix(o.Reference, "shop-") || !o.Status.Final() {
				continue
			}
			final++
			bySupplier[o.Supplier]++
			var r struct {
				Attempts []struct {
					State string `json:"state"`
				} `json:"attempts"`
				Events []struct {
					Kind   string `json:"kind"`
					Detail struct {
						Outcome string `json:"outcome"`
					} `json:"detail"`
				} `json:"events"`
			}
			call("/v1/orders/"+o.ID+"/routing", &r)
			if len(r.Attempts) > 1 && r.Attempts[0].State == "rejected" {
				fellBack++
			}
			for _, e := range r.Events {
				if o.Status == orders.Success && e.Kind == "attempt" && e.Detail.Outcome == "unknown" {
					reconciled++
				}
			}
		}
		if final >= 12 && len(bySupplier) >= 2 && fellBack > 0 && reconciled > 0 {
			t.Logf("%d final orders, by supplier %v; %d fell back, %d reconciled", final, bySupplier, fellBack, reconciled)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s: %d final orders (by supplier %v), %d fell back, %d reconciled; want 12, both suppliers, 1 and 1",
				final, bySupplier, fellBack, reconciled)
		}
		time.Sleep(500 * time.Millisecond)
	}
	stop()

	// The database is kept: a second run finds rules and adds none.
	env["SYNCD_DEMO_TRAFFIC"] = "false"
	base, stop = startDemo(t, env)
	call("/v1/rules", &rl)
	if len(rl.Rules) != len(demoRules()) {
		t.Fatalf("rules after a second run: got %d, want %d", len(rl.Rules), len(demoRules()))
	}
	stop()
}

// startDemo runs the demo in-process with env until the returned stop is
// called, and returns its base URL once it has printed its guide (the
// start-up syncs are done).
func startDemo(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, nil, func(k string) string { return env[k] }, w, io.Discard)
		w.Close()
	}()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}
	addr, guided := make(chan string, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "syncd: listening on "); ok {
				addr <- a
			}
			if strings.HasPrefix(strings.TrimSpace(sc.Text()), "export SHOP=") {
				close(guided)
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case err := <-done:
		t.Fatalf("demo exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("demo did not print its address")
	}
	select {
	case <-guided:
	case <-time.After(60 * time.Second):
		stop()
		t.Fatal("demo printed no guide")
	}
	return base, stop
}
