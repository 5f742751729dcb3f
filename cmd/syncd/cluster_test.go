package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
)

// TestThreeInstancesOnePostgreSQL runs three real syncd serve processes
// on one PostgreSQL database with the simulators: one leads, every one
// serves the same catalog version, a rule saved through one is served by
// all, 20 concurrent submissions of one order spread across the three buy
// once, and when the leader is killed another takes over and syncs again.
func TestThreeInstancesOnePostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary three times")
	}
	if !dbtest.Postgres() {
		t.Skip("several instances share a PostgreSQL database; a SQLite file has one")
	}
	bin := filepath.Join(t.TempDir(), "syncd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newSims(t)
	env := s.env()
	env["SYNCD_DB"] = dbtest.DSN(t)
	env["SYNCD_ADMIN_TOKEN"] = testAdmin
	env["SYNCD_SYNC_INTERVAL"] = "2s"
	env["SYNCD_LOG_LEVEL"] = "warn"
	names := []string{"a", "b", "c"}
	inst := map[string]*binary{}
	for _, name := range names {
		e := map[string]string{"SYNCD_INSTANCE": name}
		for k, v := range env {
			e[k] = v
		}
		// One at a time: the first to start leads, so the test knows
		// whom to kill.
		inst[name] = startBinary(t, bin, e)
	}
	shop := inst["a"].token(t, "storefront")

	leaders := func(alive []string) (leading []string, recorded map[string]string) {
		recorded = map[string]string{}
		for _, name := range alive {
			resp, body := get(t, inst[name].base+"/metrics", testAdmin)
			if resp.StatusCode != 200 {
				t.Fatalf("%s /metrics: %d", name, resp.StatusCode)
			}
			if regexp.MustCompile(`(?m)^syncd_leader\{instance="` + name + `"\} 1$`).Match(body) {
				leading = append(leading, name)
			}
			recorded[name] = leadership(t, inst[name].base).Leader
		}
		return leading, recorded
	}
	leading, recorded := leaders(names)
	if len(leading) != 1 || leading[0] != "a" {
		t.Fatalf("leading by syncd_leader: %v, want exactly [a], the first started", leading)
	}
	for name, l := range recorded {
		if l != "a" {
			t.Fatalf("GET /v1/suppliers on %s names %q the leader, want a", name, l)
		}
	}

	// A sync asked of a follower is refused with where to send it; the
	// leader takes it.
	for name, want := range map[string]int{"b": http.StatusServiceUnavailable, "a": http.StatusAccepted} {
		req, _ := http.NewRequest("POST", inst[name].base+"/v1/suppliers/isipay/sync", nil)
		req.Header.Set("Authorization", "Bearer "+testAdmin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// 409: the leader's own scheduled sync of isipay is running.
		if resp.StatusCode != want && !(name == "a" && resp.StatusCode == http.StatusConflict) {
			t.Fatalf("POST /v1/suppliers/isipay/sync on %s: %d %s, want %d", name, resp.StatusCode, body, want)
		}
	}

	// Every instance serves the same version under the same ETag.
	sameCatalog := func(what string, alive []string) string {
		t.Helper()
		var tags []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			tags = tags[:0]
			for _, name := range alive {
				resp, _ := get(t, inst[name].base+"/v1/catalog", shop)
				tags = append(tags, resp.Header.Get("ETag"))
			}
			if tags[0] != "" && strings.Count(strings.Join(tags, "\n"), tags[0]) == len(tags) {
				return tags[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: ETags %v, want one", what, tags)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	before := sameCatalog("after start", names)

	// A rule saved through b is served by a and c, same version, same
	// ETag, same price.
	const item = "mobile-legends.diamonds-86-78-8"
	old := itemPrice(t, inst["b"].base, shop, item)
	rule := `{"name": "MLBB +10%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`
	req, _ := http.NewRequest("POST", inst["b"].base+"/v1/rules", strings.NewReader(rule))
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	req.Header.Set("Content-Type", "application/json")
	saved := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/rules on b: %d %s", resp.StatusCode, body)
	}
	// b answered after it served the rule's version itself.
	if p := itemPrice(t, inst["b"].base, shop, item); p == old {
		t.Fatalf("b serves %d after saving the rule, the old price", p)
	}
	after := sameCatalog("after the rule saved on b", names)
	t.Logf("a and c served b's version %s %v after the save", after, time.Since(saved).Round(time.Millisecond))
	if after == before {
		t.Fatalf("ETag %s unchanged by the rule", after)
	}
	// The changes feed answers the same everywhere, from the recorded
	// versions.
	since := regexp.MustCompile(`^"v(\d+)-`).FindStringSubmatch(before)
	if since == nil {
		t.Fatalf("ETag %s: no version in it", before)
	}
	var feeds []string
	for _, name := range names {
		resp, body := get(t, inst[name].base+"/v1/catalog/changes?since="+since[1], shop)
		if resp.StatusCode != 200 {
			t.Fatalf("%s /v1/catalog/changes?since=%s: %d %s", name, since[1], resp.StatusCode, body)
		}
		feeds = append(feeds, string(body))
	}
	if feeds[0] != feeds[1] || feeds[0] != feeds[2] || !strings.Contains(feeds[0], item) {
		t.Fatalf("changes since %s differ between instances or lack %s:\n%s", since[1], item, strings.Join(feeds, "\n"))
	}
	want := itemPrice(t, inst["b"].base, shop, item)
	for _, name := range names {
		if p := itemPrice(t, inst[name].base, shop, item); p != want {
			t.Fatalf("%s prices %s at %d, b at %d", name, item, p, want)
		}
	}

	// 20 submissions of one order, spread across the three at once, buy
	// exactly once: one order everywhere, one purchase at the suppliers.
	body, _ = json.Marshal(map[string]any{"reference": "cluster-1", "item": item, "expected_price": want,
		"fields": map[string]string{"user_id": "12345678", "server": "2001"}})
	ids := make(chan string, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			base := inst[names[i%len(names)]].base
			req, _ := http.NewRequest("POST", base+"/v1/orders", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+shop)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var o orders.Order
			b, _ := io.ReadAll(resp.Body)
			if (resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK) || json.Unmarshal(b, &o) != nil {
				t.Errorf("POST /v1/orders on %s: %d %s", base, resp.StatusCode, b)
				return
			}
			ids <- o.ID
		})
	}
	wg.Wait()
	close(ids)
	var orderID string
	for id := range ids {
		if orderID != "" && id != orderID {
			t.Fatalf("one reference became orders %s and %s", orderID, id)
		}
		orderID = id
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, name := range names {
		for deadline := time.Now().Add(30 * time.Second); ; {
			resp, b := get(t, inst[name].base+"/v1/orders/"+orderID, shop)
			var o orders.Order
			if resp.StatusCode != 200 || json.Unmarshal(b, &o) != nil {
				t.Fatalf("GET /v1/orders/%s on %s: %d %s", orderID, name, resp.StatusCode, b)
			}
			if o.Status == orders.Success {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order %s on %s: %s (%s), want success", orderID, name, o.Status, o.Reason)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if bought := len(s.senpay.Transactions()) + len(s.isipay.Orders()); bought != 1 {
		t.Fatalf("20 submissions across three instances bought %d times, want once", bought)
	}

	// Kill the leader: another takes over, and the syncs run again.
	killed := time.Now()
	inst["a"].kill(t)
	alive := []string{"b", "c"}
	var successor string
	for deadline := time.Now().Add(15 * time.Second); successor == ""; {
		leading, recorded := leaders(alive)
		if len(leading) > 1 {
			t.Fatalf("leading after the kill: %v, want one", leading)
		}
		if len(leading) == 1 && recorded[alive[0]] == leading[0] && recorded[alive[1]] == leading[0] {
			successor = leading[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instance took over: leading %v, recorded %v", leading, recorded)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s took over %v after the kill", successor, time.Since(killed).Round(time.Millisecond))
	// It stays in the load balancer while its first syncs run: it was
	// serving already.
	for _, name := range alive {
		if resp, _ := get(t, inst[name].base+"/readyz", ""); resp.StatusCode != 200 {
			t.Fatalf("%s /readyz after the takeover: %d", name, resp.StatusCode)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		synced := true
		for _, st := range supplierStatuses(t, inst[successor].base) {
			if st.LastSuccess == nil || !st.LastSuccess.After(killed) {
				synced = false
			}
		}
		if synced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sync of every supplier after the kill: %+v", supplierStatuses(t, inst[successor].base))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sameCatalog("after the takeover", alive)

	// No supplier's syncs ever overlapped, across the three.
	db, err := syncd.Open(context.Background(), env["SYNCD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs []struct {
		Supplier string `db:"supplier"`
		Started  string `db:"started_at"`
		Finished string `db:"finished_at"`
	}
	if err := db.Read.Select(&runs, `SELECT supplier, started_at, finished_at FROM sync_runs ORDER BY supplier, started_at`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].Supplier == runs[i-1].Supplier && runs[i].Started < runs[i-1].Finished {
			t.Fatalf("%s synced twice at once: %s–%s and %s–%s", runs[i].Supplier,
				runs[i-1].Started, runs[i-1].Finished, runs[i].Started, runs[i].Finished)
		}
	}
	t.Logf("%d sync runs, none overlapping", len(runs))
}

func suppliersBody(t *testing.T, base string) []byte {
	t.Helper()
	resp, body := get(t, base+"/v1/suppliers", testAdmin)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/suppliers: %d %s", resp.StatusCode, body)
	}
	return body
}

func leadership(t *testing.T, base string) api.Leadership {
	t.Helper()
	var out struct{ Leadership *api.Leadership }
	if err := json.Unmarshal(suppliersBody(t, base), &out); err != nil || out.Leadership == nil {
		t.Fatalf("GET /v1/suppliers: no leadership (%v)", err)
	}
	return *out.Leadership
}

func supplierStatuses(t *testing.T, base string) []offers.SupplierStatus {
	t.Helper()
	var out struct{ Suppliers []offers.SupplierStatus }
	if err := json.Unmarshal(suppliersBody(t, base), &out); err != nil {
		t.Fatal(fmt.Errorf("GET /v1/suppliers: %w", err))
	}
	return out.Suppliers
}

// TestRestartKeepsTheCatalogVersion: a restart adopts the version last
// published rather than allocating one, so storefronts keep their ETags
// and their place in the changes feed across a restart or a deploy.
func TestRestartKeepsTheCatalogVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "syncd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newSims(t)
	env := s.env()
	env["SYNCD_DB"] = dbtest.DSN(t)
	env["SYNCD_ADMIN_TOKEN"] = testAdmin
	env["SYNCD_LOG_LEVEL"] = "warn"
	p := startBinary(t, bin, env)
	shop := p.token(t, "storefront")
	resp, _ := get(t, p.base+"/v1/catalog", shop)
	before := resp.Header.Get("ETag")
	p.kill(t)

	p = startBinary(t, bin, env)
	resp, _ = get(t, p.base+"/v1/catalog", shop)
	if after := resp.Header.Get("ETag"); after != before || before == "" {
		t.Fatalf("ETag across a restart: %s, then %s; want the same", before, after)
	}
	since := regexp.MustCompile(`^"v(\d+)-`).FindStringSubmatch(before)
	if resp, body := get(t, p.base+"/v1/catalog/changes?since="+since[1], shop); resp.StatusCode != 200 {
		t.Fatalf("changes since the version served before the restart: %d %s", resp.StatusCode, body)
	}
}
