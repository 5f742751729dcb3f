package senpay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/suppliers"
)

// The client against Senpay's own example bodies and recorded quirks, served
// by a tiny handler, one case per reply.
func TestClientRecorded(t *testing.T) {
	ctx := context.Background()
	providers := func(c *Client) error { _, err := c.Providers(ctx); return err }
	products := func(c *Client) error { _, err := c.Products(ctx, "FFMAX-BJ-V3"); return err }
	product := func(c *Client) error { _, err := c.Product(ctx, "FFMAX-BJ-V3FFMAX_ID_140"); return err }
	create := func(c *Client) error {
		_, err := c.CreateTransaction(ctx, TransactionRequest{
			ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5", PartnerReference: "INV12345678",
			Fields: map[string]string{"id": "1122334455", "server": "112233"},
		})
		return err
	}
	status := func(c *Client) error { _, err := c.Transaction(ctx, "TRX24070218917356867"); return err }

	tests := []struct {
		name     string
		path     string // the endpoint the call must hit
		call     func(*Client) error
		file     string
		code     int            // HTTP status served
		want     suppliers.Kind // 0: success
		wantIs   error          // also errors.Is, when set
		wantBody bool           // the error carries a snippet of the body
	}{
		{"providers ok", pathProviders, providers, "providers.json", 200, 0, nil, false},
		{"providers quirks", pathProviders, providers, "providers_quirks.json", 200, 0, nil, false},
		{"providers doc verbatim", pathProviders, providers, "providers_doc_verbatim.txt", 200, suppliers.KindBadReply, suppliers.ErrBadReply, true},
		{"providers bad key in 200", pathProviders, providers, "invalid_api_key.json", 200, suppliers.KindUnauthorized, nil, false},
		{"providers bad key in 400", pathProviders, providers, "invalid_api_key.json", 400, suppliers.KindUnauthorized, nil, false},
		{"providers html", pathProviders, providers, "html_error.html", 200, suppliers.KindBadReply, nil, true},
		{"providers html 502", pathProviders, providers, "html_error.html", 502, suppliers.KindUnavailable, nil, true},
		{"providers empty", pathProviders, providers, "empty.txt", 200, suppliers.KindBadReply, nil, false},
		{"providers truncated", pathProviders, providers, "truncated.json", 200, suppliers.KindBadReply, nil, true},
		{"providers wrong shape", pathProviders, providers, "data_wrong_shape.json", 200, suppliers.KindBadReply, nil, true},
		{"providers no status", pathProviders, providers, "no_status.json", 200, suppliers.KindBadReply, nil, true},
		{"providers success body under 500", pathProviders, providers, "providers.json", 500, suppliers.KindUnavailable, nil, true},
		{"providers success body under 404", pathProviders, providers, "providers.json", 404, suppliers.KindBadReply, nil, true},
		{"products ok", pathProducts, products, "products.json", 200, 0, nil, false},
		{"products quirks", pathProducts, products, "products_quirks.json", 200, 0, nil, false},
		{"products status string 400", pathProducts, products, "status_string_400.json", 200, suppliers.KindRejected, suppliers.ErrRejected, false},
		{"products negative price", pathProducts, products, "price_negative.json", 200, suppliers.KindBadReply, nil, true},
		{"products absurd price", pathProducts, products, "price_absurd.json", 200, suppliers.KindBadReply, nil, true},
		{"products duplicate code", pathProducts, products, "products_duplicate.json", 200, suppliers.KindBadReply, nil, true},
		{"products missing code", pathProducts, products, "products_missing_code.json", 200, suppliers.KindBadReply, nil, true},
		{"products of another provider", pathProducts, products, "products_other_provider.json", 200, suppliers.KindBadReply, nil, true},
		{"product ok", pathProducts + "/FFMAX-BJ-V3FFMAX_ID_140", product, "product.json", 200, 0, nil, false},
		{"product not found", pathProducts + "/FFMAX-BJ-V3FFMAX_ID_140", product, "product_not_found.json", 200, suppliers.KindRejected, ErrNotFound, false},
		{"create ok", pathCreate, create, "create_success.json", 200, 0, nil, false},
		{"create inactive in 200", pathCreate, create, "create_fail.json", 200, suppliers.KindRejected, suppliers.ErrRejected, false},
		{"create inactive in 400", pathCreate, create, "create_fail.json", 400, suppliers.KindRejected, nil, false},
		{"create no balance", pathCreate, create, "create_insufficient_balance.json", 200, suppliers.KindRejected, nil, false},
		{"create validation object", pathCreate, create, "message_object.json", 422, suppliers.KindRejected, nil, false},
		{"create bad key", pathCreate, create, "invalid_api_key.json", 200, suppliers.KindUnauthorized, nil, false},
		{"create duplicate reference", pathCreate, create, "create_duplicate_reference.json", 200, suppliers.KindUnknownOutcome, ErrDuplicateReference, false},
		{"create html", pathCreate, create, "html_error.html", 200, suppliers.KindUnknownOutcome, suppliers.ErrUnknownOutcome, true},
		{"create empty", pathCreate, create, "empty.txt", 200, suppliers.KindUnknownOutcome, nil, false},
		{"create truncated", pathCreate, create, "truncated.json", 200, suppliers.KindUnknownOutcome, nil, true},
		{"create server error", pathCreate, create, "laravel_500.json", 500, suppliers.KindUnknownOutcome, nil, true},
		{"create rate limited", pathCreate, create, "laravel_500.json", 429, suppliers.KindRateLimited, nil, true},
		{"create without status", pathCreate, create, "create_no_status.json", 200, suppliers.KindUnknownOutcome, nil, true},
		{"create other partner reference", pathCreate, create, "create_other_partner_reference.json", 200, suppliers.KindUnknownOutcome, nil, true},
		{"status ok", pathTransaction + "TRX24070218917356867", status, "status_success.json", 200, 0, nil, false},
		{"status not found", pathTransaction + "TRX24070218917356867", status, "status_fail.json", 200, suppliers.KindRejected, ErrNotFound, false},
		{"status html", pathTransaction + "TRX24070218917356867", status, "html_error.html", 200, suppliers.KindBadReply, nil, true},
		{"status of another transaction", pathTransaction + "TRX24070218917356867", func(c *Client) error {
			_, err := c.Transaction(ctx, "TRX24070218917356867")
			return err
		}, "create_success.json", 200, suppliers.KindBadReply, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := recorded(t, tt.file)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.path {
					http.Error(w, "unexpected path "+r.URL.Path, http.StatusTeapot)
					return
				}
				w.WriteHeader(tt.code)
				w.Write(body)
			}))
			defer srv.Close()
			c := testClient(srv, 2*time.Second, func(c *Config) {
				c.Retry = suppliers.Retry{Attempts: 1}
			})
			err := tt.call(c)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			e := wantKind(t, err, tt.want)
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("got %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(e.Op, tt.path) {
				t.Errorf("got op %q, want it to name %s", e.Op, tt.path)
			}
			if got := e.Snippet != ""; got != tt.wantBody {
				t.Errorf("got snippet %q, want one: %v", e.Snippet, tt.wantBody)
			}
			if len(e.Snippet) > 300 {
				t.Errorf("got a %d-byte snippet, want it bounded", len(e.Snippet))
			}
		})
	}
}

func TestClientRecordedMessages(t *testing.T) {
	tests := []struct{ file, want string }{
		{"create_fail.json", "Produk sedang tidak aktif"},
		{"create_insufficient_balance.json", "Saldo tidak mencukupi"},
		{"message_object.json", "The id field is required."},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := recorded(t, tt.file)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			defer srv.Close()
			_, err := testClient(srv, 5*time.Second).CreateTransaction(context.Background(),
				TransactionRequest{ProductCode: "X", PartnerReference: "INV1"})
			e := wantKind(t, err, suppliers.KindRejected)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("got message %q, want %q", e.Message, tt.want)
			}
		})
	}
}
