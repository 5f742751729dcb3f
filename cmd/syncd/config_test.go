package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/gcfloor"
)

func TestConfigDefaultsAndOverrides(t *testing.T) {
	env := map[string]string{"SYNCD_SYNC_INTERVAL": "2m", "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s"}
	c, err := parseConfig("serve", []string{"-addr", "127.0.0.1:9999"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" {
		t.Errorf("flag over default: got addr %q", c.Addr)
	}
	if c.SyncInterval != 2*time.Minute || c.StaleAfter != 6*time.Minute {
		t.Errorf("interval/stale: got %s/%s, want 2m/6m", c.SyncInterval, c.StaleAfter)
	}
	sp := c.Supplier["senpay"]
	if c.DB != "syncd.db" || sp["SENPAY_BASE_URL"] != "https://senpay.id" {
		t.Errorf("defaults: got db=%q senpay=%q", c.DB, sp["SENPAY_BASE_URL"])
	}
	if got := sp["SENPAY_WEBHOOK_ALLOW"]; got != "206.189.83.1/32" {
		t.Errorf("webhook allow default: got %v", got)
	}
	if sp["SENPAY_WEBHOOK_SECRET"] != "" || sp["SENPAY_WEBHOOK_SIGNATURE_HEADER"] != "X-Signature" {
		t.Errorf("webhook signature defaults: got secret %q, header %q; want none, X-Signature", sp["SENPAY_WEBHOOK_SECRET"], sp["SENPAY_WEBHOOK_SIGNATURE_HEADER"])
	}
	if got := strings.Join(c.Preference, ","); got != "senpay,isipay" {
		t.Errorf("preference default: got %q, want the registration order senpay,isipay", got)
	}
	if sp["SENPAY_RATE_LIMIT"] != "20" || c.Supplier["isipay"]["ISIPAY_RATE_LIMIT"] != "10" {
		t.Errorf("rate limit defaults: got %q and %q, want 20 and 10", sp["SENPAY_RATE_LIMIT"], c.Supplier["isipay"]["ISIPAY_RATE_LIMIT"])
	}
	if c.OrderRerouteWindow != 10*time.Minute || c.OrderReconcileTimeout != 15*time.Minute || c.OrderStuckAfter != 2*time.Hour ||
		c.OrderPollInterval != 5*time.Second || c.BalanceInterval != time.Minute {
		t.Errorf("order defaults: got reroute %s, reconcile %s, stuck %s, poll %s, balance %s; want 10m, 15m, 2h, 5s, 1m",
			c.OrderRerouteWindow, c.OrderReconcileTimeout, c.OrderStuckAfter, c.OrderPollInterval, c.BalanceInterval)
	}
	if c.BreakerFailures != 5 || c.BreakerCooldown != 30*time.Second {
		t.Errorf("breaker defaults: got %d failures, %s cool-down; want 5 and 30s", c.BreakerFailures, c.BreakerCooldown)
	}
	if c.GCFloor != gcfloor.Default {
		t.Errorf("gc floor default: got %d bytes, want gcfloor.Default (%d)", c.GCFloor, gcfloor.Default)
	}
	if got := c.Suppliers(); len(got) != 1 || got[0] != "senpay" {
		t.Errorf("enabled suppliers: got %v, want [senpay]", got)
	}
	if g := costGuard(c); g.MaxFall.String() != "0.5" || g.MaxRise.String() != "1" {
		t.Errorf("cost guard defaults: got fall %s, rise %s; want 0.5 and 1", g.MaxFall, g.MaxRise)
	}
	c, err = parseConfig("serve", []string{"-max-cost-rise", "0"}, func(k string) string { return map[string]string{"SYNCD_MAX_COST_FALL": "0.25"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if g := costGuard(c); g.MaxFall.String() != "0.25" || !g.MaxRise.IsZero() {
		t.Errorf("cost guard set: got fall %s, rise %s; want 0.25 and 0 (off)", g.MaxFall, g.MaxRise)
	}
}

func TestConfigRefusesBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad interval", map[string]string{"SYNCD_SYNC_INTERVAL": "soon"}, "SYNCD_SYNC_INTERVAL"},
		{"half senpay credentials", map[string]string{"SENPAY_API_KEY": "k"}, "SENPAY_SECRET_KEY"},
		{"isipay without url", map[string]string{"ISIPAY_API_TOKEN": "t"}, "ISIPAY_BASE_URL"},
		{"bad isipay url", map[string]string{"ISIPAY_API_TOKEN": "t", "ISIPAY_BASE_URL": "isipay.example"}, "ISIPAY_BASE_URL"},
		{"bad rate limit", map[string]string{"SENPAY_RATE_LIMIT": "fast"}, "SENPAY_RATE_LIMIT"},
		{"unknown supplier's low balance", map[string]string{"SYNCD_LOW_BALANCE": "nobody=1000"}, "SYNCD_LOW_BALANCE"},
		{"bad cidr", map[string]string{"SENPAY_WEBHOOK_ALLOW": "10.0.0.0/99"}, "SENPAY_WEBHOOK_ALLOW"},
		{"bad signature header", map[string]string{"SENPAY_WEBHOOK_SIGNATURE_HEADER": "X Signature:"}, "SENPAY_WEBHOOK_SIGNATURE_HEADER"},
		{"bad trusted proxy", map[string]string{"SYNCD_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "SYNCD_TRUSTED_PROXIES"},
		{"bad shrink", map[string]string{"SYNCD_MAX_SHRINK": "2"}, "SYNCD_MAX_SHRINK"},
		{"cost fall over all of it", map[string]string{"SYNCD_MAX_COST_FALL": "1.5"}, "SYNCD_MAX_COST_FALL"},
		{"negative cost fall", map[string]string{"SYNCD_MAX_COST_FALL": "-0.5"}, "SYNCD_MAX_COST_FALL"},
		{"cost rise as a percent sign", map[string]string{"SYNCD_MAX_COST_RISE": "100%"}, "SYNCD_MAX_COST_RISE"},
		{"bad log format", map[string]string{"SYNCD_LOG_FORMAT": "xml"}, "SYNCD_LOG_FORMAT"},
		{"metrics on the api address", map[string]string{"SYNCD_METRICS_ADDR": "127.0.0.1:8080"}, "SYNCD_METRICS_ADDR"},
		{"bad notify url", map[string]string{"SYNCD_NOTIFY_URL": "shop.example/hook"}, "SYNCD_NOTIFY_URL"},
		{"bad reroute window", map[string]string{"SYNCD_ORDER_REROUTE_WINDOW": "ten minutes"}, "SYNCD_ORDER_REROUTE_WINDOW"},
		{"zero reconcile timeout", map[string]string{"SYNCD_ORDER_RECONCILE_TIMEOUT": "0s"}, "SYNCD_ORDER_RECONCILE_TIMEOUT"},
		{"negative stuck after", map[string]string{"SYNCD_ORDER_STUCK_AFTER": "-1h"}, "SYNCD_ORDER_STUCK_AFTER"},
		{"poll interval too long", map[string]string{"SYNCD_ORDER_POLL_INTERVAL": "10m"}, "SYNCD_ORDER_POLL_INTERVAL"},
		{"balance interval too short", map[string]string{"SYNCD_BALANCE_INTERVAL": "10ms"}, "SYNCD_BALANCE_INTERVAL"},
		{"negative breaker failures", map[string]string{"SYNCD_BREAKER_FAILURES": "-1"}, "SYNCD_BREAKER_FAILURES"},
		{"breaker failures not a number", map[string]string{"SYNCD_BREAKER_FAILURES": "five"}, "SYNCD_BREAKER_FAILURES"},
		{"breaker cool-down too short", map[string]string{"SYNCD_BREAKER_COOLDOWN": "10ms"}, "SYNCD_BREAKER_COOLDOWN"},
		{"instance name with a space", map[string]string{"SYNCD_INSTANCE": "syncd 1"}, "SYNCD_INSTANCE"},
		{"gc floor without a unit", map[string]string{"SYNCD_GC_FLOOR": "64MB"}, "SYNCD_GC_FLOOR"},
		{"negative gc floor", map[string]string{"SYNCD_GC_FLOOR": "-1MiB"}, "SYNCD_GC_FLOOR"},
		{"gc floor past 64 bits", map[string]string{"SYNCD_GC_FLOOR": "17000000TiB"}, "SYNCD_GC_FLOOR"},
		{"instance name too long", map[string]string{"SYNCD_INSTANCE": strings.Repeat("a", 65)}, "SYNCD_INSTANCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig("serve", nil, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	env := map[string]string{"SENPAY_API_KEY": "sk-live-123", "SENPAY_SECRET_KEY": "very-secret", "SYNCD_ADMIN_TOKEN": "adm-456",
		"SENPAY_WEBHOOK_SECRET": "hook-789", "SYNCD_NOTIFY_URL": "https://shop.example/hook?key=url-key-012",
		"SYNCD_NOTIFY_SECRET": "notify-345", "ISIPAY_API_TOKEN": "isi-678", "ISIPAY_BASE_URL": "https://isipay.example",
		"SYNCD_DB": "postgres://syncd:db-pw-901@db.example:5432/syncd?sslmode=require&sslpassword=db-pw-234"}
	c, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s := c.LogValue().String()
	for _, secret := range []string{"sk-live-123", "very-secret", "adm-456", "hook-789", "url-key-012", "notify-345", "isi-678",
		"db-pw-901", "db-pw-234"} {
		if strings.Contains(s, secret) {
			t.Fatalf("log value leaks %q: %s", secret, s)
		}
	}
	// The database is still named, for whoever reads the log.
	if want := "db=postgres://syncd:xxxxx@db.example:5432/syncd?sslmode=require&sslpassword=xxxxx"; !strings.Contains(s, want) {
		t.Fatalf("log value: got %s, want it to hold %s", s, want)
	}
}

// TestConfigDocumented: every setting has its row in the README's
// configuration table, with its flag and default.
func TestConfigDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settingsFor(registered) {
		row := "| `" + s.env + "` | `-" + s.flag + "` |"
		if s.def != "" {
			row += " `" + s.def + "` |"
		}
		if !strings.Contains(string(readme), row) {
			t.Errorf("README configuration table: no row starting %q", row)
		}
	}
}
