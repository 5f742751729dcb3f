// Package testsuppliersim simulates the test supplier's API over real
// HTTP, for tests: a catalog served whole by GET /catalog, orders by POST
// /orders and GET /orders/{id}, the deposit by GET /balance, credentials
// in X-Api-Key. It imports nothing of syncd's, so any package's tests may
// run it, and can be steered: prices, stock, deposit, faults.
package testsuppliersim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Game is one game the supplier sells, as served.
type Game struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Enabled bool   `json:"enabled"`
	Items   []Item `json:"items"`
}

// Item is one orderable product. Price is whole rupiah.
type Item struct {
	SKU     string `json:"sku"`
	Title   string `json:"title"`
	Price   int64  `json:"price"`
	Enabled bool   `json:"enabled"`
}

// Options configure a simulator.
type Options struct {
	APIKey string // required in X-Api-Key; "" takes any
	// Balance is the deposit orders are paid from; an order it cannot pay
	// is refused as no_balance.
	Balance int64
	// OrderDelay is how long an order stays pending before it is done.
	OrderDelay time.Duration
	Now        func() time.Time // default time.Now
}

// Order is an order the simulator took.
type Order struct {
	ID, Ref, SKU string
	Fields       map[string]string
	Price        int64
	At           time.Time
}

// Sim is the simulated supplier. It is safe for concurrent use.
type Sim struct {
	opts Options

	mu      sync.Mutex
	games   []Game
	out     map[string]bool // SKUs out of stock: orders refused
	balance int64
	orders  []Order
	byRef   map[string]int
	faults  map[string][]int // path prefix → HTTP statuses of the next replies
	garble  map[string]int   // path prefix → replies to cut off
}

// New returns a simulator selling games.
func New(games []Game, opts Options) *Sim {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sim{opts: opts, games: games, out: map[string]bool{}, balance: opts.Balance,
		byRef: map[string]int{}, faults: map[string][]int{}, garble: map[string]int{}}
}

// SetPrice sets a product's price.
func (s *Sim) SetPrice(sku string, price int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.item(sku)
	if it == nil {
		return fmt.Errorf("no sku %s", sku)
	}
	it.Price = price
	return nil
}

// Price is a product's price.
func (s *Sim) Price(sku string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.item(sku); it != nil {
		return it.Price, true
	}
	return 0, false
}

// SetInStock makes orders of sku taken (true) or refused out_of_stock.
func (s *Sim) SetInStock(sku string, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out[sku] = !in
}

// SetBalance sets the deposit.
func (s *Sim) SetBalance(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = n
}

// Balance is the deposit now.
func (s *Sim) Balance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// Fail answers the next request under path with status and an unreadable
// body, doing nothing.
func (s *Sim) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], status)
}

// Garble cuts off the next reply under path mid-way, after doing the
// work.
func (s *Sim) Garble(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.garble[path]++
}

// Orders are the orders taken, oldest first.
func (s *Sim) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.orders)
}

// item is sku's item; s.mu held.
func (s *Sim) item(sku string) *Item {
	for gi := range s.games {
		for ii := range s.games[gi].Items {
			if s.games[gi].Items[ii].SKU == sku {
				return &s.games[gi].Items[ii]
			}
		}
	}
	return nil
}

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.APIKey != "" && r.Header.Get("X-Api-Key") != s.opts.APIKey {
		reply(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "message": "bad api key"})
		return
	}
	s.mu.Lock()
	for prefix, statuses := range s.faults {
		if len(statuses) > 0 && strings.HasPrefix(r.URL.Path, prefix) {
			s.faults[prefix] = statuses[1:]
			s.mu.Unlock()
			w.WriteHeader(statuses[0])
			fmt.Fprint(w, "<html>upstream error</html>")
			return
		}
	}
	cut := false
	for prefix, n := range s.garble {
		if n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
			s.garble[prefix], cut = n-1, true
			break
		}
	}
	s.mu.Unlock()
	if cut {
		w = &halfWriter{ResponseWriter: w}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/catalog":
		s.mu.Lock()
		body := map[string]any{"games": s.games}
		s.mu.Unlock()
		reply(w, http.StatusOK, body)
	case r.Method == http.MethodGet && r.URL.Path == "/balance":
		reply(w, http.StatusOK, map[string]any{"balance": s.Balance()})
	case r.Method == http.MethodPost && r.URL.Path == "/orders":
		s.order(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		s.status(w, strings.TrimPrefix(r.URL.Path, "/orders/"))
	default:
		reply(w, http.StatusNotFound, map[string]string{"error": "no_route", "message": "no such endpoint"})
	}
}

func (s *Sim) order(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ref    string            `json:"ref"`
		SKU    string            `json:"sku"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Ref == "" {
		reply(w, http.StatusBadRequest, map[string]string{"error": "bad_request", "message": "unreadable order"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	refuse := func(code, msg string) {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"error": code, "message": msg})
	}
	if _, used := s.byRef[req.Ref]; used {
		reply(w, http.StatusConflict, map[string]string{"error": "duplicate_ref", "message": "reference already used"})
		return
	}
	it := s.item(req.SKU)
	switch {
	case it == nil || !it.Enabled:
		refuse("unknown_sku", "no such product on sale: "+req.SKU)
		return
	case s.out[req.SKU]:
		refuse("out_of_stock", "out of stock: "+req.SKU)
		return
	case strings.TrimSpace(req.Fields["user_id"]) == "":
		refuse("bad_fields", "user_id is required")
		return
	case it.Price > s.balance:
		refuse("no_balance", "insufficient balance")
		return
	}
	s.balance -= it.Price
	o := Order{ID: fmt.Sprintf("T-%d", len(s.orders)+1), Ref: req.Ref, SKU: req.SKU, Fields: req.Fields, Price: it.Price, At: s.opts.Now()}
	s.byRef[req.Ref] = len(s.orders)
	s.orders = append(s.orders, o)
	reply(w, http.StatusCreated, s.wire(o))
}

func (s *Sim) status(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orders {
		if o.ID == id {
			reply(w, http.StatusOK, s.wire(o))
			return
		}
	}
	reply(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "no order " + id})
}

// wire is an order as served: pending until OrderDelay has passed, then
// done with a serial; s.mu held.
func (s *Sim) wire(o Order) map[string]string {
	out := map[string]string{"id": o.ID, "ref": o.Ref, "state": "pending", "serial": ""}
	if !s.opts.Now().Before(o.At.Add(s.opts.OrderDelay)) {
		out["state"], out["serial"] = "done", "SN-"+o.ID
	}
	return out
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// halfWriter sends the first half of a reply.
type halfWriter struct{ http.ResponseWriter }

func (h *halfWriter) Write(b []byte) (int, error) {
	if _, err := h.ResponseWriter.Write(b[:len(b)/2]); err != nil {
		return 0, err
	}
	return len(b), nil
}
