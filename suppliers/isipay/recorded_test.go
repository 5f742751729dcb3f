package isipay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/suppliers"
)

const testToken = "tok-3f9c2e-secret"

// fastRetry keeps retried reads quick in tests.
var fastRetry = suppliers.Retry{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}

// reply is one recorded body served with an HTTP status.
type reply struct {
	status int
	file   string
}

// counter counts requests per path.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[path]++
}

func (c *counter) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.n {
		n += v
	}
	return n
}

// serveRecorded answers each path with a recorded body and counts requests.
func serveRecorded(t *testing.T, replies map[string]reply) (*Client, *counter) {
	t.Helper()
	counts := &counter{n: make(map[string]int)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counts.add(r.URL.Path)
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization: got %q, want the bearer token", got)
		}
		if r.Method != http.MethodPost {
			t.Errorf("method: got %s, want POST", r.Method)
		}
		rep, ok := replies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(rep.status)
		w.Write(recorded(t, rep.file))
	}))
	t.Cleanup(srv.Close)
	c := New(Config{BaseURL: srv.URL, APIToken: testToken, RatePerSecond: -1, Retry: fastRetry, Concurrency: 1})
	return c, counts
}

// checkKind asserts a classified failure that names the supplier and the
// endpoint and never leaks the token.
func checkKind(t *testing.T, err error, want suppliers.Kind, op string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := suppliers.KindOf(err); got != want {
		t.Errorf("kind: got %s, want %s (err %v)", got, want, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "isipay") || !strings.Contains(msg, op) {
		t.Errorf("error %q does not name isipay and %q", msg, op)
	}
	if strings.Contains(msg, testToken) {
		t.Errorf("error %q leaks the API token", msg)
	}
}

func TestClientDocExamples(t *testing.T) {
	c, _ := serveRecorded(t, map[string]reply{
		pathBalance:                          {200, "balance.json"},
		pathProduct:                          {200, "product.json"},
		pathVariant:                          {200, "variant.json"},
		pathOrder:                            {200, "order.json"},
		pathStatusOrder + "RZ-RAPIXXXXXXXXX": {200, "status-order.json"},
	})
	ctx := context.Background()
	acc, err := c.Balance(ctx)
	if err != nil || acc.Name != "Bangirul Store" || !acc.Balance.IsZero() {
		t.Errorf("Balance: got %+v, %v", acc, err)
	}
	ps, err := c.Products(ctx)
	if err != nil || len(ps) != 1 || ps[0].Code != "mobile-legends" {
		t.Errorf("Products: got %+v, %v", ps, err)
	}
	vs, err := c.Variants(ctx, "mobile-legends")
	if err != nil || len(vs) != 1 || vs[0].Code != "MLBB_ID_5" {
		t.Errorf("Variants: got %+v, %v", vs, err)
	}
	o, err := c.Order(ctx, OrderRequest{Code: "MLBB_ID_5", ReferenceNumber: "ord-1-a1", Data: "12345678(1234)"})
	if err != nil || o.InvoiceNumber != "RZ-RAPIXXXXXXXXX" {
		t.Errorf("Order: got %+v, %v", o, err)
	}
	st, err := c.OrderStatus(ctx, "RZ-RAPIXXXXXXXXX")
	if err != nil || st.StatusCode != StatusSuccess {
		t.Errorf("OrderStatus: got %+v, %v", st, err)
	}
	cat, err := c.FetchCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Games) != 1 || len(cat.Offers) != 1 {
		t.Fatalf("FetchCatalog: got %d games, %d offers, want 1 and 1", len(cat.Games), len(cat.Offers))
	}
	if off := cat.Offers[0]; off.Code != "MLBB_ID_5" || off.GameCode != "mobile-legends" || off.CostRaw != "1389" || !off.Active || off.ProcessDuration != "0" {
		t.Errorf("FetchCatalog offer: got %+v", off)
	}
}

func TestClientRecordedFailures(t *testing.T) {
	const (
		isRead  = "read"
		isOrder = "order"
	)
	tests := []struct {
		name   string
		call   string // read: Products; order: Order
		status int
		file   string
		want   suppliers.Kind
	}{
		{"html page in a 200", isRead, 200, "html-error.html", suppliers.KindBadReply},
		{"html page in a 200", isOrder, 200, "html-error.html", suppliers.KindUnknownOutcome},
		{"html page in a 500", isRead, 500, "html-error.html", suppliers.KindUnavailable},
		{"html page in a 500", isOrder, 500, "html-error.html", suppliers.KindUnknownOutcome},
		{"empty body", isRead, 200, "empty.json", suppliers.KindBadReply},
		{"empty body", isOrder, 200, "empty.json", suppliers.KindUnknownOutcome},
		{"truncated", isRead, 200, "truncated.json", suppliers.KindBadReply},
		{"truncated", isOrder, 200, "truncated.json", suppliers.KindUnknownOutcome},
		{"error 500 in a 200", isRead, 200, "error-in-200.json", suppliers.KindUnavailable},
		{"error 500 in a 200", isOrder, 200, "error-in-200.json", suppliers.KindUnknownOutcome},
		{"contradictory envelope", isRead, 200, "error-contradictory.json", suppliers.KindBadReply},
		{"contradictory envelope", isOrder, 200, "error-contradictory.json", suppliers.KindUnknownOutcome},
		{"wrong data shape", isRead, 200, "product-data-object.json", suppliers.KindBadReply},
		{"success envelope under http 400", isRead, 400, "product.json", suppliers.KindBadReply},
		{"success envelope under http 400", isOrder, 400, "order.json", suppliers.KindUnknownOutcome},
		{"unauthorized", isRead, 401, "unauthorized.json", suppliers.KindUnauthorized},
		{"unauthorized", isOrder, 401, "unauthorized.json", suppliers.KindUnauthorized},
		{"unauthorized in a 200", isOrder, 200, "unauthorized.json", suppliers.KindUnauthorized},
		{"ip not whitelisted", isRead, 403, "ip-not-whitelisted.json", suppliers.KindUnauthorized},
		{"insufficient balance in a 200", isOrder, 200, "order-insufficient-balance.json", suppliers.KindRejected},
		{"insufficient balance in a 400", isOrder, 400, "order-insufficient-balance.json", suppliers.KindRejected},
		{"validation object", isOrder, 422, "order-validation-object.json", suppliers.KindRejected},
		{"duplicate reference", isOrder, 400, "order-duplicate-reference.json", suppliers.KindUnknownOutcome},
		{"conflict", isOrder, 409, "order-conflict.json", suppliers.KindUnknownOutcome},
		{"accepted without invoice", isOrder, 200, "order-no-invoice.json", suppliers.KindUnknownOutcome},
		{"accepted with null data", isOrder, 200, "order-null-data.json", suppliers.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.call+"/"+tt.name, func(t *testing.T) {
			path := pathProduct
			if tt.call == isOrder {
				path = pathOrder
			}
			c, counts := serveRecorded(t, map[string]reply{path: {tt.status, tt.file}})
			var err error
			if tt.call == isOrder {
				_, err = c.Order(context.Background(), OrderRequest{Code: "MLBB_ID_5", ReferenceNumber: "ord-1-a1", Data: "12345678(1234)"})
			} else {
				_, err = c.Products(context.Background())
			}
			checkKind(t, err, tt.want, "POST "+path)
			if tt.call == isOrder && counts.get(path) != 1 {
				t.Errorf("order requests: got %d, want 1 (never retried)", counts.get(path))
			}
			var e *suppliers.Error
			if errors.As(err, &e) && tt.file == "html-error.html" && !strings.Contains(e.Snippet, "<!DOCTYPE html>") {
				t.Errorf("snippet: got %q, want the start of the page", e.Snippet)
			}
		})
	}
}

func TestClientRetriesReadsOn5xx(t *testing.T) {
	c, counts := serveRecorded(t, map[string]reply{pathProduct: {503, "html-error.html"}})
	_, err := c.Products(context.Background())
	checkKind(t, err, suppliers.KindUnavailable, "POST "+pathProduct)
	if got := counts.get(pathProduct); got != fastRetry.Attempts {
		t.Errorf("requests: got %d, want %d", got, fastRetry.Attempts)
	}
}

func TestOrderStatusOfAnotherInvoice(t *testing.T) {
	c, _ := serveRecorded(t, map[string]reply{pathStatusOrder + "RZ-RAPI000000001": {200, "status-order.json"}})
	_, err := c.OrderStatus(context.Background(), "RZ-RAPI000000001")
	checkKind(t, err, suppliers.KindBadReply, pathStatusOrder+"RZ-RAPI000000001")
}

func TestOrderStatusNotFound(t *testing.T) {
	c, _ := serveRecorded(t, map[string]reply{pathStatusOrder + "RZ-RAPI9": {404, "status-order-not-found.json"}})
	_, err := c.OrderStatus(context.Background(), "RZ-RAPI9")
	checkKind(t, err, suppliers.KindRejected, pathStatusOrder+"RZ-RAPI9")
}

func TestFetchCatalogRefusesVariantUnderTwoProducts(t *testing.T) {
	// Every product gets the same variant list, so MLBB_ID_5 appears under
	// all of them.
	c, _ := serveRecorded(t, map[string]reply{
		pathProduct: {200, "product-quirks.json"},
		pathVariant: {200, "variant.json"},
	})
	cat, err := c.FetchCatalog(context.Background())
	checkKind(t, err, suppliers.KindBadReply, "POST "+pathVariant)
	if cat != nil {
		t.Errorf("got a catalog with %d offers, want none", len(cat.Offers))
	}
	if !strings.Contains(err.Error(), "MLBB_ID_5") {
		t.Errorf("error %q does not name the variant", err)
	}
}

func TestCallsThatAreNotSent(t *testing.T) {
	c, counts := serveRecorded(t, map[string]reply{})
	ctx := context.Background()
	valid := OrderRequest{Code: "MLBB_ID_5", ReferenceNumber: "ord-1-a1", Data: "12345678(1234)"}
	tests := []struct {
		name string
		call func() error
		want suppliers.Kind
	}{
		{"order without code", func() error { o := valid; o.Code = ""; _, err := c.Order(ctx, o); return err }, suppliers.KindRejected},
		{"order without reference", func() error { o := valid; o.ReferenceNumber = " "; _, err := c.Order(ctx, o); return err }, suppliers.KindRejected},
		{"order without data", func() error { o := valid; o.Data = ""; _, err := c.Order(ctx, o); return err }, suppliers.KindRejected},
		{"order with a cancelled context", func() error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := c.Order(cctx, valid)
			return err
		}, suppliers.KindUnavailable},
		{"variants of no product", func() error { _, err := c.Variants(ctx, ""); return err }, suppliers.KindRejected},
		{"status of no invoice", func() error { _, err := c.OrderStatus(ctx, ""); return err }, suppliers.KindRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := suppliers.KindOf(err); got != tt.want {
				t.Errorf("kind: got %s, want %s (err %v)", got, tt.want, err)
			}
		})
	}
	if n := counts.total(); n != 0 {
		t.Errorf("requests: got %d, want none", n)
	}
}

func TestInvalidConfigSendsNothing(t *testing.T) {
	tests := []Config{
		{APIToken: testToken},
		{BaseURL: "isipay.example/api", APIToken: testToken},
		{BaseURL: "ftp://isipay.example", APIToken: testToken},
		{BaseURL: "https://isipay.example"},
	}
	for _, cfg := range tests {
		if cfg.Validate() == nil {
			t.Errorf("Validate(%+v): got nil, want an error", cfg)
		}
		_, err := New(cfg).Order(context.Background(), OrderRequest{Code: "A", ReferenceNumber: "r", Data: "d"})
		if got := suppliers.KindOf(err); got != suppliers.KindUnavailable {
			t.Errorf("Order with %+v: got %s, want unavailable (nothing sent)", cfg, got)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("error %q leaks the token", err)
		}
	}
	if err := (Config{BaseURL: "https://isipay.example", APIToken: testToken}).Validate(); err != nil {
		t.Errorf("valid config: got %v", err)
	}
}
