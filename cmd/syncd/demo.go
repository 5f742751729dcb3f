package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
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
	"github.com/syncd/syncd/suppliers"
)

// runDemo starts the simulator of every registered supplier that has one
// on loopback, with its demo catalog, points syncd at them and serves.
// Nothing to set up: the credentials are made up by the simulators' hooks
// and the database lives in a temporary directory unless SYNCD_DB says
// otherwise. Orders complete at the simulators a few seconds after they
// are placed, told by a supplier's webhook or found by syncd's polls.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	type demoSim struct {
		d   suppliers.Descriptor
		run *suppliers.SimRun
		ln  net.Listener
		url string
	}
	var sims []*demoSim
	defer func() {
		for _, s := range sims {
			s.ln.Close()
		}
	}()
	adminToken := getenv("SYNCD_ADMIN_TOKEN")
	if adminToken == "" {
		adminToken = "demo-admin-" + randomToken()[:12]
	}
	// The simulators' addresses and credentials win over the environment.
	overrides := map[string]string{"SYNCD_ADMIN_TOKEN": adminToken}
	for _, d := range registered {
		if d.Sim == nil || d.Sim.Demo == nil {
			continue
		}
		ln, err := listenLoopback()
		if err != nil {
			return err
		}
		s := &demoSim{d: d, run: d.Sim.Demo(), ln: ln, url: "http://" + ln.Addr().String()}
		sims = append(sims, s)
		maps.Copy(overrides, s.run.Values(s.url))
	}

	dir, err := os.MkdirTemp("", "syncd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
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
	for _, s := range sims {
		if s.run.Adjust != nil {
			s.run.Adjust(cfg.Supplier[s.d.Name])
		}
	}

	// The API's address first (SYNCD_ADDR may ask for port 0): a simulated
	// supplier that posts webhooks needs it.
	apiLn, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	base := "http://" + loopbackAddr(apiLn.Addr().String())
	var lines, guides strings.Builder
	for _, s := range sims {
		h, err := s.run.Start(base + "/v1/webhooks/" + s.d.Name)
		if err != nil {
			apiLn.Close()
			return fmt.Errorf("%s simulator: %w", s.d.Name, err)
		}
		if s.run.Close != nil {
			defer s.run.Close()
		}
		defer serveSim(s.ln, h)()
		fmt.Fprintf(&lines, "  %-19s%s\n", "simulated "+s.d.Title+":", s.url)
		guides.WriteString(s.run.Guide)
	}

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
	if err := openShop(ctx, a.catalog); err != nil {
		a.abandon()
		a.db.Close()
		return err
	}
	shopToken, _, err := a.tokens.Create(ctx, "demo-shop", auth.RoleStorefront, auth.Rotate(),
		auth.WithTiers([]string{auth.PublicTier, memberTier}))
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
	first := ""
	if names := cfg.Suppliers(); len(names) > 0 {
		first = names[0]
	}
	return a.serve(ctx, func(at listening) {
		var runs []*suppliers.SimRun
		for _, s := range sims {
			runs = append(runs, s.run)
		}
		go moveMarket(ctx, log, runs)
		fmt.Fprintf(stdout, "syncd: listening on http://%s\n", at.API)
		metricsURL := "http://" + at.API + "/metrics (admin token)"
		if at.Metrics != "" {
			metricsURL = "http://" + at.Metrics + "/metrics"
		}
		guide := strings.NewReplacer("{sims}", lines.String(), "{suppliers}", guides.String(), "{first}", first)
		fill := strings.NewReplacer("{addr}", at.API, "{metrics}", metricsURL,
			"{db}", syncd.RedactDSN(cfg.DB), "{interval}", cfg.SyncInterval.String(), "{token}", adminToken, "{shop}", shopToken,
			"{merch}", merchToken, "{kept}", dbFate(cfg.DB, defaults["SYNCD_DB"]), "{traffic}", trafficLine(cfg.DemoTraffic))
		// The order example quotes a current price: printed once the
		// start-up syncs have priced the catalog.
		go func() {
			order, ok := a.orderExample(ctx)
			if !ok {
				return
			}
			fmt.Fprint(stdout, fill.Replace(guide.Replace(demoGuide)+order))
			if cfg.DemoTraffic > 0 {
				shop := &storefront{base: "http://" + loopbackAddr(at.API), token: shopToken, cat: a.catalog,
					upset: map[string]func(suppliers.Trouble){}, log: log, client: &http.Client{Timeout: 10 * time.Second},
					run: time.Now().UTC().Format("20060102T150405")}
				for _, s := range sims {
					if s.run.Upset != nil {
						shop.names = append(shop.names, s.d.Name)
						shop.upset[s.d.Name] = s.run.Upset
					}
				}
				shop.loop(ctx, cfg.DemoTraffic)
			}
		}()
	})
}

// trafficLine is what the guide says of the simulated storefront.
func trafficLine(every time.Duration) string {
	if every == 0 {
		return "No simulated storefront orders (-traffic=false).\n\n"
	}
	return fmt.Sprintf("A simulated storefront (SHOP) orders every %s: now and then a supplier refuses\n"+
		"(the order falls back) or loses its reply (the order is reconciled); -traffic=false\nstops it.\n\n", every)
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
{sims}  database:          {db} ({kept})
  sync interval:     {interval}; prices at the simulators drift every 20s

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
  curl -s -X POST -H "Authorization: Bearer $TOKEN" http://{addr}/v1/suppliers/{first}/sync
{suppliers}  go run ./cmd/syncd token create -db {db} -role storefront -name my-shop -tiers public
    (SHOP may use the public tier only: after POST /v1/tiers makes another, grant
    it with PATCH /v1/tokens/ID {"tiers": ["public", "..."]} or syncd token tiers)

{traffic}The API is described at http://{addr}/openapi.json; Prometheus metrics are at
{metrics}. Ctrl-C stops everything.
`

const demoOrder = `
Order {name} as the storefront, at its price now ({price}; a price that has
moved since is refused with 409 price_changed and the current price):
  curl -s -X POST -H "Authorization: Bearer $SHOP" http://{addr}/v1/orders -d '{"reference": "demo-1",
    "item": "{item}", "expected_price": {price}, "fields": {fields}}'
  curl -s -H "Authorization: Bearer $SHOP" "http://{addr}/v1/orders?reference=demo-1"
    (processing, then success within seconds: each simulated supplier
    completes an order a few seconds after it is placed)
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/orders/ORDER_ID/routing
`

// moveMarket lets every simulator nudge a few of its prices every 20
// seconds, so the demo has changes to show.
func moveMarket(ctx context.Context, log *slog.Logger, runs []*suppliers.SimRun) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range runs {
			if r.Drift != nil {
				r.Drift(ctx, log)
			}
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
