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

// sources builds a catalog source for every enabled supplier.
func sources(c Config) map[string]catalog.Source {
	out := map[string]catalog.Source{}
	if c.SenpayEnabled() {
		out["senpay"] = senpay.New(senpay.Config{
			BaseURL: c.SenpayBaseURL, APIKey: c.SenpayAPIKey, SecretKey: c.SenpaySecretKey,
			RatePerSecond: c.SenpayRateLimit,
		})
	}
	if c.IsipayEnabled() {
		out["isipay"] = isipay.New(isipay.Config{
			BaseURL: c.IsipayBaseURL, APIToken: c.IsipayAPIToken,
			RatePerSecond: c.IsipayRateLimit,
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

// app is a running syncd: database, tokens, syncer, scheduler and HTTP
// server.
type app struct {
	cfg     Config
	log     *slog.Logger
	db      *syncd.DB
	tokens  *auth.Store
	syncer  *catalog.Syncer
	catalog *catalog.Catalog
	sched   *scheduler
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
	merged := catalog.NewCatalog(db, log, catalog.Config{
		StaleAfter:   c.StaleAfter,
		Suppliers:    c.Preference,
		SwitchMargin: decimal.NewFromInt(c.SwitchMargin),
		Floor:        globalFloor(c),
	})
	sched, err := newScheduler(log, syncer, sources(c), c.SyncInterval)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Every sync, failed ones too, changes what may be sold: rebuild the
	// merged catalog after each.
	sched.afterSync = func(ctx context.Context, res catalog.SyncResult) {
		if _, err := merged.AfterSync(ctx, res); err != nil {
			log.Error("catalog refresh failed", "err", err)
		}
	}
	return &app{cfg: c, log: log, db: db, tokens: tokens, syncer: syncer, catalog: merged, sched: sched}, nil
}

// ready is the readiness check: the database takes a write lock, and every
// supplier's start-up sync has finished (succeeded or failed: a supplier
// that is down must not keep syncd from serving what it already has).
func (a *app) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	tx, err := a.db.Write.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock
	if err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	tx.Rollback()
	if a.catalog.Snapshot() == nil {
		return errors.New("catalog snapshot not built yet")
	}
	if pending := a.sched.pendingFirstRuns(); len(pending) > 0 {
		return fmt.Errorf("start-up sync not finished: %v", pending)
	}
	return nil
}

// serve runs until ctx is cancelled, then shuts down: the HTTP server stops
// taking requests and drains, a running sync is cancelled and rolls back.
// onListen, when set, learns the bound address (port 0 picks one).
func (a *app) serve(ctx context.Context, onListen func(addr string)) error {
	defer a.db.Close()
	handler := api.New(api.Config{
		Suppliers:  a.cfg.Suppliers(),
		StaleAfter: a.cfg.StaleAfter,
	}, a.log, a.tokens, a.syncer, a.catalog, a.sched.trigger, a.ready)

	// Serve what the database holds from the first request: a restart
	// must not empty the catalog until the next sync.
	if _, err := a.catalog.Refresh(ctx); err != nil {
		return fmt.Errorf("build catalog: %w", err)
	}

	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.log.Info("syncd starting", "config", a.cfg, "addr", ln.Addr().String())
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	a.sched.start()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		a.sched.shutdown()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	herr := srv.Shutdown(shutCtx)
	a.sched.shutdown()
	a.catalog.Close()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return herr
}
