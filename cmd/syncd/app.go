package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/console"
	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/internal/gcfloor"
	"github.com/syncd/syncd/leader"
	"github.com/syncd/syncd/metrics"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/reports"
	"github.com/syncd/syncd/suppliers"
)

func newLogger(c Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// costGuard is the configured price-move guard of supplier costs.
func costGuard(c Config) offers.CostGuard {
	return offers.CostGuard{MaxFall: c.MaxCostFall, MaxRise: c.MaxCostRise}
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

// webhooks are the webhook capabilities of the registered suppliers that
// post webhooks, enabled or not: a stored delivery is replayed whatever
// the configuration says now.
func (c Config) webhooks() map[string]*suppliers.Webhook {
	out := map[string]*suppliers.Webhook{}
	for _, d := range c.Registered {
		if d.Webhook != nil {
			out[d.Name] = d.Webhook
		}
	}
	return out
}

// apiWebhooks configures /v1/webhooks/{supplier} for every registered
// supplier that posts webhooks; a disabled one answers 404 in its shape.
func (c Config) apiWebhooks() (map[string]*api.Webhook, error) {
	out := map[string]*api.Webhook{}
	for _, d := range c.Registered {
		if d.Webhook == nil {
			continue
		}
		hook := &api.Webhook{Title: d.Title, Enabled: d.Enabled(c.Supplier[d.Name]), Reply: d.Webhook.Reply}
		if hook.Enabled {
			acc, err := d.Webhook.Access(c.Supplier[d.Name])
			if err != nil {
				return nil, fmt.Errorf("webhooks of %s: %w", d.Name, err)
			}
			hook.Allow, hook.Verify = acc.Allow, acc.Verify
		}
		out[d.Name] = hook
	}
	return out, nil
}

// app is a running syncd: database, tokens, syncer, catalog, orders and
// their notifications, webhook inbox, scheduler and HTTP server.
type app struct {
	cfg      Config
	log      *slog.Logger
	db       *syncd.DB
	tokens   *auth.Store
	syncer   *offers.Syncer
	catalog  *catalog.Catalog
	orders   *orders.Service
	notifier *orders.Notifier
	inbox    *inbox.Inbox
	sched    *scheduler
	metrics  *metrics.Metrics
	// alerts tell the operator of balances running low; balanceJobs
	// read a balance at once after a refusal for want of deposit.
	alerts      *orders.Alerts
	balanceJobs balanceJobs
	// reports serves the order report and scorecards, and folds ended
	// orders into their roll-up on the scheduler.
	reports *reports.Store
	// instance names this process; elector, on PostgreSQL, decides
	// whether it leads the instances sharing the database (nil on SQLite:
	// the one instance leads).
	instance string
	elector  *leader.Elector
	// followedAtStart: another instance led when this one started.
	followedAtStart atomic.Bool

	// apiListener, when set, is where the API serves instead of a new
	// listener on cfg.Addr: the demo binds it first, to give the
	// simulated suppliers its webhook address.
	apiListener net.Listener
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
	m := metrics.New(c.Suppliers())
	instance := instanceID(c)
	var elector *leader.Elector
	var leads func() bool
	var fence func(context.Context, sqlx.QueryerContext) error
	var schedOpts []gocron.SchedulerOption
	if db.Dialect() == syncd.Postgres {
		elector = leader.New(c.DB, instance, log)
		leads, fence = elector.Leads, elector.Fence
		// Every scheduled job (syncs, order polls, balance checks, report
		// folding) runs on the leader alone, which gocron asks before each.
		schedOpts = append(schedOpts, gocron.WithDistributedElector(elector))
		m.WatchLeader(instance, elector.Leads)
	} else {
		m.WatchLeader(instance, func() bool { return true })
	}
	guard := costGuard(c)
	guard.OnEvent = func(supplier string, ev offers.HoldEvent) { m.CostHold(supplier, string(ev)) }
	syncOpts := []offers.SyncerOption{offers.WithMaxShrink(c.MaxShrink), offers.WithCostGuard(guard)}
	if fence != nil {
		syncOpts = append(syncOpts, offers.WithFence(fence))
	}
	syncer := offers.NewSyncer(db, log, syncOpts...)
	merged := catalog.NewCatalog(db, log, c.catalogConfig(catalog.Config{
		StaleAfter:   c.StaleAfter,
		Suppliers:    c.Preference,
		SwitchMargin: decimal.NewFromInt(c.SwitchMargin),
		Floor:        globalFloor(c),
		OnPublish:    func(cause string, took time.Duration) { m.Repriced(cause, took) },
		CostGuard:    &guard,
		// An offer skipped for want of deposit returns past the margin.
		BalanceMargin: c.BalanceMargin,
		Leads:         leads,
		Fence:         fence,
	}))
	// Items linked under an older matching policy are rekeyed, and those
	// that are now one merged, before anything is built from them.
	if _, err := merged.ApplyMatchingPolicy(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("apply the matching policy: %w", err)
	}
	m.RegisterDB("write", db.Write.DB)
	m.RegisterDB("read", db.Read.DB)
	m.WatchDatabase(db.Dialect() == syncd.SQLite, func() metrics.DatabaseStats {
		st := db.Stats()
		return metrics.DatabaseStats{DurableTxs: st.DurableTxs, DurableCommits: st.DurableCommits,
			Checkpoints: st.Checkpoints, CheckpointsFailed: st.CheckpointsFailed, WALBacklog: st.WALBacklog,
			CommitLatency: metrics.Histogram{Bounds: syncd.CommitBounds[:], Counts: st.CommitLatency.Counts, Sum: st.CommitLatency.Sum}}
	})
	m.WatchCatalog(catalogGauges(merged))
	adapters, err := openSuppliers(c, m)
	if err != nil {
		db.Close()
		return nil, err
	}
	srcs := make(map[string]offers.Source, len(adapters))
	for name, ad := range adapters {
		srcs[name] = ad.Source
	}
	sched, err := newScheduler(log, syncer, srcs, c.SyncInterval, schedOpts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Every sync, failed ones too, changes what may be sold: bring the
	// merged catalog up to date after each.
	sched.afterSync = func(ctx context.Context, res offers.SyncResult) {
		m.Sync(syncRun(res))
		if _, err := merged.AfterSync(catalog.Fenced(ctx), res); err != nil {
			m.RepriceFailed("sync")
			log.Error("catalog refresh failed", "err", err)
		}
	}
	notifier := orders.NewNotifier(db, log, orders.NotifyConfig{URL: c.NotifyURL, Secret: c.NotifySecret, OnAttempt: m.Notification})
	a := &app{cfg: c, log: log, db: db, tokens: tokens, syncer: syncer, catalog: merged, notifier: notifier, sched: sched, metrics: m,
		instance: instance, elector: elector,
		alerts: orders.NewAlerts(db, log, orders.NotifyConfig{URL: c.AlertURL, Secret: c.AlertSecret})}
	ocfg := orderConfig(c, adapters, m)
	ocfg.Balance = a.balanceConfig(a.alerts)
	if c.Instance != "" && db.Dialect() == syncd.Postgres {
		// A named instance owns its orders' leases under that name: a
		// restart under the same name resumes them at once, not after
		// they expire. (On SQLite the one instance is always "local".)
		ocfg.Instance = c.Instance
	}
	svc := orders.New(db, merged, log, notifier, ocfg)
	m.WatchOrders(orderGauges(svc, notifier, log))
	a.orders, a.inbox = svc, inbox.New(db, merged, log, c.webhooks(), inbox.WithOrders(svc.Apply),
		inbox.WithCostObserver(func(supplier string, up *offers.CostUpdate) {
			m.WebhookChanges(supplier, len(up.Applied), len(up.Unchanged), len(up.Stale), len(up.Unknown))
		}))
	if err := a.scheduleOrders(adapters); err != nil {
		sched.shutdown()
		db.Close()
		return nil, err
	}
	a.reports = reports.New(db)
	if err := a.scheduleReports(); err != nil {
		sched.shutdown()
		db.Close()
		return nil, err
	}
	return a, nil
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
	// Every instance serves the newest version any published: a
	// follower is ready once it caught up.
	if ok, err := a.catalog.Serves(ctx); err != nil {
		a.log.Warn("not ready: catalog versions unreadable", "err", err)
		return errors.New("catalog versions unreadable")
	} else if !ok {
		return errors.New("catalog behind the newest published version")
	}
	// The start-up syncs are the leader's: a follower runs none, and one
	// that takes the lead later was serving already (its first syncs must
	// not take it out of the load balancer).
	if !a.leads() || a.followedAtStart.Load() {
		return nil
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

// serve runs until ctx is cancelled, then shuts down in order: the HTTP
// servers stop taking requests and drain; the scheduler stops (a running
// sync is cancelled and rolls back) while the order service lets every
// step in flight finish its supplier call and store the answer; the
// notifier records the delivery it is sending; then the catalog and the
// database close. onListen, when set, learns the bound addresses (port 0
// picks one).
func (a *app) serve(ctx context.Context, onListen func(listening)) error {
	defer a.db.Close()
	defer startGCFloor(a.cfg.GCFloor, a.log)()
	apiCfg := api.Config{
		Suppliers:      a.cfg.Suppliers(),
		StaleAfter:     a.cfg.StaleAfter,
		Observe:        a.metrics.HTTP,
		TrustedProxies: a.cfg.TrustedProxies,
		Orders:         a.orders,
		Notifier:       a.notifier,
		Reports:        a.reports,
		Leadership:     a.leadership,
	}
	if a.cfg.MetricsAddr == "" {
		apiCfg.Metrics = a.metrics.Handler()
	}
	hooks, err := a.cfg.apiWebhooks()
	if err != nil {
		a.abandon()
		return err
	}
	apiCfg.Webhooks, apiCfg.Inbox = hooks, a.inbox
	con, cerr := console.New(console.Config{Suppliers: a.cfg.Suppliers(), StaleAfter: a.cfg.StaleAfter, Orders: a.orders, Reports: a.reports},
		a.log, a.tokens, a.syncer, a.catalog, a.trigger)
	if cerr != nil {
		a.abandon()
		return fmt.Errorf("console: %w", cerr)
	}
	apiCfg.Console = con
	handler := api.New(apiCfg, a.log, a.tokens, a.syncer, a.catalog, a.trigger, a.ready)

	// The deposits as last estimated, before the first build: the catalog
	// must not price from a supplier that cannot pay.
	if err := a.orders.SyncBalances(ctx); err != nil {
		a.log.Error("supplier balances not applied", "err", err)
	}
	// On PostgreSQL, learn at once whether this instance leads: the start-up
	// work below that must happen once is the leader's.
	if a.elector != nil {
		a.elector.Campaign(ctx)
	}
	startedLeading := a.leads()
	a.followedAtStart.Store(!startedLeading)
	// Serve what the database holds from the first request: a restart
	// must not empty the catalog until the next sync. First the newest
	// version published, adopted as it was (a restart or a deploy keeps
	// its ETags and the changes feed); then the leader rebuilds, which
	// publishes a version only if something changed meanwhile (time,
	// configuration). A follower serves what it adopted.
	if err := a.catalog.CatchUp(ctx); err != nil {
		a.abandon()
		return fmt.Errorf("catch up with the catalog: %w", err)
	}
	if startedLeading || a.catalog.Snapshot() == nil {
		if _, err := a.catalog.Refresh(ctx); err != nil {
			a.abandon()
			return fmt.Errorf("build catalog: %w", err)
		}
	}
	// Deliveries stored but never applied (a crash between the two) go
	// next, in the order received, before anything is served. After the
	// first build, not before: a transaction_status may send its order
	// to the next supplier, which routing does from the snapshot. The
	// leader's: a follower that takes the lead replays then.
	if startedLeading {
		if n, err := a.inbox.Replay(ctx); err != nil {
			a.abandon()
			return fmt.Errorf("replay webhooks: %w", err)
		} else if n > 0 {
			a.log.Info("webhooks replayed", "count", n)
		}
	}
	a.seedLastSuccess(ctx)
	// Orders the last run left before any supplier had them are routed
	// again; attempts in flight are Poll's, on their stored schedule.
	if n, err := a.orders.Resume(ctx); err != nil {
		a.abandon()
		return fmt.Errorf("resume orders: %w", err)
	} else if n > 0 {
		a.log.Info("orders resumed", "count", n)
	}
	// Not ctx: notifications of the changes made while shutting down
	// still go out, until stopNotifier.
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notified := make(chan struct{})
	outboxes := func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() { a.notifier.Run(ctx) })
		wg.Go(func() { a.alerts.Run(ctx) })
		wg.Wait()
	}
	// The elector, the catalog's follower and its listener stop after the
	// outboxes: a leader steps down last.
	clusterCtx, stopCluster := context.WithCancel(context.WithoutCancel(ctx))
	var cluster sync.WaitGroup
	if a.elector == nil {
		go func() {
			defer close(notified)
			outboxes(notifyCtx)
		}()
	} else {
		wake := make(chan struct{}, 1)
		cluster.Go(func() { a.elector.Run(clusterCtx, time.Second) })
		cluster.Go(func() { a.listenVersions(clusterCtx, wake) })
		cluster.Go(func() { a.catalog.Follow(clusterCtx, wake, time.Second) })
		first := true
		go func() {
			defer close(notified)
			// The outbox workers run on the leader alone, and whoever
			// takes the lead later first does what a new leader owes.
			a.elector.WhileLeading(notifyCtx, func(ctx context.Context) {
				if !first || !startedLeading {
					a.onLead(ctx)
				}
				first = false
				outboxes(ctx)
			})
		}()
	}
	stopBackground := func() {
		a.stopOrders()
		stopNotify()
		<-notified
		stopCluster()
		cluster.Wait()
		a.catalog.Close()
	}

	var servers []*http.Server
	errc := make(chan error, 2)
	serveOn := func(ln net.Listener, h http.Handler) string {
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
		return ln.Addr().String()
	}
	listen := func(addr string, h http.Handler) (string, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("listen %s: %w", addr, err)
		}
		return serveOn(ln, h), nil
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
	if a.apiListener != nil {
		at.API = serveOn(a.apiListener, handler)
	} else if at.API, err = listen(a.cfg.Addr, handler); err != nil {
		stopBackground()
		return err
	}
	if a.cfg.MetricsAddr != "" {
		// Its own listener, usually bound where only the scraper reaches
		// it: no token to provision in Prometheus.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.metrics.Handler())
		if at.Metrics, err = listen(a.cfg.MetricsAddr, mux); err != nil {
			shutdown()
			stopBackground()
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
		stopBackground()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	herr := shutdown()
	stopBackground()
	for range servers {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	a.log.Info("stopped")
	return herr
}

// stopOrders stops the scheduler and the order service together. gocron's
// shutdown waits for a running poll; closing the service at the same time
// makes that poll end after the checks in flight (each finishes its
// supplier call and stores the answer) instead of working through every
// due attempt first. Nothing new is routed after it returns.
func (a *app) stopOrders() {
	var wg sync.WaitGroup
	wg.Go(a.sched.shutdown)
	a.orders.Close()
	wg.Wait()
}

// abandon stops what a serve that fails before listening may have
// started, and closes a listener bound for it.
func (a *app) abandon() {
	if a.apiListener != nil {
		a.apiListener.Close()
	}
	a.stopOrders()
	a.catalog.Close()
}

// startGCFloor keeps the garbage collector from running below floor bytes
// of heap (internal/gcfloor), and says so when GOGC in the environment
// overrides it; it returns what stops it.
func startGCFloor(floor uint64, log *slog.Logger) (stop func()) {
	if floor > 0 && gcfloor.Overridden() {
		log.Info("GOGC is set: no garbage collection floor", "GOGC", os.Getenv("GOGC"))
	}
	return gcfloor.Start(floor)
}
