package senpaysim

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Options configures a Sim. The zero value accepts any credentials, settles
// orders at once and never runs out of balance.
type Options struct {
	APIKey    string // required as "Authorization: Bearer <APIKey>"; "" accepts any
	SecretKey string // required as "Signature: <SecretKey>" on create; "" accepts any
	// OrderDelay is how long an order stays "processing" before it reaches
	// its final status.
	OrderDelay time.Duration
	Balance    int64 // IDR available for orders; 0 means unlimited
	// WebhookURL, if set, receives a transaction_status webhook when an
	// order reaches its final status (timed by the real clock).
	WebhookURL string
	// ErrorHTTPStatus is the HTTP status of a {"status": 400} refusal;
	// 0 means 200, as Senpay's document suggests.
	ErrorHTTPStatus int
	// Now is the simulator's clock for order progression; nil means
	// time.Now. Tests move it instead of sleeping.
	Now    func() time.Time
	Logger *slog.Logger // nil discards
}

// Sim is a simulated Senpay. All methods are safe for concurrent use,
// including while it serves requests.
type Sim struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger
	mux  *http.ServeMux
	hook *http.Client

	done      chan struct{}
	closeOnce sync.Once
	bg        sync.WaitGroup // automatic webhooks in flight

	mu        sync.Mutex
	provs     []*provState
	provCode  map[string]*provState
	prodCode  map[string]*prodState
	nextID    int64
	latency   time.Duration
	faults    []*fault
	requests  map[string]int // by request URI
	orders    []*order
	byRef     map[string]*order
	byPartner map[string]*order
	targets   map[string]string // form value -> final status
	balance   decimal.Decimal
	limited   bool
}

type provState struct {
	Provider // Products unused; see products
	active   bool
	products []*prodState
}

type prodState struct {
	Product
	price  decimal.Decimal
	active bool
	prov   *provState
}

// New returns a simulator serving cat, which it copies and may then change
// through its steering methods. cat must have passed LoadCatalog's checks
// (Generate's output does); New panics otherwise, since that is a bug in
// the test or demo that built it.
func New(cat *Catalog, opts Options) *Sim {
	if err := cat.check(); err != nil {
		panic("senpaysim.New: " + err.Error())
	}
	s := &Sim{
		opts:      opts,
		now:       opts.Now,
		log:       opts.Logger,
		hook:      &http.Client{Timeout: 10 * time.Second},
		done:      make(chan struct{}),
		provCode:  make(map[string]*provState),
		prodCode:  make(map[string]*prodState),
		requests:  make(map[string]int),
		byRef:     make(map[string]*order),
		byPartner: make(map[string]*order),
		targets:   make(map[string]string),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.setBalance(opts.Balance)
	for _, p := range cat.Providers {
		s.nextID = max(s.nextID, p.ID)
		for _, pr := range p.Products {
			s.nextID = max(s.nextID, pr.ID)
		}
	}
	for _, p := range cat.Providers {
		ps := &provState{Provider: p}
		ps.Products = nil
		ps.Forms = append([]Form(nil), p.Forms...)
		ps.active, _ = parseFlag(p.Active)
		if len(ps.Active) == 0 {
			ps.Active = flag(true)
		}
		if ps.ID == 0 {
			ps.ID = s.newID()
		}
		s.provs = append(s.provs, ps)
		s.provCode[p.Code] = ps
		for _, pr := range p.Products {
			s.addProduct(ps, pr)
		}
	}
	s.routes()
	return s
}

func (s *Sim) newID() int64 {
	s.nextID++
	return s.nextID
}

// addProduct indexes a product already checked by checkProduct; s.mu held.
func (s *Sim) addProduct(ps *provState, p Product) {
	st := &prodState{Product: p, prov: ps}
	st.price, _ = parsePrice(p.Price)
	st.active, _ = parseFlag(p.Active)
	if len(st.Active) == 0 {
		st.Active = flag(true)
	}
	if st.ID == 0 {
		st.ID = s.newID()
	}
	ps.products = append(ps.products, st)
	s.prodCode[p.Code] = st
}

// ServeHTTP counts the request, applies the latency and any matching fault,
// then answers as Senpay would.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.RequestURI()
	s.mu.Lock()
	s.requests[uri]++
	latency := s.latency
	f := s.takeFault(uri)
	s.mu.Unlock()
	if latency > 0 && !s.wait(r.Context(), latency) {
		return
	}
	if f != nil {
		s.injure(w, r, f)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// wait sleeps for d unless the request or the simulator ends first.
func (s *Sim) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// Close releases hanging requests and waits for automatic webhooks in
// flight. Call it before closing the server that serves s.
func (s *Sim) Close() {
	// Under s.mu so that no order schedules a webhook once Wait has begun.
	s.mu.Lock()
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Unlock()
	s.bg.Wait()
}

func (s *Sim) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// SetLatency delays every later request by d.
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Requests counts the requests received whose URI (path and query) starts
// with prefix, e.g. "/api/prepaid/product?provider=GI-BJ".
func (s *Sim) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for uri, c := range s.requests {
		if strings.HasPrefix(uri, prefix) {
			n += c
		}
	}
	return n
}

// Price returns a product's current price, a fraction rounded up to a
// whole rupiah, and false if there is no such product.
func (s *Sim) Price(code string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prodCode[code]
	if !ok {
		return 0, false
	}
	return p.price.Ceil().IntPart(), true
}

// SetPrice sets a product's price, served as a JSON number from now on.
// Unlike SendPriceUpdate it notifies nobody.
func (s *Sim) SetPrice(code string, price int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prodCode[code]
	if !ok {
		return fmt.Errorf("senpaysim: no product %q", code)
	}
	p.Price = json.RawMessage(strconv.FormatInt(price, 10))
	p.price = decimal.NewFromInt(price)
	return nil
}

// SetActive switches a product on or off.
func (s *Sim) SetActive(code string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prodCode[code]
	if !ok {
		return fmt.Errorf("senpaysim: no product %q", code)
	}
	p.Active, p.active = flag(active), active
	return nil
}

// SetProviderActive switches a provider on or off.
func (s *Sim) SetProviderActive(code string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.provCode[code]
	if !ok {
		return fmt.Errorf("senpaysim: no provider %q", code)
	}
	p.Active, p.active = flag(active), active
	return nil
}

func flag(b bool) json.RawMessage {
	if b {
		return json.RawMessage("1")
	}
	return json.RawMessage("0")
}

// Remove takes a product out of the catalog.
func (s *Sim) Remove(code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prodCode[code]
	if !ok {
		return fmt.Errorf("senpaysim: no product %q", code)
	}
	delete(s.prodCode, code)
	ps := p.prov.products
	for i := range ps {
		if ps[i] == p {
			p.prov.products = append(ps[:i:i], ps[i+1:]...)
			break
		}
	}
	return nil
}

// Add appends products to a provider. Nothing is added unless all are valid.
func (s *Sim) Add(provider string, products ...Product) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.provCode[provider]
	if !ok {
		return fmt.Errorf("senpaysim: no provider %q", provider)
	}
	seen := make(map[string]bool)
	for _, p := range products {
		if err := checkProduct(p); err != nil {
			return fmt.Errorf("senpaysim: %w", err)
		}
		if _, dup := s.prodCode[p.Code]; dup || seen[p.Code] {
			return fmt.Errorf("senpaysim: product %q exists", p.Code)
		}
		seen[p.Code] = true
	}
	for _, p := range products {
		s.addProduct(ps, p)
	}
	return nil
}

// Catalog returns the catalog as the simulator now serves it.
func (s *Sim) Catalog() *Catalog {
	s.mu.Lock()
	defer s.mu.Unlock()
	cat := &Catalog{Providers: make([]Provider, 0, len(s.provs))}
	for _, ps := range s.provs {
		p := ps.Provider
		p.Forms = append([]Form(nil), ps.Forms...)
		p.Products = make([]Product, 0, len(ps.products))
		for _, pr := range ps.products {
			p.Products = append(p.Products, pr.Product)
		}
		cat.Providers = append(cat.Providers, p)
	}
	return cat
}

// SetBalance sets the balance orders are paid from; 0 means unlimited.
func (s *Sim) SetBalance(idr int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setBalance(idr)
}

func (s *Sim) setBalance(idr int64) {
	s.balance, s.limited = decimal.NewFromInt(idr), idr != 0
}

// Balance returns the balance left, and false when it is unlimited.
func (s *Sim) Balance() (decimal.Decimal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance, s.limited
}
