package senpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"testing"

	"github.com/syncd/syncd/suppliers"
)

// TestWebhookAccess: the allow list and the optional signature come from
// Senpay's settings, with the header name defaulting to X-Signature.
func TestWebhookAccess(t *testing.T) {
	body := []byte(`{"webhook_type": "price_update", "data": []}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	sum := hex.EncodeToString(mac.Sum(nil))

	a, err := access(suppliers.Values{envWebhookAllow: "206.189.83.1/32, 10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Allow) != 2 || a.Allow[1] != netip.MustParsePrefix("10.0.0.1/32") || a.Verify != nil {
		t.Fatalf("no secret: got allow %v, verify set %v; want two prefixes and no signature", a.Allow, a.Verify != nil)
	}
	tests := []struct {
		name, header string
		sent         http.Header
		want         bool
	}{
		{"hmac in the default header", "", http.Header{"X-Signature": {sum}}, true},
		{"the secret itself", "", http.Header{"X-Signature": {"s3cret"}}, true},
		{"wrong hmac", "", http.Header{"X-Signature": {sum[:len(sum)-1] + "0"}}, false},
		{"none", "", http.Header{}, false},
		{"named header", "Signature", http.Header{"Signature": {sum}}, true},
		{"default header when another is named", "Signature", http.Header{"X-Signature": {sum}}, false},
	}
	for _, tt := range tests {
		a, err := access(suppliers.Values{envWebhookSecret: "s3cret", envSignatureHeader: tt.header})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Verify(tt.sent, body); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := access(suppliers.Values{envWebhookAllow: "10.0.0.0/99"}); err == nil {
		t.Error("a bad CIDR: got no error")
	}
}

// TestParseEvent: a price_update becomes cost changes (price_old only when
// sent), a transaction_status an order update by Senpay's reference.
func TestParseEvent(t *testing.T) {
	ev, err := parseEvent([]byte(`{"webhook_type": "price_update", "data": [
		{"product_code": "A", "price_old": 100, "price_new": "90.5"}, {"product_code": "B", "price_new": 7}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != WebhookPriceUpdate || ev.Order != nil || len(ev.Costs) != 2 {
		t.Fatalf("price_update: got %+v", ev)
	}
	if a, b := ev.Costs[0], ev.Costs[1]; a.Code != "A" || a.Old == nil || a.Old.String() != "100" || a.Raw != "90.5" || b.Old != nil || b.New.String() != "7" {
		t.Errorf("price_update costs: got %+v, %+v", a, b)
	}
	ev, err = parseEvent([]byte(`{"webhook_type": "transaction_status", "reference": "TRX1", "partner_reference": "o-1", "status": "Success"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Order == nil || ev.Order.Supplier != Name || ev.Order.Txn != "TRX1" || ev.Order.Ref != "o-1" || ev.Costs != nil {
		t.Fatalf("transaction_status: got %+v", ev)
	}
	if got := webhook.Messages.UnknownOrder("TRX1"); got != "Transaksi tidak ditemukan: TRX1" {
		t.Errorf("unknown transaction: got %q", got)
	}
	if _, err := parseEvent([]byte(`{"webhook_type": "refund"}`)); err == nil {
		t.Error("an unknown webhook_type: got no error")
	}
}
