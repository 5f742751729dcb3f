package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/metrics"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

func newLogger(c Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// sources builds a catalog source for every enabled supplier. onRetry, when
// set, learns each retried supplier read.
func sources(c Config, m *metrics.Metrics) map[string]catalog.Source {
	retried := func(supplier string) func(op string, err error) {
		if m == nil {
			return nil
		}
		return func(string, error) { m.Retry(supplier) }
	}
	waited := func(supplier string) func(op string, d time.Duration) {
		if m == nil {
			return nil
		}
		return func(_ string, d time.Duration) { m.RateLimitWait(supplier, d) }
	}
	out := map[string]catalog.Source{}
	if c.SenpayEnabled() {
		out["senpay"] = senpay.New(senpay.Config{
			BaseURL: c.SenpayBaseURL, APIKey: c.SenpayAPIKey, SecretKey: c.SenpaySecretKey,
			RatePerSecond: c.SenpayRateLimit, OnRetry: retried("senpay"), OnWait: waited("senpay"),
		})
	}
	if c.IsipayEnabled() {
		out["isipay"] = isipay.New(isipay.Config{
			BaseURL: c.IsipayBaseURL, APIToken: c.IsipayAPIToken,
			RatePerSecond: c.IsipayRateLimit, OnRetry: retried("isipay"), OnWait: waited("isipay"),
		})
	}
	return out
}

// globalFloor is the configured guard every price obeys; none when both
// minimums are zero (pricing's no-loss floor always applies).
func globalFloor(c Config) []pricing.Guard {
	if c.MinMarginPercent.IsZero() && c.MinMarginAmount == 0 {
		return nil
	}
	g := pricing.Guard{Source: "global"}
	if !c.MinMarginPercent.IsZero() {
		p := c.MinMarginPercent
		g.MinMarginPercent = &p
	}
	if c.MinMarginAmount > 0 {
		a := decimal.NewFromInt(c.MinMarginAmount)
		g.MinMarginAmount = &a
	}
	return []pricing.Guard{g}
}

// app is a running syncd: database, tokens, syncer, webhook inbox,
// scheduler and HTTP server.
type app struct {
	cfg     Config
	log     *slog.Logger
	db      *syncd.DB
	tokens  *auth.Store
	syncer  *catalog.Syncer
	catalog *catalog.Catalog
	inbox   *inbox.Inbox
	sched   *scheduler
	metrics *metrics.Metrics
}

func newApp(ctx context.Context, c Config, log *slog.Logger) (*app, error) {
	db, err := syncd.Open(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewStore(ctx, db, log, auth.WithAdminToken(c.AdminToken))
	if err != nil {
		db.Close()
		return nil, err
	}
	syncer := catalog.NewSyncer(db, log, catalog.WithMaxShrink(c.MaxShrink))
	m := metrics.New(c.Suppliers())
	merged := catalog.NewCatalog(db, log, catalog.Config{
		StaleAfter:   c.StaleAfter,
		Suppliers:    c.Preference,
		SwitchMargin: decimal.NewFromInt(c.SwitchMargin),
		Floor:        globalFloor(c),
		OnPublish:    func(cause string, took time.Duration) { m.Repriced(cause, took) },
	})
	m.RegisterDB("write", db.Write.DB)
	m.RegisterDB("read", db.Read.DB)
	m.WatchCatalog(catalogGauges(merged))
	sched, err := newScheduler(log, syncer, sources(c, m), c.SyncInterval)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Every sync, failed ones too, changes what may be sold: bring the
	// merged catalog up to date after each.
	sched.afterSync = func(ctx context.Context, res catalog.SyncResult) {
		m.Sync(syncRun(res))
		if _, err := merged.AfterSync(ctx, res); err != nil {
			m.RepriceFailed("sync")
			log.Error("catalog refresh failed", "err", err)
		}
	}
	return &app{cfg: c, log: log, db: db, tokens: tokens, syncer: syncer, catalog: merged,
		inbox: inbox.New(db, merged, log), sched: sched, metrics: m}, nil
}

// ready is the readiness check: the database takes a write, the first
// catalog snapshot is built, and every supplier's start-up sync has
// finished (succeeded or failed: a supplier that is down must not keep
// syncd from serving what it already has).
func (a *app) ready(ctx context.Context) error {
	if err := a.writable(ctx); err != nil {
		// The driver's text is for the log, not for whoever probes.
		a.log.Warn("not ready: database not writable", "err", err)
		return errors.New("database not writable")
	}
	if a.catalog.Snapshot() == nil {
		return errors.New("catalog snapshot not built yet")
	}
	if pending := a.sched.pendingFirstRuns(); len(pending) > 0 {
		return fmt.Errorf("start-up sync not finished: %v", pending)
	}
	return nil
}

// writable commits a one-row write. Taking the write lock alone would pass
// on a full disk or a file system remounted read-only: the rolled-back
// transaction never reaches the file. In WAL mode with synchronous=NORMAL
// the commit costs a page in the WAL and no fsync.
func (a *app) writable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	const q = `INSERT INTO meta (key, value) VALUES ('ready_probe', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	_, err := a.db.Write.ExecContext(ctx, q, syncd.FormatTime(time.Now()))
	return err
}

// listening is where a started syncd can be reached.
type listening struct {
	API     string // host:port of the API
	Metrics string // host:port of the metrics listener; "" when metrics are on the API's
}

// serve runs until ctx is cancelled, then shuts down: the HTTP servers stop
// taking requests and drain, a running sync is cancelled and rolls back.
// onListen, when set, learns the bound addresses (port 0 picks one).
func (a *app) serve(ctx context.Context, onListen func(listening)) error {
	defer a.db.Close()
	apiCfg := api.Config{
		Suppliers:      a.cfg.Suppliers(),
		StaleAfter:     a.cfg.StaleAfter,
		Observe:        a.metrics.HTTP,
		TrustedProxies: a.cfg.TrustedProxies,
	}
	if a.cfg.MetricsAddr == "" {
		apiCfg.Metrics = a.metrics.Handler()
	}
	if a.cfg.SenpayEnabled() {
		apiCfg.SenpayWebhook = &api.SenpayWebhook{
			Inbox: a.inbox, Allow: a.cfg.SenpayWebhookAllow,
			Secret: a.cfg.SenpayWebhookSecret, SignatureHeader: a.cfg.SenpayWebhookSignatureHeader,
		}
	}
	handler := api.New(apiCfg, a.log, a.tokens, a.syncer, a.catalog, a.sched.trigger, a.ready)

	// Deliveries stored but never applied (a crash between the two) go
	// first, in the order received, so the first snapshot has them.
	if n, err := a.inbox.Replay(ctx); err != nil {
		return fmt.Errorf("replay webhooks: %w", err)
	} else if n > 0 {
		a.log.Info("webhooks replayed", "count", n)
	}
	// Serve what the database holds from the first request: a restart
	// must not empty the catalog until the next sync.
	if _, err := a.catalog.Refresh(ctx); err != nil {
		return fmt.Errorf("build catalog: %w", err)
	}
	a.seedLastSuccess(ctx)

	var servers []*http.Server
	errc := make(chan error, 2)
	listen := func(addr string, h http.Handler) (string, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("listen %s: %w", addr, err)
		}
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(ln) }()
		return ln.Addr().String(), nil
	}
	shutdown := func() error {
		shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		var errs []error
		for _, srv := range servers {
			errs = append(errs, srv.Shutdown(shutCtx))
		}
		return errors.Join(errs...)
	}

	var at listening
	var err error
	if at.API, err = listen(a.cfg.Addr, handler); err != nil {
		return err
	}
	if a.cfg.MetricsAddr != "" {
		// Its own listener, usually bound where only the scraper reaches
		// it: no token to provision in Prometheus.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.metrics.Handler())
		if at.Metrics, err = listen(a.cfg.MetricsAddr, mux); err != nil {
			shutdown()
			return err
		}
	}
	a.log.Info("syncd starting", "config", a.cfg, "addr", at.API, "metrics_addr", at.Metrics)
	if onListen != nil {
		onListen(at)
	}
	a.sched.start()

	select {
	case err := <-errc:
		shutdown()
		a.sched.shutdown()
		a.catalog.Close()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	herr := shutdown()
	a.sched.shutdown()
	a.catalog.Close()
	for range servers {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	a.log.Info("stopped")
	return herr
}
