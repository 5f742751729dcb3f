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
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/offers"
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
	cfg     Config
	log     *slog.Logger
	tokens  *auth.Store
	syncer  *offers.Syncer
	catalog *catalog.Catalog
	trigger SyncTrigger
	tmpl    *template.Template // every page's templates (parsePages)
	pages   map[string]bool
	assets  map[string]asset
	router  chi.Router
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the console. trigger starts a supplier's sync (nil: the
// sync button answers that syncs cannot be started here).
func New(cfg Config, log *slog.Logger, tokens *auth.Store, syncer *offers.Syncer, cat *catalog.Catalog, trigger SyncTrigger) (*Console, error) {
	c := &Console{cfg: cfg, log: log, tokens: tokens, syncer: syncer, catalog: cat, trigger: trigger}
	var err error
	if c.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if c.tmpl, c.pages, err = parsePages(c.assets); err != nil {
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
	r.NotFound(c.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &pageError{code: fault.NotFound, message: "There is no console page at " + r.URL.Path + "."}
	}))
	r.MethodNotAllowed(c.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &pageError{code: fault.MethodNotAllowed, message: r.Method + " is not allowed here."}
	}))
	r.Get("/static/{name}", c.handle(c.static))
	r.Get("/signin", c.handle(c.signinPage))
	r.Post("/signin", c.handle(c.signin))

	r.Group(func(r chi.Router) {
		r.Use(c.require(auth.RoleMerchandiser))
		r.Get("/", c.handle(func(w http.ResponseWriter, r *http.Request) error {
			http.Redirect(w, r, Prefix+"/catalog", http.StatusSeeOther)
			return nil
		}))
		r.Post("/signout", c.handle(c.signout))
		r.Get("/catalog", c.handle(c.catalogPage))
		r.Get("/items/{item}", c.handle(c.itemPage))
		r.Post("/items/{item}/rename", c.handle(c.renameItem))
		r.Get("/rules", c.handle(c.rulesPage))
		r.Get("/rules/new", c.handle(c.newRulePage))
		r.Post("/rules/new", c.handle(c.createRule))
		r.Post("/rules/preview", c.handle(c.previewRule))
		r.Get("/rules/{id}", c.handle(c.editRulePage))
		r.Post("/rules/{id}", c.handle(c.updateRule))
		r.Post("/rules/{id}/toggle", c.handle(c.toggleRule))
		r.Post("/rules/{id}/delete", c.handle(c.deleteRule))
		r.Get("/matching", c.handle(c.matchingPage))
		r.Post("/offers/{offer}/link", c.handle(c.linkOffer))
		r.Post("/offers/{offer}/split", c.handle(c.splitOffer))
		r.Post("/supplier-games/{supplier}/{code}/link", c.handle(c.linkGame))
		r.Post("/supplier-games/{supplier}/{code}/split", c.handle(c.splitGame))
		r.Get("/cost-holds", c.handle(c.costHoldsPage))
		r.Post("/cost-holds/{offer}/accept", c.handle(c.acceptCost))
	})
	r.Group(func(r chi.Router) {
		r.Use(c.require(auth.RoleAdmin))
		r.Get("/suppliers", c.handle(c.suppliersPage))
		r.Post("/suppliers/{supplier}/sync", c.handle(c.syncSupplier))
		r.Get("/orders", c.handle(c.ordersPage))
		r.Get("/orders/{id}", c.handle(c.orderPage))
		r.Post("/orders/{id}/settle", c.handle(c.settleOrder))
		r.Get("/reports", c.handle(c.reportsPage))
		r.Get("/reports/orders.csv", c.handle(c.orderReportCSV))
		r.Get("/reports/suppliers.csv", c.handle(c.scorecardsCSV))
	})
	return r
}

// handle adapts a handler that renders its page or returns what stopped
// it: the one place errors become pages (fail).
func (c *Console) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			c.fail(w, r, err)
		}
	}
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

func (c *Console) static(w http.ResponseWriter, r *http.Request) error {
	a, ok := c.assets[chi.URLParam(r, "name")]
	if !ok {
		http.NotFound(w, r) // an asset, not a page
		return nil
	}
	w.Header().Set("Content-Type", a.ct)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	return nil
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
// sent: a template failure becomes a clean 500, not half a page. An error
// is a page that does not exist.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	return c.renderTemplate(w, r, status, page, "layout", v)
}

// renderPart writes one named template of page alone: what htmx swaps in.
func (c *Console) renderPart(w http.ResponseWriter, r *http.Request, status int, page, name string, v view) error {
	return c.renderTemplate(w, r, status, page, name, v)
}

func (c *Console) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, v view) error {
	if !c.pages[page] {
		return errors.New("no template " + page)
	}
	if name == "layout" {
		name = "layout:" + page
	}
	if s := sessionFrom(r); s != nil {
		p := s.principal
		v.User, v.Admin, v.CSRF = &p, p.Role >= auth.RoleAdmin, s.CSRF
		// Only a whole page shows the message and the low-balance banner,
		// so only a whole page takes the message and reads the balances:
		// a fragment rendered between an action and the page it redirects
		// to (the form's delayed preview, say) would clear a message
		// nobody saw.
		if name == "layout:"+page {
			if v.Flash == "" {
				v.Flash, v.FlashOK = c.takeFlash(r, s)
			}
			v.LowBalances = c.lowBalances(r)
		}
	}
	var buf bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		c.log.Error("render", "page", page, "request_id", middleware.GetReqID(r.Context()), "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// problem is the data of the error page.
type problem struct {
	Heading, Message string
	SignIn           bool
}

// pageError is what stops a request, shown on the error page in words of
// its own: the status is its code's (fault's table), the heading the
// code's title unless one is given.
type pageError struct {
	code    fault.Code
	heading string
	message string
	signIn  bool // offer a link to sign in again
}

func (e *pageError) Error() string { return e.message }

// notice is an action refused without an error page: the console goes
// back to a page (post, redirect, get) that says why.
type notice struct {
	to, message string
}

func (e *notice) Error() string { return e.message }

// unexpected is an error a handler did not expect of the domain: syncd's
// own failure, whatever code it carries.
type unexpected struct{ err error }

func (e *unexpected) Error() string { return e.err.Error() }
func (e *unexpected) Unwrap() error { return e.err }

// ours marks err as unexpected: fail shows it as a 500.
func ours(err error) error { return &unexpected{err} }

// fail shows what stopped a request: a notice on the page it goes back
// to; a pageError, or any other error with a fault code (in its own
// words, which domain errors write for people), on the error page with
// the code's status and title; anything else, and what a handler marked
// as unexpected, is logged and shown as a 500 that names the request,
// never in its own words.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		n *notice
		u *unexpected
	)
	p := &pageError{code: fault.CodeOf(err), message: err.Error()}
	switch {
	case errors.As(err, &u):
		c.internal(w, r, err)
		return
	case errors.As(err, &n):
		c.back(w, r, n.to, n.message, false)
		return
	case errors.As(err, &p):
	case p.code == "":
		c.internal(w, r, err)
		return
	}
	heading := p.heading
	if heading == "" {
		heading = fault.Title(p.code)
	}
	v := view{Title: heading, Data: problem{Heading: heading, Message: p.message, SignIn: p.signIn}}
	if err := c.render(w, r, fault.PageStatus(p.code), "error", v); err != nil {
		c.log.Error("render the error page", "request_id", middleware.GetReqID(r.Context()), "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
	}
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
	c.fail(w, r, &pageError{code: fault.Internal, message: msg + "."})
}

// snapshot returns the catalog being served; before the first one is
// built, an error that says so.
func (c *Console) snapshot() (*catalog.Snapshot, error) {
	if snap := c.catalog.Snapshot(); snap != nil {
		return snap, nil
	}
	return nil, &pageError{code: fault.CatalogNotReady,
		message: "The catalog has not been built yet: syncd builds it after its first supplier sync. Try again in a moment."}
}

// back redirects after a successful action (post, redirect, get), with a
// message for the next page.
func (c *Console) back(w http.ResponseWriter, r *http.Request, to, flash string, ok bool) {
	if s := sessionFrom(r); s != nil && flash != "" {
		// A message that cannot be kept is lost, not the action: it is done.
		if err := c.tokens.SetFlash(r.Context(), s.Session, flash, ok); err != nil {
			c.log.Error("console message", "request_id", middleware.GetReqID(r.Context()), "err", err)
		}
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
