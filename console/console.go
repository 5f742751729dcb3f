package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/reports"
)

// Prefix is where the console is mounted; every link it renders starts
// with it.
const Prefix = "/console"

// Config is what the console needs from syncd's configuration.
type Config struct {
	// Suppliers are the enabled suppliers, in display order.
	Suppliers []string
	// StaleAfter is how old a supplier's last successful sync may be
	// before its data is reported stale.
	StaleAfter time.Duration
	// Orders, when set, lists and settles orders; nil: the orders page
	// says orders are not enabled.
	Orders *orders.Service
	// Reports, when set, serves the reports page and the suppliers'
	// scorecards; nil: the page says reports are not enabled.
	Reports *reports.Store
}

// SyncTrigger starts a sync of one supplier in the background: the
// scheduler's, as the API's sync endpoint uses it.
type SyncTrigger func(supplier string) error

// Console is the web console's handler.
type Console struct {
	cfg      Config
	log      *slog.Logger
	tokens   *auth.Store
	syncer   *catalog.Syncer
	catalog  *catalog.Catalog
	trigger  SyncTrigger
	sessions *sessions
	pages    map[string]*template.Template
	assets   map[string]asset
	router   chi.Router
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the console. trigger starts a supplier's sync (nil: the
// sync button answers that syncs cannot be started here).
func New(cfg Config, log *slog.Logger, tokens *auth.Store, syncer *catalog.Syncer, cat *catalog.Catalog, trigger SyncTrigger) (*Console, error) {
	c := &Console{cfg: cfg, log: log, tokens: tokens, syncer: syncer, catalog: cat, trigger: trigger,
		sessions: newSessions(time.Now)}
	var err error
	if c.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if c.pages, err = parsePages(c.assets); err != nil {
		return nil, err
	}
	c.router = c.routes()
	return c, nil
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.router.ServeHTTP(w, r) }

// routes is every page and action of the console, relative to Prefix.
func (c *Console) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(c.headers, c.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusNotFound, "Not found", "There is no console page at "+r.URL.Path+".")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusMethodNotAllowed, "Not allowed", r.Method+" is not allowed here.")
	})
	r.Get("/static/{name}", c.static)
	r.Get("/signin", c.signinPage)
	r.Post("/signin", c.signin)

	r.Group(func(r chi.Router) {
		r.Use(c.require(auth.RoleMerchandiser))
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, Prefix+"/catalog", http.StatusSeeOther)
		})
		r.Post("/signout", c.signout)
		r.Get("/catalog", c.catalogPage)
		r.Get("/items/{item}", c.itemPage)
		r.Post("/items/{item}/rename", c.renameItem)
		r.Get("/rules", c.rulesPage)
		r.Get("/rules/new", c.newRulePage)
		r.Post("/rules/new", c.createRule)
		r.Post("/rules/preview", c.previewRule)
		r.Get("/rules/{id}", c.editRulePage)
		r.Post("/rules/{id}", c.updateRule)
		r.Post("/rules/{id}/toggle", c.toggleRule)
		r.Post("/rules/{id}/delete", c.deleteRule)
		r.Get("/matching", c.matchingPage)
		r.Post("/offers/{offer}/link", c.linkOffer)
		r.Post("/offers/{offer}/split", c.splitOffer)
		r.Post("/supplier-games/{supplier}/{code}/link", c.linkGame)
		r.Post("/supplier-games/{supplier}/{code}/split", c.splitGame)
		r.Get("/cost-holds", c.costHoldsPage)
		r.Post("/cost-holds/{offer}/accept", c.acceptCost)
	})
	r.Group(func(r chi.Router) {
		r.Use(c.require(auth.RoleAdmin))
		r.Get("/suppliers", c.suppliersPage)
		r.Post("/suppliers/{supplier}/sync", c.syncSupplier)
		r.Get("/orders", c.ordersPage)
		r.Get("/orders/{id}", c.orderPage)
		r.Post("/orders/{id}/settle", c.settleOrder)
		r.Get("/reports", c.reportsPage)
		r.Get("/reports/orders.csv", c.orderReportCSV)
		r.Get("/reports/suppliers.csv", c.scorecardsCSV)
	})
	return r
}

// headers are every response's: pages hold prices and orders, so they are
// never cached; nothing may frame them; scripts and styles come only from
// the console itself (htmx is told not to inject its indicator style).
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, Prefix+"/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (c *Console) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.log.Error("console panic", "path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()), "panic", v)
				c.internal(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// asset is an embedded static file with its content hash, which its URL
// carries so it can be cached for good.
type asset struct {
	body []byte
	hash string
	ct   string
}

func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := "text/plain; charset=utf-8"
		switch path.Ext(p) {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		}
		out[path.Base(p)] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ct: ct}
		return nil
	})
	return out, err
}

func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	a, ok := c.assets[chi.URLParam(r, "name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ct)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// view is what every page template gets: the layout's needs and the
// page's own data.
type view struct {
	Title   string
	Nav     string // the nav entry to mark current
	User    *auth.Principal
	Admin   bool
	CSRF    string
	Flash   string
	FlashOK bool
	Data    any
	// LowBalances are the suppliers with a low-balance warning on: a
	// banner on every page.
	LowBalances []orders.Balance
}

// render writes page with status, rendered in full before anything is
// sent: a template failure becomes a clean 500, not half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	c.renderTemplate(w, r, status, page, "layout", v)
}

// renderPart writes one named template of page alone: what htmx swaps in.
func (c *Console) renderPart(w http.ResponseWriter, r *http.Request, status int, page, name string, v view) {
	c.renderTemplate(w, r, status, page, name, v)
}

func (c *Console) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, v view) {
	t, ok := c.pages[page]
	if !ok {
		c.internal(w, r, errors.New("no template "+page))
		return
	}
	if s := sessionFrom(r); s != nil {
		p := s.principal
		v.User, v.Admin, v.CSRF = &p, p.Role >= auth.RoleAdmin, s.csrf
		if v.Flash == "" {
			v.Flash, v.FlashOK = c.sessions.takeFlash(s)
		}
		v.LowBalances = c.lowBalances(r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		c.log.Error("render", "page", page, "request_id", middleware.GetReqID(r.Context()), "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problem is the data of the error page.
type problem struct {
	Heading, Message string
	SignIn           bool
}

// fail renders the error page: what went wrong, in words a person can act
// on.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	c.render(w, r, status, "error", view{Title: heading, Data: problem{Heading: heading, Message: msg}})
}

// internal logs err and renders a 500 that names the request, never the
// error's text.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	id := middleware.GetReqID(r.Context())
	c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "request_id", id, "err", err)
	msg := "Something went wrong on the server; nothing was shown of it here. It is in syncd's log"
	if id != "" {
		msg += " under request " + id
	}
	c.fail(w, r, http.StatusInternalServerError, "Server error", msg+".")
}

// snapshot returns the catalog being served, or renders a 503 and nil
// before the first one is built.
func (c *Console) snapshot(w http.ResponseWriter, r *http.Request) *catalog.Snapshot {
	if snap := c.catalog.Snapshot(); snap != nil {
		return snap
	}
	c.fail(w, r, http.StatusServiceUnavailable, "Catalog not ready",
		"The catalog has not been built yet: syncd builds it after its first supplier sync. Try again in a moment.")
	return nil
}

// back redirects after a successful action (post, redirect, get), with a
// message for the next page.
func (c *Console) back(w http.ResponseWriter, r *http.Request, to, flash string, ok bool) {
	if s := sessionFrom(r); s != nil && flash != "" {
		c.sessions.setFlash(s.session, flash, ok)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// actor is who a change is recorded as: the token's name.
func actor(r *http.Request) string {
	if s := sessionFrom(r); s != nil {
		return s.principal.Name
	}
	return ""
}

// htmx reports whether htmx sent the request (it wants a fragment).
func htmx(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
