// Package metrics owns syncd's Prometheus collectors and serves them in the
// text exposition format. It imports nothing of syncd's: cmd/syncd feeds it
// sync results, catalog rebuilds, supplier retries, HTTP requests, order
// routing events and notification attempts through the small methods
// below, so catalog, orders and api stay free of Prometheus.
//
// Every label has a bounded set of values: supplier names, tiers, causes,
// route patterns, methods, status codes, order statuses and outcomes; never
// an item id, a path, an order or a reference.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Item states in syncd_catalog_items.
const (
	Available   = "available"   // has a price in the tier
	Unavailable = "unavailable" // no eligible offer
	Blocked     = "blocked"     // an offer, but no price fits the guards
)

// Metrics is syncd's registry and its collectors. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	syncRuns     *prometheus.CounterVec
	syncDuration *prometheus.HistogramVec
	syncOffers   *prometheus.GaugeVec
	retries      *prometheus.CounterVec
	waits        *prometheus.CounterVec
	build        prometheus.Histogram
	reprices     *prometheus.CounterVec
	repriceFails *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	// httpSeries holds each (route, method, status)'s two series, found
	// by a lookup rather than by hashing their labels on every request.
	httpSeries     sync.Map // httpKey → *httpSeries
	costHolds      *prometheus.CounterVec
	webhookChanges *prometheus.CounterVec
	orderMetrics
	suppliers map[string]bool // the enabled ones, the supplier label's values

	mu          sync.Mutex
	lastSuccess map[string]time.Time
	catalog     func() (CatalogState, bool)
}

// New registers syncd's collectors, with the Go runtime's and the
// process's, on a registry of its own (never the global one, so tests can
// make as many as they like). suppliers are the enabled ones: their series
// start at zero rather than appearing with the first event, so rate() and
// alerts see every supplier from the first scrape.
func New(suppliers []string) *Metrics {
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		now:         time.Now,
		lastSuccess: map[string]time.Time{},
		syncRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_sync_runs_total",
			Help: "Catalog syncs attempted, by supplier and result (ok or error).",
		}, []string{"supplier", "result"}),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncd_sync_duration_seconds",
			Help:    "Time a catalog sync took, fetch and store, successful or not.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12), // 50 ms to ~100 s
		}, []string{"supplier"}),
		syncOffers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_sync_offers",
			Help: "Offers in the last successful sync, by supplier and change: seen in the catalog, added, changed or removed by it.",
		}, []string{"supplier", "change"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_supplier_request_retries_total",
			Help: "Supplier reads retried after a network error, a 429 or a 5xx.",
		}, []string{"supplier"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_supplier_rate_limit_wait_seconds_total",
			Help: "Time supplier requests spent held back by syncd's own rate limit.",
		}, []string{"supplier"}),
		build: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "syncd_catalog_build_seconds",
			Help:    "Time to link, choose, price and publish a catalog snapshot.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12), // 1 ms to ~24 s
		}),
		reprices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_reprices_total",
			Help: "Catalog repricings, by cause: sync, rule or window.",
		}, []string{"cause"}),
		repriceFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_reprice_failures_total",
			Help: "Catalog repricings that failed, by cause; the previous snapshot stays served.",
		}, []string{"cause"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncd_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.orderMetrics = newOrderMetrics(suppliers)
	m.costHolds = newCostHoldEvents(suppliers)
	m.webhookChanges = newWebhookChanges(suppliers)
	m.suppliers = map[string]bool{}
	for _, s := range suppliers {
		m.suppliers[s] = true
		m.syncRuns.WithLabelValues(s, "ok")
		m.syncRuns.WithLabelValues(s, "error")
		m.retries.WithLabelValues(s)
		m.waits.WithLabelValues(s)
	}
	for _, c := range []string{"sync", "rule", "window"} {
		m.reprices.WithLabelValues(c)
		m.repriceFails.WithLabelValues(c)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		m.syncRuns, m.syncDuration, m.syncOffers, m.retries, m.waits,
		m.build, m.reprices, m.repriceFails, m.httpRequests, m.httpDuration, m.costHolds, m.webhookChanges,
		stateCollector{m}, orderCollector{m},
	)
	m.reg.MustRegister(m.orderMetrics.collectors()...)
	return m
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg, // counts its own scrapes and errors
		EnableOpenMetrics: true,
	})
}

// RegisterDB adds the connection pool statistics of db (go_sql_*, labelled
// db_name=name): a writer pool that is always busy shows up here first.
func (m *Metrics) RegisterDB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// SyncRun is one finished sync of one supplier.
type SyncRun struct {
	Supplier string
	OK       bool
	Started  time.Time
	Duration time.Duration
	Seen     int
	Added    int
	Changed  int
	Removed  int
}

// Sync records a finished sync. The offer counts and the last success
// move only when it succeeded: a failed sync changes nothing stored.
func (m *Metrics) Sync(r SyncRun) {
	result := "error"
	if r.OK {
		result = "ok"
	}
	m.syncRuns.WithLabelValues(r.Supplier, result).Inc()
	m.syncDuration.WithLabelValues(r.Supplier).Observe(r.Duration.Seconds())
	if !r.OK {
		return
	}
	for change, n := range map[string]int{"seen": r.Seen, "added": r.Added, "changed": r.Changed, "removed": r.Removed} {
		m.syncOffers.WithLabelValues(r.Supplier, change).Set(float64(n))
	}
	m.LastSuccess(r.Supplier, r.Started)
}

// LastSuccess sets when a supplier's data was last fetched successfully:
// from the database at start-up, then by every successful Sync.
func (m *Metrics) LastSuccess(supplier string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at.After(m.lastSuccess[supplier]) {
		m.lastSuccess[supplier] = at
	}
}

// Retry counts one retried supplier read. Its signature fits the suppliers'
// OnRetry hooks once the supplier is bound.
func (m *Metrics) Retry(supplier string) {
	m.retries.WithLabelValues(supplier).Inc()
}

// RateLimitWait adds time a supplier request waited for the rate limit.
func (m *Metrics) RateLimitWait(supplier string, d time.Duration) {
	m.waits.WithLabelValues(supplier).Add(d.Seconds())
}

// Repriced records a catalog repricing that took d. cause is the catalog's:
// "sync", "window", "matching", "webhook", "cost_accept", "balance", or
// "rule:<id>", which counts as "rule" (a label per rule id would grow
// without bound).
func (m *Metrics) Repriced(cause string, d time.Duration) {
	m.reprices.WithLabelValues(causeLabel(cause)).Inc()
	m.build.Observe(d.Seconds())
}

// RepriceFailed records a repricing that failed.
func (m *Metrics) RepriceFailed(cause string) {
	m.repriceFails.WithLabelValues(causeLabel(cause)).Inc()
}

func causeLabel(cause string) string {
	cause, _, _ = strings.Cut(cause, ":")
	switch cause {
	case "sync", "rule", "window", "matching", "webhook", "cost_accept", "stale", "balance", "follow":
		return cause
	}
	return "other"
}

// HTTP records one served request. route is the router's pattern
// ("/v1/games/{game}"), never the raw path; "" (no route matched) is
// recorded as "unmatched". Its signature is api.Config.Observe's.
func (m *Metrics) HTTP(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	method = knownMethod(method)
	k := httpKey{route: route, method: method, status: status}
	v, ok := m.httpSeries.Load(k)
	if !ok {
		// Bounded like the labels: route patterns, known methods and the
		// status codes syncd writes.
		v, _ = m.httpSeries.LoadOrStore(k, &httpSeries{
			requests: m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: m.httpDuration.WithLabelValues(route, method),
		})
	}
	series := v.(*httpSeries)
	series.requests.Inc()
	series.duration.Observe(d.Seconds())
}

type httpKey struct {
	route, method string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// knownMethod keeps the method label bounded: a client can send any token
// as a method.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// DatabaseStats is what the database counts of its own work
// (syncd.DB.Stats), passed in by main so that metrics imports no store.
type DatabaseStats struct {
	DurableTxs, DurableCommits     int64
	Checkpoints, CheckpointsFailed int64
	WALBacklog                     int64
	// CommitLatency is how long the durable commits took, in buckets.
	CommitLatency Histogram
}

// Histogram is a histogram counted elsewhere: Counts[i] observations of at
// most Bounds[i] (and more than the bound before), Counts[len(Bounds)]
// above the last bound, and their Sum.
type Histogram struct {
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
}

// constHistogram is h as Prometheus exposes it: cumulative buckets in
// seconds, +Inf being the count.
func constHistogram(desc *prometheus.Desc, h Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var n uint64
	for i, b := range h.Bounds {
		if i < len(h.Counts) {
			n += h.Counts[i]
		}
		buckets[b.Seconds()] = n
	}
	for _, c := range h.Counts[min(len(h.Bounds), len(h.Counts)):] {
		n += c
	}
	return prometheus.MustNewConstHistogram(desc, n, h.Sum.Seconds(), buckets)
}

// WatchDatabase adds the database's own counts, read at each scrape:
// syncd_db_durable_transactions_total and syncd_db_durable_commits_total
// (their ratio is how many transactions shared a fsynced commit on
// SQLite), syncd_db_durable_commit_seconds (how long those commits took:
// mostly the disk's fsync, which every order waits for twice), and on SQLite syncd_db_checkpoints_total{result} and
// syncd_db_wal_backlog_frames.
func (m *Metrics) WatchDatabase(sqlite bool, read func() DatabaseStats) {
	m.reg.MustRegister(&databaseCollector{sqlite: sqlite, read: read})
}

var (
	descDurableTxs = prometheus.NewDesc("syncd_db_durable_transactions_total",
		"Durable transactions run (orders, stored webhooks): each is on disk before anyone is told of it.", nil, nil)
	descDurableCommits = prometheus.NewDesc("syncd_db_durable_commits_total",
		"Fsynced commits that made the durable transactions durable; on SQLite transactions arriving together share one.", nil, nil)
	descCommitSeconds = prometheus.NewDesc("syncd_db_durable_commit_seconds",
		"Time the durable commits took, mostly the disk's fsync; an order waits for two in turn.", nil, nil)
	descCheckpoints = prometheus.NewDesc("syncd_db_checkpoints_total",
		"Background checkpoints of SQLite's WAL into the database file, by result (ok, failed).", []string{"result"}, nil)
	descWALBacklog = prometheus.NewDesc("syncd_db_wal_backlog_frames",
		"WAL frames the last background checkpoint could not copy back because a reader still needed them; growing, the WAL grows.", nil, nil)
)

type databaseCollector struct {
	sqlite bool
	read   func() DatabaseStats
}

func (c *databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDurableTxs
	ch <- descDurableCommits
	ch <- descCommitSeconds
	if c.sqlite {
		ch <- descCheckpoints
		ch <- descWALBacklog
	}
}

func (c *databaseCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.read()
	ch <- prometheus.MustNewConstMetric(descDurableTxs, prometheus.CounterValue, float64(st.DurableTxs))
	ch <- prometheus.MustNewConstMetric(descDurableCommits, prometheus.CounterValue, float64(st.DurableCommits))
	ch <- constHistogram(descCommitSeconds, st.CommitLatency)
	if c.sqlite {
		ch <- prometheus.MustNewConstMetric(descCheckpoints, prometheus.CounterValue, float64(st.Checkpoints), "ok")
		ch <- prometheus.MustNewConstMetric(descCheckpoints, prometheus.CounterValue, float64(st.CheckpointsFailed), "failed")
		ch <- prometheus.MustNewConstMetric(descWALBacklog, prometheus.GaugeValue, float64(st.WALBacklog))
	}
}
