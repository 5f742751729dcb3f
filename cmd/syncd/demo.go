package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// runDemo starts both supplier simulators on loopback with the demo
// catalogs, points syncd at them and serves. Nothing to set up: the
// credentials are made up here and the database lives in a temporary
// directory unless SYNCD_DB says otherwise. Orders complete at the
// simulators a few seconds after they are placed: Senpay's by its
// transaction_status webhook, Isipay's when syncd polls their status.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	senpayCat, err := senpaysim.LoadCatalog(syncd.SenpayDemoCatalog)
	if err != nil {
		return fmt.Errorf("senpay demo catalog: %w", err)
	}
	isipayCat, err := isipaysim.LoadCatalog(syncd.IsipayDemoCatalog)
	if err != nil {
		return fmt.Errorf("isipay demo catalog: %w", err)
	}
	spLn, err := listenLoopback()
	if err != nil {
		return err
	}
	defer spLn.Close()
	ipLn, err := listenLoopback()
	if err != nil {
		return err
	}
	defer ipLn.Close()
	spURL, ipURL := "http://"+spLn.Addr().String(), "http://"+ipLn.Addr().String()

	dir, err := os.MkdirTemp("", "syncd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	senpayKey, senpaySecret, isipayToken := randomToken(), randomToken(), randomToken()
	adminToken := getenv("SYNCD_ADMIN_TOKEN")
	if adminToken == "" {
		adminToken = "demo-admin-" + randomToken()[:12]
	}
	overrides := map[string]string{
		"SENPAY_BASE_URL": spURL, "SENPAY_API_KEY": senpayKey, "SENPAY_SECRET_KEY": senpaySecret,
		"ISIPAY_BASE_URL": ipURL, "ISIPAY_API_TOKEN": isipayToken,
		"SYNCD_ADMIN_TOKEN": adminToken,
	}
	defaults := map[string]string{
		"SYNCD_DB":            filepath.Join(dir, "syncd.db"),
		"SYNCD_SYNC_INTERVAL": "30s",
	}
	demoEnv := func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
	cfg, err := parseConfig("demo", args, demoEnv)
	if err != nil {
		return err
	}
	// The simulated Senpay posts its webhooks from loopback.
	cfg.Supplier[senpay.Name]["SENPAY_WEBHOOK_ALLOW"] += ",127.0.0.1/32"

	// The API's address first (SYNCD_ADDR may ask for port 0): the
	// simulated Senpay needs it for its transaction_status webhooks.
	apiLn, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	webhookURL := "http://" + loopbackAddr(apiLn.Addr().String()) + "/v1/webhooks/senpay"
	sp := senpaysim.New(senpayCat, senpaysim.Options{APIKey: senpayKey, SecretKey: senpaySecret,
		OrderDelay: 3 * time.Second, WebhookURL: webhookURL})
	defer sp.Close()
	ip := isipaysim.New(isipayCat, isipaysim.Options{APIToken: isipayToken, OrderDelay: 3 * time.Second, Balance: 50_000_000})
	defer serveSim(spLn, sp)()
	defer serveSim(ipLn, ip)()

	log := newLogger(cfg, stderr)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		apiLn.Close()
		return err
	}
	a.apiListener = apiLn
	// Rotated: with SYNCD_DB kept from an earlier demo the names are taken,
	// and the new tokens are the same storefront (which sees its earlier
	// orders, in its earlier tiers) and merchandiser.
	shopToken, _, err := a.tokens.Create(ctx, "demo-shop", auth.RoleStorefront, auth.Rotate())
	if err != nil {
		a.abandon()
		a.db.Close()
		return fmt.Errorf("demo storefront token: %w", err)
	}
	merchToken, _, err := a.tokens.Create(ctx, "demo-merchandiser", auth.RoleMerchandiser, auth.Rotate())
	if err != nil {
		a.abandon()
		a.db.Close()
		return fmt.Errorf("demo merchandiser token: %w", err)
	}
	return a.serve(ctx, func(at listening) {
		go moveMarket(ctx, log, sp, ip, senpayCat, isipayCat, webhookURL)
		fmt.Fprintf(stdout, "syncd: listening on http://%s\n", at.API)
		metricsURL := "http://" + at.API + "/metrics (admin token)"
		if at.Metrics != "" {
			metricsURL = "http://" + at.Metrics + "/metrics"
		}
		guide := strings.NewReplacer("{addr}", at.API, "{metrics}", metricsURL, "{senpay}", spURL, "{isipay}", ipURL,
			"{db}", cfg.DB, "{interval}", cfg.SyncInterval.String(), "{token}", adminToken, "{shop}", shopToken,
			"{merch}", merchToken, "{kept}", dbFate(cfg.DB, defaults["SYNCD_DB"]))
		// The order example quotes a current price: printed once the
		// start-up syncs have priced the catalog.
		go func() {
			if order, ok := a.orderExample(ctx); ok {
				fmt.Fprint(stdout, guide.Replace(demoGuide+order))
			}
		}()
	})
}

// demoItem is the item the guide orders.
const demoItem = "mobile-legends.diamonds-86-78-8"

// orderExample waits for the start-up syncs and returns the guide's order
// example: demoItem at its current public price, with a made-up answer
// to each field of its game's form. false if ctx ends first.
func (a *app) orderExample(ctx context.Context) (string, bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for a.catalog.Snapshot() == nil || len(a.sched.pendingFirstRuns()) > 0 {
		select {
		case <-ctx.Done():
			return "", false
		case <-t.C:
		}
	}
	snap := a.catalog.Snapshot()
	it, ok := snap.Item(demoItem)
	if !ok || it.PriceIn("public").Amount == nil {
		return "\n(" + demoItem + " has no price now: pick an item from /v1/games/mobile-legends to order.)\n", true
	}
	var fields map[string]string
	if g, ok := snap.Game(it.GameID); ok {
		fields = exampleFields(g.Form)
	}
	fj, _ := json.Marshal(fields)
	return strings.NewReplacer("{item}", it.ID, "{name}", it.Name, "{price}", fmt.Sprint(*it.PriceIn("public").Amount),
		"{fields}", string(fj)).Replace(demoOrder), true
}

// exampleFields answers every field of a game's order form with a
// made-up buyer's value.
func exampleFields(form []catalog.FormField) map[string]string {
	fields := map[string]string{}
	for _, f := range form {
		switch {
		case f.Type == "dropdown" && len(f.Options) > 0:
			fields[f.Key] = f.Options[0].Code
		case f.Key == "server":
			fields[f.Key] = "2001"
		default:
			fields[f.Key] = "12345678"
		}
	}
	return fields
}

// dbFate says what happens to the demo's database at exit: the temporary
// one goes with the demo, one named by SYNCD_DB or -db stays.
func dbFate(db, temporary string) string {
	if db == temporary {
		return "removed on exit"
	}
	return "kept on exit"
}

const demoGuide = `
  console:           http://{addr}/console/ (sign in with a token:
                     merchandiser {merch}
                     admin        {token})
  simulated Senpay:  {senpay}
  simulated Isipay:  {isipay}
  database:          {db} ({kept})
  sync interval:     {interval}; prices at the simulators drift every 20s:
                     Isipay's reach syncd at its next sync, Senpay's at once
                     through its price_update webhook (see the log)

Try (the admin token may do everything a storefront or merchandiser may;
SHOP is the token of a storefront, made for this demo):
  export TOKEN={token}
  export SHOP={shop}
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/games
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/games/mobile-legends
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/items/mobile-legends.diamonds-86-78-8/offers
  curl -s -H "Authorization: Bearer $TOKEN" "http://{addr}/v1/catalog/changes?since=1"
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/matching/review
  curl -s -X POST -H "Authorization: Bearer $TOKEN" http://{addr}/v1/rules -d '{"name": "MLBB +8%",
    "match": {"game": "mobile-legends"}, "action": {"kind": "markup_percent", "value": "8", "plus": 0},
    "round": {"step": 100, "mode": "up", "ending": 0}}'
  curl -s -H "Authorization: Bearer $TOKEN" "http://{addr}/v1/items/mobile-legends.diamonds-86-78-8/pricing?tier=public"
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/suppliers
  curl -s -X POST -H "Authorization: Bearer $TOKEN" http://{addr}/v1/suppliers/senpay/sync
  curl -s -X POST http://{addr}/v1/webhooks/senpay -d '{"webhook_type": "price_update",
    "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_old": 22870, "price_new": 19000}]}'
    (a Senpay webhook as the simulator sends them: no token, loopback is allowed in the demo;
    86 Diamonds is 19000 at once, until a sync brings back the simulator's price)
  curl -s -X POST http://{addr}/v1/webhooks/senpay -d '{"webhook_type": "price_update",
    "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_new": 1}]}'
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/cost-holds
    (a cut past half is stored but held, not sold, until a sync confirms it or a merchandiser
    accepts it: POST /v1/cost-holds/OFFER/accept {"cost": 1, "note": "why"}, or the console)
  go run ./cmd/syncd token create -db {db} -role storefront -name my-shop -tiers public
    (SHOP may use the public tier only: after POST /v1/tiers makes another, grant
    it with PATCH /v1/tokens/ID {"tiers": ["public", "..."]} or syncd token tiers)

The API is described at http://{addr}/openapi.json; Prometheus metrics are at
{metrics}. Ctrl-C stops everything.
`

const demoOrder = `
Order {name} as the storefront, at its price now ({price}; a price that has
moved since is refused with 409 price_changed and the current price):
  curl -s -X POST -H "Authorization: Bearer $SHOP" http://{addr}/v1/orders -d '{"reference": "demo-1",
    "item": "{item}", "expected_price": {price}, "fields": {fields}}'
  curl -s -H "Authorization: Bearer $SHOP" "http://{addr}/v1/orders?reference=demo-1"
    (processing, then success within seconds: the simulated Senpay posts its
    transaction_status webhook; Isipay's orders are polled)
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/orders/ORDER_ID/routing
`

// moveMarket nudges a few simulator prices every 20 seconds, so the demo
// has changes to show: Isipay's for its syncs to find, Senpay's pushed to
// webhookURL as Senpay's price_update webhook, applied as they arrive.
func moveMarket(ctx context.Context, log *slog.Logger, sp *senpaysim.Sim, ip *isipaysim.Sim, spCat *senpaysim.Catalog, ipCat *isipaysim.Catalog, webhookURL string) {
	spCodes, ipCodes := spCat.ProductCodes(), ipCat.VariantCodes()
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var changes []senpaysim.PriceChange
		seen := map[string]bool{}
		for range 3 {
			if len(spCodes) > 0 {
				code := spCodes[mrand.N(len(spCodes))]
				if p, ok := sp.Price(code); ok && !seen[code] {
					seen[code] = true
					changes = append(changes, senpaysim.PriceChange{Code: code, Price: drift(p)})
				}
			}
			if len(ipCodes) > 0 {
				code := ipCodes[mrand.N(len(ipCodes))]
				if p, ok := ip.Price(code); ok {
					ip.SetPrice(code, drift(p))
				}
			}
		}
		if len(changes) == 0 {
			continue
		}
		// The simulator changes its prices even if the post fails, as
		// Senpay would: the next sync then catches up.
		if err := sp.SendPriceUpdate(ctx, webhookURL, changes); err != nil && ctx.Err() == nil {
			log.Warn("demo: senpay price webhook failed", "err", err)
		}
	}
}

// loopbackAddr is where this machine reaches a listener bound to addr:
// an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") is reached
// on 127.0.0.1, which the demo allows to send webhooks.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if a, err := netip.ParseAddr(host); host == "" || err == nil && a.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// drift moves a price by up to ±3%.
func drift(p int64) int64 {
	d := p * int64(mrand.N(7)-3) / 100
	if p+d <= 0 {
		return p
	}
	return p + d
}

// serveLoopback serves h on a new loopback port; it returns the base URL
// and what stops it.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := listenLoopback()
	if err != nil {
		return "", nil, err
	}
	return "http://" + ln.Addr().String(), serveSim(ln, h), nil
}

func listenLoopback() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	return ln, nil
}

// serveSim serves a simulator on ln and returns what stops it.
func serveSim(ln net.Listener, h http.Handler) func() {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "simulator:", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

func randomToken() string { return rand.Text() }
