package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// ordersEnv is the catalog env taking orders: a real orders.Service over
// the env's database and catalog, buying from both simulators through the
// real clients, on a clock the test moves, with storefront notifications
// going to a receiver that accepts them all.
type ordersEnv struct {
	*catalogEnv
	svc      *orders.Service
	notifier *orders.Notifier
	clock    *testclock.Clock
	admin    string
	// breaker, when set before the env is built, is the order service's
	// circuit breaker; off otherwise.
	breaker orders.BreakerConfig
	// notifySecret, when set before the env is built, signs the
	// notifications (SYNCD_NOTIFY_SECRET); onNotify sees each one the
	// receiver takes, headers and body as they arrived.
	notifySecret string
	onNotify     func(h http.Header, body []byte)
}

// withOrders configures an order service into the API and hands it to oe.
func withOrders(t *testing.T, oe *ordersEnv) configureFunc {
	return func(cfg *Config, db *syncd.DB, cat *catalog.Catalog, sources map[string]offers.Source) {
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if oe.onNotify != nil {
				body, _ := io.ReadAll(r.Body)
				oe.onNotify(r.Header.Clone(), body)
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(receiver.Close)
		log := slog.New(slog.DiscardHandler)
		oe.clock = testclock.Live()
		oe.notifier = orders.NewNotifier(db, log, orders.NotifyConfig{URL: receiver.URL, Secret: oe.notifySecret, Now: oe.clock.Now})
		oe.svc = orders.New(db, cat, log, oe.notifier, orders.Config{
			Suppliers: map[string]orders.Supplier{
				senpay.Name: sources[senpay.Name].(*senpay.Client),
				isipay.Name: sources[isipay.Name].(*isipay.Client),
			},
			Breaker: oe.breaker,
			Now:     oe.clock.Now,
		})
		// Registered before the API server's Close, so it runs after it:
		// no request is left to route when the service stops.
		t.Cleanup(oe.svc.Close)
		cfg.Orders, cfg.Notifier = oe.svc, oe.notifier
	}
}

// newOrdersEnv is newSyncedCatalogEnv taking orders.
func newOrdersEnv(t *testing.T) *ordersEnv {
	t.Helper()
	oe := &ordersEnv{}
	oe.catalogEnv = newSyncedCatalogEnv(t, withOrders(t, oe))
	oe.isipay.SetBalance(10_000_000) // Isipay refuses every order from a zero balance
	oe.admin = oe.token(t, auth.RoleAdmin)
	return oe
}

// purchases counts the orders both simulators have taken.
func (c *catalogEnv) purchases() int {
	return len(c.senpay.Transactions()) + len(c.isipay.Orders())
}

// price is an item's current public price.
func (c *catalogEnv) price(t *testing.T, item string) int64 {
	t.Helper()
	var it struct{ Item wireItem }
	c.get(t, "/v1/items/"+item, c.storefront, &it)
	if it.Item.Price == nil {
		t.Fatalf("item %s has no price", item)
	}
	return *it.Item.Price
}

// orderBody is a POST /v1/orders body for a Mobile Legends item.
func orderBody(ref, item string, price int64) string {
	return fmt.Sprintf(`{"reference":%q,"item":%q,"fields":{"user_id":"12345678","server":"1234"},"expected_price":%d}`, ref, item, price)
}

// wireOrder decodes the API's order.
type wireOrder struct {
	ID        string            `json:"id"`
	Reference string            `json:"reference"`
	Item      string            `json:"item"`
	Tier      string            `json:"tier"`
	Fields    map[string]string `json:"fields"`
	Price     int64             `json:"price"`
	Status    string            `json:"status"`
	Reason    string            `json:"reason"`
	Supplier  string            `json:"supplier"`
	SN        string            `json:"sn"`
	Version   int64             `json:"version"`
}

func decodeOrder(t *testing.T, body []byte) wireOrder {
	t.Helper()
	var o wireOrder
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatalf("order: %v: %s", err, body)
	}
	if o.ID == "" {
		t.Fatalf("order without an id: %s", body)
	}
	return o
}

// try is call for use off the test's goroutine: it returns what went
// wrong instead of failing the test.
func (c *catalogEnv) try(method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	route := c.server.router.(*chi.Mux).Find(chi.NewRouteContext(), method, req.URL.Path)
	if err := c.doc.checkResponse(method, route, resp.StatusCode, b); err != nil {
		return 0, nil, err
	}
	c.mu.Lock()
	c.seen[fmt.Sprintf("%s %s %d", method, route, resp.StatusCode)] = true
	c.mu.Unlock()
	return resp.StatusCode, b, nil
}

// toAttention places an order whose send Isipay takes but whose reply is
// lost, and lets reconciliation time out, so it waits for an operator.
func (oe *ordersEnv) toAttention(t *testing.T, ref string) wireOrder {
	t.Helper()
	oe.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultAcceptDrop, Count: 1})
	resp, body := oe.call(t, "POST", "/v1/orders", oe.storefront, orderBody(ref, diamonds86, oe.price(t, diamonds86)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: got %d, want 201: %s", resp.StatusCode, body)
	}
	o := decodeOrder(t, body)
	if o.Status != "processing" || o.Supplier != isipay.Name {
		t.Fatalf("after a lost reply: got %s at %q, want processing at isipay", o.Status, o.Supplier)
	}
	oe.clock.Add(16 * time.Minute) // past ReconcileTimeout's 15
	if _, err := oe.svc.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, body = oe.call(t, "GET", "/v1/orders/"+o.ID, oe.storefront, "")
	if o = decodeOrder(t, body); resp.StatusCode != http.StatusOK || o.Status != "attention" {
		t.Fatalf("after reconciliation timed out: got %d %s, want 200 attention: %s", resp.StatusCode, o.Status, body)
	}
	return o
}

// errorBody is the error envelope with its details.
type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func decodeError(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the error envelope: %v: %s", err, body)
	}
	return e
}
