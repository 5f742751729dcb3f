package testenv

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// Client is a supplier's real client, as the catalog and the router use it.
type Client interface {
	offers.Source
	orders.Supplier
}

// Supplier is one supplier's simulator and how to reach it.
type Supplier struct {
	Descriptor suppliers.Descriptor
	// Sim is the simulator, served over real HTTP by Start.
	Sim http.Handler
	// Close, when set, stops what the simulator runs in the background
	// (held requests, webhooks); it runs before its server closes.
	Close func()
	// Client is the real client of the simulator served at baseURL.
	Client func(baseURL string, hc *http.Client) Client
}

// Sims are started simulators, in the order given (the order of
// preference and of syncing).
type Sims struct {
	names   []string
	ds      []suppliers.Descriptor
	urls    map[string]string
	clients map[string]Client
	close   []func()
}

// Start serves each supplier's simulator on loopback and makes its client,
// with no retries and no rate limit, as the tests want every call seen,
// giving up on a call after timeout (zero: 5s). Close stops them; outside a
// test too (a database made once per binary).
func Start(timeout time.Duration, ss ...Supplier) *Sims {
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	hc := &http.Client{Timeout: timeout}
	s := &Sims{urls: map[string]string{}, clients: map[string]Client{}}
	for _, sup := range ss {
		srv := httptest.NewServer(sup.Sim)
		name := sup.Descriptor.Name
		s.names = append(s.names, name)
		s.ds = append(s.ds, sup.Descriptor)
		s.urls[name] = srv.URL
		s.clients[name] = sup.Client(srv.URL, hc)
		if sup.Close != nil {
			s.close = append(s.close, sup.Close)
		}
		s.close = append(s.close, srv.Close)
	}
	s.close = append(s.close, hc.CloseIdleConnections)
	return s
}

// Close stops the simulators and their servers.
func (s *Sims) Close() {
	for _, f := range s.close {
		f()
	}
}

// Names are the suppliers, in the order given.
func (s *Sims) Names() []string { return slices.Clone(s.names) }

// URL is where the supplier's simulator listens.
func (s *Sims) URL(name string) string { return s.urls[name] }

// Client is the real client of the supplier's simulator.
func (s *Sims) Client(name string) Client { return s.clients[name] }

// Sources are the clients as the syncer takes them.
func (s *Sims) Sources() map[string]offers.Source {
	m := map[string]offers.Source{}
	for name, c := range s.clients {
		m[name] = c
	}
	return m
}

// Orders are the clients as the router takes them.
func (s *Sims) Orders() map[string]orders.Supplier {
	m := map[string]orders.Supplier{}
	for name, c := range s.clients {
		m[name] = c
	}
	return m
}

// CatalogConfig is the catalog's configuration over these suppliers, as
// their descriptors register them.
func (s *Sims) CatalogConfig(staleAfter time.Duration) catalog.Config {
	return suppliers.CatalogConfig(catalog.Config{StaleAfter: staleAfter, Suppliers: s.Names()}, s.ds...)
}
