package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

const hookPath = "/v1/webhooks/senpay"

// hookRoute is the route hookPath takes, as the router and the OpenAPI
// document name it.
const hookRoute = "/v1/webhooks/{supplier}"

// Senpay products of the demo catalog the webhook tests move: both sell
// diamonds86, whose cheapest offer is Isipay's at 20350.
const (
	senpay86   = "MLBB-BJ-V3-ALLMLBB_ID_86" // 22870
	senpayBJ86 = "MLBB-BJMLBB_86"           // 23581
)

var (
	// httptest servers and their clients are on loopback.
	loopback   = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	senpayOnly = []netip.Prefix{netip.MustParsePrefix("206.189.83.1/32")}
)

// senpayHook is how a test configures Senpay's webhook: its settings
// SENPAY_WEBHOOK_ALLOW, _SECRET and _SIGNATURE_HEADER.
type senpayHook struct {
	Allow           []netip.Prefix
	Secret          string
	SignatureHeader string
}

// webhooks configures /v1/webhooks/{supplier} as cmd/syncd does, from
// Senpay's registered descriptor with the settings of h.
func (h senpayHook) webhooks() map[string]*Webhook {
	var allow []string
	for _, p := range h.Allow {
		allow = append(allow, p.String())
	}
	d := senpay.Descriptor
	acc, err := d.Webhook.Access(suppliers.Values{"SENPAY_WEBHOOK_ALLOW": strings.Join(allow, ","),
		"SENPAY_WEBHOOK_SECRET": h.Secret, "SENPAY_WEBHOOK_SIGNATURE_HEADER": h.SignatureHeader})
	if err != nil {
		panic(err) // the tests' own prefixes
	}
	return map[string]*Webhook{d.Name: {Title: d.Title, Enabled: true, Allow: acc.Allow, Verify: acc.Verify, Reply: d.Webhook.Reply}}
}

// withWebhookOff registers Senpay's webhook as cmd/syncd does for a
// Senpay without credentials: answered 404 in its shape.
func withWebhookOff() configureFunc {
	return func(cfg *Config, db *syncd.DB, cat *catalog.Catalog, _ map[string]offers.Source) {
		cfg.Inbox = inbox.New(db, cat, slog.New(slog.DiscardHandler), testHooks)
		d := senpay.Descriptor
		cfg.Webhooks = map[string]*Webhook{d.Name: {Title: d.Title, Reply: d.Webhook.Reply}}
	}
}

// senpayReply is Senpay's webhook reply shape, which a sender reads.
type senpayReply struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// testHooks are the webhook capabilities the inbox is built with.
var testHooks = map[string]*suppliers.Webhook{senpay.Name: senpay.Descriptor.Webhook}

// withWebhook serves Senpay's webhook, hook configured as given, from an
// inbox over the env's database and catalog.
func withWebhook(hook senpayHook, trusted ...netip.Prefix) configureFunc {
	return func(cfg *Config, db *syncd.DB, cat *catalog.Catalog, _ map[string]offers.Source) {
		cfg.Inbox = inbox.New(db, cat, slog.New(slog.DiscardHandler), testHooks)
		cfg.Webhooks = hook.webhooks()
		cfg.TrustedProxies = trusted
	}
}

// hook posts body to the webhook as Senpay would (no token), checks the
// reply is Senpay's shape with the HTTP status in it, and returns it.
func (c *catalogEnv) hook(t *testing.T, body string, headers ...string) senpayReply {
	t.Helper()
	resp, b := c.call(t, "POST", hookPath, "", body, headers...)
	var r senpayReply
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("webhook reply is not Senpay's shape: %v: %s", err, b)
	}
	if r.Status != resp.StatusCode || r.Message == "" {
		t.Fatalf("webhook reply: HTTP %d with body %s", resp.StatusCode, b)
	}
	return r
}

func priceUpdateBody(code string, old, new int64) string {
	return fmt.Sprintf(`{"webhook_type": "price_update", "data": [{"product_code": %q, "price_old": %d, "price_new": %d}]}`, code, old, new)
}

// state is everything a refused delivery must leave alone: every offer,
// cost history and stored price, the inbox, and the snapshot version
// (meta).
func (c *catalogEnv) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"offers", "cost_history", "prices", "price_history", "webhook_inbox", "meta"} {
		rows, err := c.db.Read.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if table == "meta" && fmt.Sprint(vals[0]) == "ready_probe" {
				continue
			}
			fmt.Fprintln(&b, table, vals)
		}
		rows.Close()
	}
	fmt.Fprintln(&b, "snapshot", c.cat.Snapshot().Version)
	return b.String()
}

// servedItem is item as GET /v1/games/{game} serves it to storefronts.
func (c *catalogEnv) servedItem(t *testing.T, item string) wireItem {
	t.Helper()
	var g struct{ Game struct{ Items []wireItem } }
	c.get(t, "/v1/games/"+strings.Split(item, ".")[0], c.storefront, &g)
	for _, it := range g.Game.Items {
		if it.ID == item {
			return it
		}
	}
	t.Fatalf("no item %s in its game", item)
	return wireItem{}
}

func (c *catalogEnv) webhookHistory(t *testing.T, code string) int {
	t.Helper()
	var n int
	const q = `SELECT count(*) FROM cost_history JOIN offers ON offers.id = offer_id
		WHERE source = 'webhook' AND supplier = 'senpay' AND code = ?`
	if err := c.db.Read.Get(&n, q, code); err != nil {
		t.Fatal(err)
	}
	return n
}

func hmacHex(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// TestWebhookSource: only the allowed addresses may post, and
// X-Forwarded-For counts only from a trusted proxy.
func TestWebhookSource(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	envs := map[string]*catalogEnv{
		"loopback allowed":                  newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback})),
		"only senpay allowed":               newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: senpayOnly})),
		"only senpay allowed, behind proxy": newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: senpayOnly}, proxies...)),
		"loopback allowed, behind proxy":    newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}, proxies...)),
	}
	body := priceUpdateBody(senpay86, 22870, 21000)
	tests := []struct {
		env, name string
		xff       []string
		want      int
	}{
		{"loopback allowed", "peer allowed", nil, 200},
		{"loopback allowed", "a header from an untrusted peer is ignored", []string{"203.0.113.9"}, 200},
		{"only senpay allowed", "peer refused", nil, 403},
		{"only senpay allowed", "a header from an untrusted peer is not believed", []string{"206.189.83.1"}, 403},
		{"only senpay allowed, behind proxy", "senpay through the proxy", []string{"206.189.83.1"}, 200},
		{"only senpay allowed, behind proxy", "senpay through two proxies", []string{"206.189.83.1, 10.1.2.3"}, 200},
		{"only senpay allowed, behind proxy", "senpay's address forged on the left", []string{"206.189.83.1, 198.51.100.7"}, 403},
		{"only senpay allowed, behind proxy", "forged left of senpay is ignored", []string{"198.51.100.7, 206.189.83.1"}, 200},
		{"only senpay allowed, behind proxy", "headers read in order", []string{"206.189.83.1", "10.1.2.3"}, 200},
		{"only senpay allowed, behind proxy", "no header: the proxy itself", nil, 403},
		{"only senpay allowed, behind proxy", "unreadable entry", []string{"206.189.83.1, unknown"}, 403},
		{"only senpay allowed, behind proxy", "with a port", []string{"206.189.83.1:4711"}, 200},
		{"loopback allowed, behind proxy", "the proxy is allowed, its client is not", []string{"203.0.113.9"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			for _, h := range tt.xff {
				headers = append(headers, "X-Forwarded-For: "+h)
			}
			c := envs[tt.env]
			// call sets one value per name; add the rest by hand.
			if len(headers) > 1 {
				c.multiXFF(t, tt.xff, tt.want)
				return
			}
			r := c.hook(t, body, headers...)
			if r.Status != tt.want {
				t.Fatalf("got %d %q, want %d", r.Status, r.Message, tt.want)
			}
			if tt.want == 403 && !strings.Contains(r.Message, "may not send Senpay webhooks") {
				t.Fatalf("403 message: got %q", r.Message)
			}
		})
	}
	// Refused senders leave no trace in the inbox.
	var n int
	if err := envs["only senpay allowed"].db.Read.Get(&n, `SELECT count(*) FROM webhook_inbox`); err != nil || n != 0 {
		t.Fatalf("inbox of refused deliveries: got %d rows (%v), want none", n, err)
	}
}

// multiXFF posts with one X-Forwarded-For header per value.
func (c *catalogEnv) multiXFF(t *testing.T, values []string, want int) {
	t.Helper()
	req, _ := http.NewRequest("POST", c.srv.URL+hookPath, strings.NewReader(priceUpdateBody(senpay86, 22870, 21000)))
	for _, v := range values {
		req.Header.Add("X-Forwarded-For", v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("got %d, want %d", resp.StatusCode, want)
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		remote, xff string
		want        string // "" when unreadable
	}{
		{"203.0.113.1:5000", "", "203.0.113.1"},
		{"203.0.113.1:5000", "198.51.100.1", "203.0.113.1"},
		{"[::ffff:203.0.113.1]:5000", "", "203.0.113.1"},
		{"10.0.0.1:5000", "", "10.0.0.1"},
		{"10.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:5000", "198.51.100.1, 10.0.0.2", "198.51.100.1"},
		{"10.0.0.1:5000", "10.0.0.3, 10.0.0.2", "10.0.0.3"},
		{"10.0.0.1:5000", " 192.0.2.1 ,198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:5000", "[2001:db9::1]:443", "2001:db9::1"},
		{"[2001:db8::5]:5000", "::ffff:198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:5000", "198.51.100.1, nonsense", ""},
		{"10.0.0.1:5000", ",", ""},
		{"not an address", "", ""},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		got, ok := clientAddr(r, trusted)
		if (tt.want == "") != !ok || ok && got.String() != tt.want {
			t.Errorf("%s, X-Forwarded-For %q: got %v %v, want %q", tt.remote, tt.xff, got, ok, tt.want)
		}
	}
}

// FuzzClientAddr: whatever a sender writes, the address believed is the
// peer's or one written in the header, never a panic.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:1", "198.51.100.1, 10.0.0.2")
	f.Add("[::1]:1", "[::1]:80,::ffff:1.2.3.4")
	f.Add("1.2.3.4:1", "")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got, ok := clientAddr(r, trusted)
		if !ok {
			return
		}
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("got %v from %q %q", got, remote, xff)
		}
	})
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := priceUpdateBody(senpay86, 22870, 21000)
	off := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	on := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback, Secret: "s3cret"}))
	named := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback, Secret: "s3cret", SignatureHeader: "Signature"}))
	tests := []struct {
		name    string
		c       *catalogEnv
		headers []string
		want    int
	}{
		{"off: none needed", off, nil, 200},
		{"off: one sent is ignored", off, []string{"X-Signature: nonsense"}, 200},
		{"on: HMAC of the body", on, []string{"X-Signature: " + hmacHex("s3cret", body)}, 200},
		{"on: HMAC in upper case", on, []string{"X-Signature: " + strings.ToUpper(hmacHex("s3cret", body))}, 200},
		{"on: the secret itself", on, []string{"X-Signature: s3cret"}, 200},
		{"on: missing", on, nil, 400},
		{"on: wrong secret", on, []string{"X-Signature: " + hmacHex("other", body)}, 400},
		{"on: HMAC of another body", on, []string{"X-Signature: " + hmacHex("s3cret", body+" ")}, 400},
		{"on: not hex", on, []string{"X-Signature: zz"}, 400},
		{"on: another header", on, []string{"Signature: s3cret"}, 400},
		{"named header: the secret", named, []string{"Signature: s3cret"}, 200},
		{"named header: HMAC", named, []string{"Signature: " + hmacHex("s3cret", body)}, 200},
		{"named header: the default one is not it", named, []string{"X-Signature: s3cret"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.hook(t, body, tt.headers...)
			if r.Status != tt.want {
				t.Fatalf("got %d %q, want %d", r.Status, r.Message, tt.want)
			}
			if tt.want == 400 && r.Message != "Invalid signature" {
				t.Fatalf("message: got %q, want Senpay's \"Invalid signature\"", r.Message)
			}
		})
	}
	var n int
	if err := on.db.Read.Get(&n, `SELECT count(*) FROM webhook_inbox`); err != nil || n != 1 {
		t.Fatalf("inbox: got %d rows (%v), want the one signed body once", n, err)
	}
}

// TestWebhookBadInput: every malformed delivery is a 400 saying what is
// wrong, and nothing at all changes.
func TestWebhookBadInput(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	before := c.state(t)
	beforeItem := c.servedItem(t, diamonds86)
	tests := []struct{ name, body, want string }{
		{"not JSON", `<html><body>502 Bad Gateway</body></html>`, "invalid character"},
		{"empty", ``, "empty body"},
		{"JSON but not an object", `[1, 2]`, "cannot unmarshal"},
		{"unknown webhook_type", `{"webhook_type": "balance_update"}`, `unknown webhook_type "balance_update"`},
		{"no webhook_type", `{"data": []}`, `unknown webhook_type ""`},
		{"no data", `{"webhook_type": "price_update"}`, "no data"},
		{"no product_code", `{"webhook_type": "price_update", "data": [{"price_new": 1480}]}`, "no product_code"},
		{"no price_new", `{"webhook_type": "price_update", "data": [{"product_code": "` + senpay86 + `", "price_old": 1}]}`, "no price_new"},
		{"negative price", priceUpdateBody(senpay86, 22870, -1), "negative price"},
		{"absurd price", priceUpdateBody(senpay86, 22870, 100_000_001), "sanity limit"},
		{"absurd old price", priceUpdateBody(senpay86, -5, 22000), "price_old"},
		{"price that is not a number", `{"webhook_type": "price_update", "data": [{"product_code": "` + senpay86 + `", "price_new": "1.480"}]}`, "thousands"},
		{"a product twice", `{"webhook_type": "price_update", "data": [{"product_code": "A", "price_new": 1}, {"product_code": "A", "price_new": 2}]}`, "listed twice"},
		{"one bad change spoils the delivery", `{"webhook_type": "price_update", "data": [{"product_code": "` + senpay86 + `", "price_new": 1000}, {"product_code": "B", "price_new": -1}]}`, "negative"},
		{"transaction_status without reference", `{"webhook_type": "transaction_status", "status": "success"}`, "no reference"},
		{"transaction_status without status", `{"webhook_type": "transaction_status", "reference": "TRX1"}`, "no status"},
		{"over 1 MiB", `{"webhook_type": "price_update", "data": [], "pad": "` + strings.Repeat("x", maxBody) + `"}`, "over 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.hook(t, tt.body)
			if r.Status != 400 || !strings.Contains(r.Message, tt.want) {
				t.Fatalf("got %d %q, want 400 with %q", r.Status, r.Message, tt.want)
			}
		})
	}
	if after := c.state(t); after != before {
		t.Fatalf("a refused delivery changed the database or the snapshot:\n%s", lineDiff(before, after))
	}
	if got := c.servedItem(t, diamonds86); deref(got.Price) != deref(beforeItem.Price) {
		t.Fatalf("served price: got %v, want %v", deref(got.Price), deref(beforeItem.Price))
	}
}

// TestWebhookPriceUpdate: a price_update from the simulator is served at
// once; a redelivery is not applied again; a rise past a rule's max_price
// blocks the item in the very next read.
func TestWebhookPriceUpdate(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	ctx := context.Background()
	url := c.srv.URL + hookPath
	if p := c.servedItem(t, diamonds86).Price; p == nil || *p != 20350 {
		t.Fatalf("86 diamonds before: got %v, want Isipay's 20350", deref(p))
	}

	// Senpay undercuts Isipay: served as soon as the webhook is answered.
	if err := c.senpay.SendPriceUpdate(ctx, url, []senpaysim.PriceChange{{Code: senpay86, Price: 19000}}); err != nil {
		t.Fatal(err)
	}
	if it := c.servedItem(t, diamonds86); !it.Available || deref(it.Price) != int64(19000) {
		t.Fatalf("86 diamonds after the webhook: got %+v, want 19000", it)
	}

	// Senpay sends it again: answered the same, applied once.
	var body string
	if err := c.db.Read.Get(&body, `SELECT body FROM webhook_inbox ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	version := c.cat.Snapshot().Version
	if r := c.hook(t, body); r.Status != 200 || r.Message != "Harga berhasil diuperbarui" {
		t.Fatalf("redelivery: got %+v", r)
	}
	if n := c.webhookHistory(t, senpay86); n != 1 {
		t.Fatalf("webhook cost history of %s: got %d rows, want 1", senpay86, n)
	}
	if v := c.cat.Snapshot().Version; v != version {
		t.Fatalf("a redelivery published a snapshot: version %d, was %d", v, version)
	}

	// A cap of 20000 on the item; then the cost rises past it at Senpay,
	// and Isipay's 20350 is over the cap too.
	c.createRule(t, `{"name": "86 capped", "match": {"item": "`+diamonds86+`"},
		"action": {"kind": "markup_percent", "value": "0", "plus": 0}, "guard": {"max_price": 20000}}`)
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(19000) {
		t.Fatalf("under the cap: got %+v, want 19000", it)
	}
	if err := c.senpay.SendPriceUpdate(ctx, url, []senpaysim.PriceChange{{Code: senpay86, Price: 30000}}); err != nil {
		t.Fatal(err)
	}
	if it := c.servedItem(t, diamonds86); it.Available || it.Price != nil {
		t.Fatalf("after the rise: got %+v, want blocked (no price, unavailable)", it)
	}
	if ex := c.explain(t, diamonds86, "public"); ex.Blocked == "" {
		t.Fatalf("explanation of the blocked item: got %+v, want why it is blocked", ex)
	}
}

// TestWebhookOutOfOrder: a change dated before the cost syncd holds (a
// sync fetched something newer) is acknowledged and not applied.
func TestWebhookOutOfOrder(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	before := c.servedItem(t, diamonds86)
	body := `{"webhook_type": "price_update", "sent_at": "2024-07-02T13:11:43.249729Z",
		"data": [{"product_code": "` + senpay86 + `", "price_old": 22870, "price_new": 1000}]}`
	if r := c.hook(t, body); r.Status != 200 {
		t.Fatalf("got %+v, want 200", r)
	}
	var cost int64
	if err := c.db.Read.Get(&cost, `SELECT cost FROM offers WHERE supplier = 'senpay' AND code = ?`, senpay86); err != nil || cost != 22870 {
		t.Fatalf("cost: got %d (%v), want the sync's 22870", cost, err)
	}
	if got := c.servedItem(t, diamonds86); deref(got.Price) != deref(before.Price) {
		t.Fatalf("served: got %v, want %v", deref(got.Price), deref(before.Price))
	}
	var outcome string
	if err := c.db.Read.Get(&outcome, `SELECT outcome FROM webhook_inbox`); err != nil || !strings.Contains(outcome, `"stale":["`+senpay86+`"]`) {
		t.Fatalf("stored outcome: got %s (%v), want the change stale", outcome, err)
	}
}

// TestWebhookTransactionStatus: syncd has no orders yet, so every
// transaction is unknown: answered as Senpay's document answers it, kept.
func TestWebhookTransactionStatus(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	doc := `{
    "webhook_type": "transaction_status",
    "reference": "TRX24070385294000934",
    "partner_reference": "INV12345678",
    "status": "success",
    "sn": "N\/A",
    "note": "Transaksi berhasil pada 2024\/07\/02 20:11:27 WIB",
    "sent_at": "2024-07-02T13:11:43.249729Z"
  }`
	for range 2 {
		r := c.hook(t, doc)
		if r.Status != 400 || r.Message != "Transaksi tidak ditemukan: TRX24070385294000934" {
			t.Fatalf("got %+v, want 400 Transaksi tidak ditemukan: TRX24070385294000934", r)
		}
	}
	// From the simulator, for a transaction really made there.
	client := c.sources[senpay.Name].(*senpay.Client)
	trx, err := client.CreateTransaction(context.Background(), senpay.TransactionRequest{
		ProductCode: "FF-BJ-V3FF_ID_100", PartnerReference: "ORD-1-1", Fields: map[string]string{"id": "123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.senpay.SendTransactionStatus(context.Background(), c.srv.URL+hookPath, trx.Reference)
	if err == nil || !strings.Contains(err.Error(), "Transaksi tidak ditemukan: "+trx.Reference) {
		t.Fatalf("simulator's webhook: got %v, want refused as not found", err)
	}

	type row struct {
		Kind        string         `db:"kind"`
		ProcessedAt sql.NullString `db:"processed_at"`
		Outcome     string         `db:"outcome"`
	}
	var rows []row
	if err := c.db.Read.Select(&rows, `SELECT kind, processed_at, outcome FROM webhook_inbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("inbox: got %d rows, want the two distinct deliveries", len(rows))
	}
	for _, r := range rows {
		if r.Kind != "transaction_status" || !r.ProcessedAt.Valid || !strings.Contains(r.Outcome, "Transaksi tidak ditemukan") {
			t.Fatalf("inbox row: got %+v", r)
		}
	}
}

// TestOpenAPIDocumentsWebhookResponses: every status documented for the
// webhook is one a request produces, each checked against its schema.
func TestOpenAPIDocumentsWebhookResponses(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	body := priceUpdateBody(senpay86, 22870, 21000)

	off := newSyncedCatalogEnv(t, withWebhookOff())
	off.hook(t, body)
	maps.Copy(seen, off.seen)

	refused := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: senpayOnly}))
	refused.hook(t, body)
	maps.Copy(seen, refused.seen)

	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	c.hook(t, body)
	c.hook(t, `{`)
	// The database gone: the delivery cannot be stored.
	c.db.Close()
	if r := c.hook(t, priceUpdateBody(senpay86, 22870, 21500)); r.Status != 500 || strings.Contains(r.Message, "closed") {
		t.Fatalf("with the database closed: got %+v, want a 500 that keeps the driver's words to the log", r)
	}
	maps.Copy(seen, c.seen)

	paths, _ := c.doc.root["paths"].(map[string]any)
	post, _ := paths[hookRoute].(map[string]any)["post"].(map[string]any)
	responses, _ := post["responses"].(map[string]any)
	if len(responses) == 0 {
		t.Fatal("the webhook documents no responses")
	}
	for status := range responses {
		if key := "POST " + hookRoute + " " + status; !seen[key] {
			t.Errorf("openapi.json documents %s, but no request produced it", key)
		}
	}
}

// TestWebhookOfAnotherSupplier: /v1/webhooks/{supplier} serves only the
// suppliers that post webhooks; any other name is no endpoint, answered
// as the router answers one (syncd's envelope), and a disabled one is
// answered in its own shape.
func TestWebhookOfAnotherSupplier(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	for _, name := range []string{"isipay", "nobody"} {
		resp, err := c.client.Post(c.srv.URL+"/v1/webhooks/"+name, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"code":"not_found"`) {
			t.Errorf("POST /v1/webhooks/%s: got %d %s, want 404 not_found in syncd's envelope", name, resp.StatusCode, b)
		}
	}
	off := newSyncedCatalogEnv(t, withWebhookOff())
	if r := off.hook(t, priceUpdateBody(senpay86, 22870, 21000)); r.Status != 404 || r.Message != "Senpay webhooks are not enabled on this server" {
		t.Errorf("disabled Senpay: got %+v, want 404 in Senpay's shape, as before the registry", r)
	}
}
