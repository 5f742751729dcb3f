package isipaysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Options configure a simulator.
type Options struct {
	// APIToken is the bearer token requests must carry; empty accepts any.
	APIToken string
	// OrderDelay is how long an order stays "Pending" before it settles.
	OrderDelay time.Duration
	// Balance is the starting deposit in rupiah. Zero is a real balance
	// (the document's own example shows 0): every order is then refused.
	Balance int64
	// AllowedIPs is Isipay's IP whitelist, as addresses or CIDR prefixes;
	// empty allows any. New panics on an entry it cannot parse.
	AllowedIPs []string
	// Now is the simulator's clock, so tests can step order progression
	// without sleeping; nil means time.Now.
	Now func() time.Time
}

// Sim is a simulated Isipay account. It is an http.Handler and safe for
// concurrent use; its steering methods may be called while it serves.
type Sim struct {
	token   string
	allowed []netip.Prefix
	now     func() time.Time

	mu         sync.Mutex
	cat        *Catalog
	products   map[string]int    // product code -> index in cat.Products
	variants   map[string][2]int // variant code -> product, variant index
	balance    decimal.Decimal
	orderDelay time.Duration
	latency    time.Duration
	faults     []*Fault
	orders     []*order
	byInvoice  map[string]*order
	byRef      map[string]*order
	targets    map[string]string // customer data -> final status
	requests   map[string]int    // path -> count
	invoiceSeq int64
}

// New returns a simulator selling a copy of cat (nil sells nothing).
func New(cat *Catalog, opts Options) *Sim {
	if cat == nil {
		cat = &Catalog{}
	}
	s := &Sim{
		token:      opts.APIToken,
		now:        opts.Now,
		cat:        cat.clone(),
		balance:    decimal.NewFromInt(opts.Balance),
		orderDelay: opts.OrderDelay,
		byInvoice:  make(map[string]*order),
		byRef:      make(map[string]*order),
		targets:    make(map[string]string),
		requests:   make(map[string]int),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, a := range opts.AllowedIPs {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				panic(fmt.Sprintf("isipaysim: allowed IP %q is neither an address nor a prefix", a))
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		s.allowed = append(s.allowed, p.Masked())
	}
	s.reindex()
	return s
}

// reindex rebuilds the code lookups after the catalog's shape changed.
func (s *Sim) reindex() {
	s.products = make(map[string]int, len(s.cat.Products))
	s.variants = make(map[string][2]int)
	for pi, p := range s.cat.Products {
		s.products[p.Code] = pi
		for vi, v := range p.Variants {
			s.variants[v.Code] = [2]int{pi, vi}
		}
	}
}

// maxRequest bounds a request body; Isipay's largest is an order of three
// short strings.
const maxRequest = 1 << 20

// Paths of Isipay's endpoints, all POST.
const (
	PathBalance     = "/api/v1/balance"
	PathProduct     = "/api/v1/product"
	PathVariant     = "/api/v1/variant"
	PathOrder       = "/api/v1/order"
	PathStatusOrder = "/api/v1/status-order/"
)

// ServeHTTP serves Isipay's API. Steered latency comes first, then a
// matching fault, then the whitelist, the token and the endpoint.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	latency := s.latency
	s.mu.Unlock()
	// The body is read first: only then does net/http watch the connection
	// and end the request's context when the client hangs up, which the
	// waits below rely on.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		fail(w, http.StatusBadRequest, "Request body too large or unreadable")
		return
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f, ok := s.takeFault(r.URL.Path); ok {
		s.serveFault(w, r, f, body)
		return
	}
	s.serve(w, r, body)
}

// serve answers a request that no fault intercepted.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	// Isipay's document says API access needs a whitelisted server IP; how a
	// refusal looks is not documented. Assumed: HTTP 403 with the envelope.
	if !s.allowedIP(r.RemoteAddr) {
		fail(w, http.StatusForbidden, "IP not whitelisted")
		return
	}
	// Assumed refusal of a bad token: HTTP 401 with
	// {"error":true,"code":401,"message":"Unauthorized"}.
	if s.token != "" {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || tok != s.token {
			fail(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
	}
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	switch p := r.URL.Path; {
	case p == PathBalance:
		s.serveBalance(w)
	case p == PathProduct:
		s.serveProducts(w)
	case p == PathVariant:
		s.serveVariants(w, body)
	case p == PathOrder:
		s.serveOrder(w, body)
	case strings.HasPrefix(p, PathStatusOrder) && len(p) > len(PathStatusOrder):
		s.serveStatus(w, strings.TrimPrefix(p, PathStatusOrder))
	default:
		fail(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Sim) allowedIP(remote string) bool {
	if len(s.allowed) == 0 {
		return true
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.allowed {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func (s *Sim) serveBalance(w http.ResponseWriter) {
	s.mu.Lock()
	s.settle()
	a, bal := s.cat.Account, s.balance
	s.mu.Unlock()
	ok(w, struct {
		Name       string      `json:"name"`
		Email      string      `json:"email"`
		Telp       string      `json:"telp"`
		Membership string      `json:"membership"`
		Balance    json.Number `json:"balance"`
	}{a.Name, a.Email, a.Telp, a.Membership, json.Number(bal.String())})
}

type wireProduct struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	IsActive json.RawMessage `json:"is_active,omitempty"`
}

func (s *Sim) serveProducts(w http.ResponseWriter) {
	s.mu.Lock()
	out := make([]wireProduct, len(s.cat.Products))
	for i, p := range s.cat.Products {
		out[i] = wireProduct{Code: p.Code, Name: p.Name, IsActive: p.IsActive}
	}
	s.mu.Unlock()
	ok(w, out)
}

// serveVariants lists a product's variants, inactive ones included, also
// for an inactive product (assumed: Isipay shows what it would sell). An
// unknown product is a 404 refusal.
func (s *Sim) serveVariants(w http.ResponseWriter, body []byte) {
	var req struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	if req.Code == "" {
		fail(w, http.StatusBadRequest, "The code field is required.")
		return
	}
	s.mu.Lock()
	pi, found := s.products[req.Code]
	var out []Variant
	if found {
		out = append([]Variant{}, s.cat.Products[pi].Variants...)
	}
	s.mu.Unlock()
	if !found {
		fail(w, http.StatusNotFound, "Product not found")
		return
	}
	ok(w, out)
}

// envelope is Isipay's reply wrapper.
type envelope struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func ok(w http.ResponseWriter, data any) {
	write(w, http.StatusOK, envelope{Code: http.StatusOK, Message: "Success", Data: data})
}

// fail writes a refusal. Assumed: the HTTP status equals the envelope's
// code; the client must not rely on it, since the body's status decides.
func fail(w http.ResponseWriter, status int, msg string) {
	write(w, status, envelope{Error: true, Code: status, Message: msg})
}

func write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a broken raw value in a steered catalog can get here.
		status, b = http.StatusInternalServerError, []byte(`{"error":true,"code":500,"message":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
