package main

import (
	"context"
	"crypto/rand"
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
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// runDemo starts both supplier simulators on loopback with the demo
// catalogs, points syncd at them and serves. Nothing to set up: the
// credentials are made up here and the database lives in a temporary
// directory unless SYNCD_DB says otherwise.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	senpayCat, err := senpaysim.LoadCatalog(syncd.SenpayDemoCatalog)
	if err != nil {
		return fmt.Errorf("senpay demo catalog: %w", err)
	}
	isipayCat, err := isipaysim.LoadCatalog(syncd.IsipayDemoCatalog)
	if err != nil {
		return fmt.Errorf("isipay demo catalog: %w", err)
	}
	senpayKey, senpaySecret, isipayToken := randomToken(), randomToken(), randomToken()
	sp := senpaysim.New(senpayCat, senpaysim.Options{APIKey: senpayKey, SecretKey: senpaySecret, OrderDelay: 3 * time.Second})
	ip := isipaysim.New(isipayCat, isipaysim.Options{APIToken: isipayToken, OrderDelay: 3 * time.Second, Balance: 50_000_000})

	spURL, stopSP, err := serveLoopback(sp)
	if err != nil {
		return err
	}
	defer stopSP()
	ipURL, stopIP, err := serveLoopback(ip)
	if err != nil {
		return err
	}
	defer stopIP()

	dir, err := os.MkdirTemp("", "syncd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

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
	cfg.SenpayWebhookAllow = append(cfg.SenpayWebhookAllow, netip.MustParsePrefix("127.0.0.1/32"))
	log := newLogger(cfg, stderr)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.serve(ctx, func(at listening) {
		go moveMarket(ctx, log, sp, ip, senpayCat, isipayCat, "http://"+loopbackAddr(at.API)+"/v1/webhooks/senpay")
		metricsURL := "http://" + at.API + "/metrics (admin token)"
		if at.Metrics != "" {
			metricsURL = "http://" + at.Metrics + "/metrics"
		}
		fmt.Fprint(stdout, strings.NewReplacer("{addr}", at.API, "{metrics}", metricsURL, "{senpay}", spURL, "{isipay}", ipURL,
			"{db}", cfg.DB, "{interval}", cfg.SyncInterval.String(), "{token}", adminToken).Replace(demoGuide))
	})
}

const demoGuide = `syncd: listening on http://{addr}

  simulated Senpay:  {senpay}
  simulated Isipay:  {isipay}
  database:          {db} (removed on exit)
  sync interval:     {interval}; prices at the simulators drift every 20s:
                     Isipay's reach syncd at its next sync, Senpay's at once
                     through its price_update webhook (see the log)

Try (the admin token may do everything a storefront or merchandiser may):
  export TOKEN={token}
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
  go run ./cmd/syncd token create -db {db} -role storefront -name my-shop

The API is described at http://{addr}/openapi.json; Prometheus metrics are at
{metrics}. Ctrl-C stops everything.
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

func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "simulator:", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func randomToken() string { return rand.Text() }
