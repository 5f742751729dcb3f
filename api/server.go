package api

import (
	"context"
	"crypto/rand"
	_ "embed"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/reports"
)

// Config is what the API needs from syncd's configuration.
type Config struct {
	// Suppliers are the enabled suppliers, in display order.
	Suppliers []string
	// StaleAfter is how old a supplier's last successful sync may be before
	// its data is reported stale.
	StaleAfter time.Duration
	// Metrics, when set, is served at GET /metrics to admins. Nil when
	// metrics are served on a listener of their own (or not at all).
	Metrics http.Handler
	// Observe, when set, learns every request served: the route pattern
	// ("/v1/games/{game}"; "" when no route matched), never the raw path.
	Observe func(route, method string, status int, d time.Duration)
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (SYNCD_TRUSTED_PROXIES), where a caller's address matters.
	TrustedProxies []netip.Prefix
	// Webhooks are the registered suppliers that post webhooks, by name,
	// served at POST /v1/webhooks/{supplier}; any other name is 404.
	Webhooks map[string]*Webhook
	// Inbox stores and applies the deliveries; nil answers every
	// supplier's webhooks with 404.
	Inbox *inbox.Inbox
	// Orders, when set, takes and tracks storefront orders; nil answers
	// the /v1/orders routes with 404 and lists suppliers without balances.
	Orders *orders.Service
	// Notifier, when set, lists the storefront notifications at
	// GET /v1/notifications; nil answers it with 404.
	Notifier *orders.Notifier
	// Reports, when set, serves the order report and the supplier
	// scorecards under /v1/reports; nil answers them with 404.
	Reports *reports.Store
	// Console, when set, is the merchandiser and operator web console,
	// served under /console/ with its own sign-in (cookies, not bearer
	// tokens); nil: /console/ is not served.
	Console http.Handler
	// Leadership, when set, says which instance answered and which leads
	// the instances on its database, in GET /v1/suppliers.
	Leadership func(ctx context.Context) (Leadership, error)
}

// Leadership is which instance answered a request and which runs the
// work done once for every instance (syncs, polls, balance checks).
type Leadership struct {
	Instance string `json:"instance"`
	Leader   string `json:"leader"` // "" while no instance leads
	Epoch    int64  `json:"epoch"`  // raised at each takeover; 0 on SQLite's one instance
}

// SyncTrigger starts a sync of one supplier in the background. It is the
// scheduler's, so a triggered sync obeys the same one-at-a-time rule.
type SyncTrigger func(supplier string) error

// ReadyCheck reports whether syncd can serve: nil when it can.
type ReadyCheck func(ctx context.Context) error

// Server is syncd's HTTP handler.
type Server struct {
	cfg Config
	// routeContexts are chi's routing contexts, reused across requests as
	// chi's own Mux does: observe makes each request's context before chi
	// sees it.
	routeContexts sync.Pool
	log           *slog.Logger
	tokens        *auth.Store
	syncer        *offers.Syncer
	catalog       *catalog.Catalog
	trigger       SyncTrigger
	ready         ReadyCheck
	router        chi.Router
	hot           *hotRoutes
}

// New builds the router. tokens authenticates every /v1 request.
func New(cfg Config, log *slog.Logger, tokens *auth.Store, syncer *offers.Syncer, cat *catalog.Catalog, trigger SyncTrigger, ready ReadyCheck) *Server {
	s := &Server{cfg: cfg, log: log, tokens: tokens, syncer: syncer, catalog: cat, trigger: trigger, ready: ready}
	s.router = s.routes()
	hot, err := hotRoutesOf(s.router, hotPatterns...)
	if err != nil {
		panic("api: " + err.Error()) // the route table's mistake, found by any test
	}
	s.hot = hot
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.observe(w, r) }

// routes is every route syncd serves, in one table.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.recoverPanics)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return fault.New(fault.NotFound, "no such endpoint")
	}))
	r.MethodNotAllowed(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return fault.New(fault.MethodNotAllowed, r.Method+" is not allowed here")
	}))

	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	r.Get("/openapi.json", s.handle(s.openapi))
	r.With(s.require(auth.RoleAdmin)).Get("/metrics", s.handle(s.metrics))
	if s.cfg.Console != nil {
		r.Mount("/console", s.cfg.Console)
	}

	// The API's routes are in the top router, not a router mounted at
	// /v1: every request would otherwise be routed twice and its pattern
	// joined from two (the read path's cost, issue 17).
	//
	// Suppliers send no bearer token: the handler checks the source
	// address and the optional signature itself.
	r.Post("/v1/webhooks/{supplier}", s.webhook)
	r.Group(func(r chi.Router) {
		r.Use(s.require(auth.RoleStorefront))
		r.Get("/v1/games", s.handle(s.listGames))
		r.Get("/v1/games/{game}", s.handle(s.getGame))
		r.Get("/v1/items/{item}", s.handle(s.getItem))
		r.Get("/v1/catalog", s.handle(s.getCatalog))
		r.Get("/v1/catalog/changes", s.handle(s.catalogChanges))
		r.With(s.orderAccess).Post("/v1/orders", s.handle(s.createOrder))
		r.With(s.orderAccess).Get("/v1/orders", s.handle(s.listOrders)) // without ?reference=, admins only
		r.With(s.orderAccess).Get("/v1/orders/{id}", s.handle(s.getOrder))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.require(auth.RoleMerchandiser))
		r.Get("/v1/items/{item}/offers", s.handle(s.itemOffers))
		r.Patch("/v1/items/{item}", s.handle(s.patchItem))
		r.Get("/v1/games/{game}/form", s.handle(s.getGameForm))
		r.Patch("/v1/games/{game}/form", s.handle(s.patchGameForm))
		r.Get("/v1/matching/review", s.handle(s.reviewQueue))
		r.Post("/v1/offers/{offer}/link", s.handle(s.linkOffer))
		r.Post("/v1/offers/{offer}/split", s.handle(s.splitOffer))
		r.Get("/v1/supplier-games/audit", s.handle(s.gameDecisions))
		r.Post("/v1/supplier-games/{supplier}/{code}/link", s.handle(s.linkGame))
		r.Post("/v1/supplier-games/{supplier}/{code}/split", s.handle(s.splitGame))
		r.Get("/v1/cost-holds", s.handle(s.listCostHolds))
		r.Get("/v1/cost-holds/audit", s.handle(s.costHoldAudit))
		r.Post("/v1/cost-holds/{offer}/accept", s.handle(s.acceptCost))
		r.Get("/v1/items/{item}/pricing", s.handle(s.explainPrice))
		r.Get("/v1/rules", s.handle(s.listRules))
		r.Post("/v1/rules", s.handle(s.createRule))
		r.Get("/v1/rules/audit", s.handle(s.ruleAudit))
		r.Post("/v1/rules/preview", s.handle(s.previewRules))
		r.Get("/v1/rules/{id}", s.handle(s.getRule))
		r.Put("/v1/rules/{id}", s.handle(s.updateRule))
		r.Delete("/v1/rules/{id}", s.handle(s.deleteRule))
		r.Get("/v1/rules/{id}/audit", s.handle(s.ruleAudit))
		r.Get("/v1/tiers", s.handle(s.listTiers))
		r.Post("/v1/tiers", s.handle(s.createTier))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.require(auth.RoleAdmin))
		r.Get("/v1/suppliers", s.handle(s.listSuppliers))
		r.Post("/v1/suppliers/{supplier}/sync", s.handle(s.syncSupplier))
		r.Get("/v1/tokens", s.handle(s.listTokens))
		r.Post("/v1/tokens", s.handle(s.createToken))
		r.Patch("/v1/tokens/{id}", s.handle(s.patchToken))
		r.Delete("/v1/tokens/{id}", s.handle(s.revokeToken))
		r.Get("/v1/orders/{id}/routing", s.handle(s.orderRouting))
		r.Post("/v1/orders/{id}/settle", s.handle(s.settleOrder))
		r.Get("/v1/notifications", s.handle(s.listNotifications))
		r.Get("/v1/reports/orders", s.handle(s.orderReport))
		r.Get("/v1/reports/orders.csv", s.handle(s.orderReportCSV))
		r.Get("/v1/reports/suppliers", s.handle(s.supplierScorecards))
		r.Get("/v1/reports/suppliers.csv", s.handle(s.supplierScorecardsCSV))
	})
	return r
}

// handle adapts a handler that returns an error: the one place errors become
// responses.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	}
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()), "panic", v)
				writeError(w, r, s.log, fault.New(fault.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// observe gives every request its id (in its context for the logs, in
// the X-Request-Id response header for the client to quote), routes it,
// logs it, and tells Observe about it. Its context is made once, for
// everything syncd keeps there (requestContext), and the router finds its
// routing context in it: this runs on every storefront read, and the read
// path's cost against a bare server is what issue 17 measures.
//
// A caller's own X-Request-Id (a proxy's, a storefront's) is kept when it
// is a plausible id; anything else is replaced, so a client cannot put
// arbitrary text in syncd's logs.
//
// The work before and after the handler is in functions of its own, so
// the frames on the connection's stack while the handler writes stay
// small: net/http's goroutine for a connection fits a read in 8 KB of
// stack, and a deeper one grows to 16 KB, is shrunk back by the next
// collection while idle and copied again by the next request.
func (s *Server) observe(w http.ResponseWriter, r *http.Request) {
	ctx := s.begin(w, r)
	defer s.routeContexts.Put(ctx.route)
	r = r.WithContext(ctx)
	start := time.Now()
	route := s.serve(&ctx.w, r, ctx.route)
	s.finish(ctx, r, route, time.Since(start))
}

// begin makes the request's context: its id, a routing context and the
// writer that records the response.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) *requestContext {
	id := header(r, middleware.RequestIDHeader)
	if id == "" || !plausibleID(id) {
		id = nextRequestID()
	}
	rctx, _ := s.routeContexts.Get().(*chi.Context)
	if rctx == nil {
		rctx = chi.NewRouteContext()
	}
	rctx.Reset()
	rctx.Routes = s.router
	ctx := &requestContext{Context: r.Context(), id: id, route: rctx, w: responseWriter{ResponseWriter: w}}
	ctx.idHeader[0] = id
	w.Header()[middleware.RequestIDHeader] = ctx.idHeader[:]
	return ctx
}

// serve runs the request's route, a hot one or chi's, and returns its
// pattern ("" when none matched).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rctx *chi.Context) string {
	hot, param := s.hot.match(r)
	if hot == nil {
		s.router.ServeHTTP(w, r)
		return rctx.RoutePattern()
	}
	// What chi's routing leaves for the handlers (chi.URLParam,
	// chi.RouteContext, Request.Pattern), but Request.PathValue: handlers
	// read parameters with pathParam (chi.URLParam, unescaped).
	rctx.RoutePatterns = append(rctx.RoutePatterns, hot.pattern)
	if hot.param != "" {
		rctx.URLParams.Add(hot.param, param)
	}
	r.Pattern = hot.pattern
	hot.handler.ServeHTTP(w, r)
	return hot.pattern
}

// finish tells Observe about the request and logs it.
func (s *Server) finish(ctx *requestContext, r *http.Request, route string, d time.Duration) {
	status := ctx.w.status
	if status == 0 { // nothing written: net/http sends 200
		status = http.StatusOK
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(route, r.Method, status, d)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	// Checked first: the arguments of a line never written would still be
	// allocated, on every request.
	if s.log.Enabled(ctx, level) {
		s.log.Log(ctx, level, "http request", "method", r.Method, "route", route, "path", r.URL.Path,
			"status", status, "bytes", ctx.w.bytes, "duration", d, "request_id", ctx.id)
	}
}

// requestIDs are host/random-000001, as chi's middleware.RequestID makes
// them: the prefix tells processes apart, the counter requests.
var (
	requestIDPrefix = newRequestIDPrefix()
	requestIDs      atomic.Uint64
)

func newRequestIDPrefix() string {
	host, err := os.Hostname()
	if host == "" || err != nil {
		host = "localhost"
	}
	return host + "/" + rand.Text()[:10] + "-"
}

// nextRequestID numbers a request without fmt: one allocation, the id.
func nextRequestID() string {
	var buf [128]byte
	b := append(buf[:0], requestIDPrefix...)
	n := requestIDs.Add(1)
	for d := uint64(100000); d > 1 && n < d; d /= 10 {
		b = append(b, '0')
	}
	return string(strconv.AppendUint(b, n, 10))
}

// plausibleID accepts up to 128 characters of letters, digits and
// -_.:/+= (UUIDs, ULIDs, chi's host/random-000001, base64).
func plausibleID(id string) bool {
	if len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_.:/+=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			return &fault.Error{Code: fault.NotReady, Message: err.Error()}
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// metrics serves the Prometheus scrape to admins, unless metrics have a
// listener of their own (SYNCD_METRICS_ADDR), which then serves them.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Metrics == nil {
		return fault.New(fault.NotFound, "metrics are not served on this address")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

// supplierEntry is a supplier's sync status and, when syncd takes
// orders, its balance as estimated and last checked, and its low-balance
// warning.
type supplierEntry struct {
	offers.SupplierStatus
	Balance          *int64     `json:"balance"`
	BalanceError     string     `json:"balance_error"`
	BalanceCheckedAt *time.Time `json:"balance_checked_at"`
	// Breaker is the supplier's order circuit; nil when syncd takes no
	// orders.
	Breaker *orders.Breaker `json:"breaker"`
	balanceWarning
}

// balanceWarning is a supplier's balance against its low-balance
// threshold.
type balanceWarning struct {
	BalanceRead     *int64     `json:"balance_read"`
	BalanceStatus   string     `json:"balance_status"` // unknown | ok | low
	LowThreshold    *int64     `json:"low_balance_threshold"`
	LowRule         string     `json:"low_balance_rule"`
	LowBalanceSince *time.Time `json:"low_balance_since"`
}

func warningOf(b orders.Balance) balanceWarning {
	w := balanceWarning{BalanceRead: b.Read, BalanceStatus: "unknown", LowThreshold: b.Threshold, LowRule: b.Rule}
	switch {
	case b.Balance == nil:
	case b.Low != nil:
		w.BalanceStatus, w.LowBalanceSince = "low", &b.Low.Since
	default:
		w.BalanceStatus = "ok"
	}
	return w
}

func (s *Server) listSuppliers(w http.ResponseWriter, r *http.Request) error {
	balances := map[string]orders.Balance{}
	breakers := map[string]orders.Breaker{}
	if s.cfg.Orders != nil {
		list, err := s.cfg.Orders.Balances(r.Context())
		if err != nil {
			return err
		}
		for _, b := range list {
			balances[b.Supplier] = b
		}
		for _, b := range s.cfg.Orders.Breakers() {
			breakers[b.Supplier] = b
		}
	}
	out := make([]supplierEntry, 0, len(s.cfg.Suppliers))
	for _, name := range s.cfg.Suppliers {
		st, err := s.syncer.Status(r.Context(), name, s.cfg.StaleAfter)
		if err != nil {
			return err
		}
		e := supplierEntry{SupplierStatus: st, balanceWarning: balanceWarning{BalanceStatus: "unknown"}}
		if b, ok := breakers[name]; ok {
			e.Breaker = &b
		}
		if b, ok := balances[name]; ok {
			e.Balance, e.BalanceError = b.Balance, b.Error
			if !b.CheckedAt.IsZero() {
				e.BalanceCheckedAt = &b.CheckedAt
			}
			e.balanceWarning = warningOf(b)
		}
		out = append(out, e)
	}
	body := map[string]any{"suppliers": out}
	if s.cfg.Leadership != nil {
		l, err := s.cfg.Leadership(r.Context())
		if err != nil {
			return err
		}
		body["leadership"] = l
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) syncSupplier(w http.ResponseWriter, r *http.Request) error {
	name := pathParam(r, "supplier")
	if !slices.Contains(s.cfg.Suppliers, name) {
		return fault.New(fault.SupplierNotFound, "no enabled supplier "+name)
	}
	st, err := s.syncer.Status(r.Context(), name, s.cfg.StaleAfter)
	if err != nil {
		return err
	}
	if st.Running {
		return fault.New(fault.SyncRunning, "a sync of "+name+" is already running")
	}
	if err := s.trigger(name); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"supplier": name, "status": "started"})
	return nil
}

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapiDoc)
	return err
}
