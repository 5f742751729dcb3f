package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/orders"
)

// callback is the one request openapi.json documents for an operation's
// callback: its method's operation object, whatever the URL expression
// it is keyed by.
func (d *apiDoc) callback(method, route, name string) (map[string]any, error) {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[route].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	callbacks, _ := op["callbacks"].(map[string]any)
	cb, err := d.deref(callbacks[name])
	if err != nil {
		return nil, fmt.Errorf("%s %s: callback %s: %w", method, route, name, err)
	}
	if len(cb) != 1 {
		return nil, fmt.Errorf("%s %s: callback %s: got %d URL expressions, want one", method, route, name, len(cb))
	}
	for _, pi := range cb {
		pathItem, _ := pi.(map[string]any)
		if post, ok := pathItem["post"].(map[string]any); ok {
			return post, nil
		}
	}
	return nil, fmt.Errorf("%s %s: callback %s has no post", method, route, name)
}

// checkCallbackRequest holds one request syncd sent to the document's
// callback op: every X-Syncd-* header sent is documented and fits its
// schema (enum, pattern), every required header is sent, and the body
// fits the request body's schema.
func (d *apiDoc) checkCallbackRequest(op map[string]any, h http.Header, body []byte) []string {
	var probs []string
	documented := map[string]bool{}
	for _, p := range asSlice(op["parameters"]) {
		param, err := d.deref(p)
		if err != nil {
			probs = append(probs, err.Error())
			continue
		}
		if param["in"] != "header" {
			continue
		}
		name, _ := param["name"].(string)
		documented[http.CanonicalHeaderKey(name)] = true
		v := h.Get(name)
		if v == "" {
			if req, _ := param["required"].(bool); req {
				probs = append(probs, fmt.Sprintf("header %s: required, not sent", name))
			}
			continue
		}
		schema, err := d.deref(param["schema"])
		if err != nil {
			probs = append(probs, fmt.Sprintf("header %s: %v", name, err))
			continue
		}
		probs = append(probs, d.check(schema, v, "header "+name)...)
		if pat, ok := schema["pattern"].(string); ok && !regexp.MustCompile(pat).MatchString(v) {
			probs = append(probs, fmt.Sprintf("header %s: %q does not match %s", name, v, pat))
		}
	}
	for name := range h {
		if strings.HasPrefix(name, "X-Syncd-") && !documented[name] {
			probs = append(probs, fmt.Sprintf("header %s: sent, but the callback does not document it", name))
		}
	}
	rb, err := d.deref(op["requestBody"])
	if err != nil {
		return append(probs, "requestBody: "+err.Error())
	}
	content, _ := rb["content"].(map[string]any)
	ct := h.Get("Content-Type")
	media, ok := content[ct].(map[string]any)
	if !ok {
		return append(probs, fmt.Sprintf("Content-Type %q: the callback documents %v", ct, sortedMapKeys(content)))
	}
	schema, err := d.deref(media["schema"])
	if err != nil {
		return append(probs, "body schema: "+err.Error())
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return append(probs, fmt.Sprintf("body is not JSON: %v", err))
	}
	return append(probs, d.check(schema, v, "body")...)
}

// TestOpenAPIDocumentsNotifications: what the outbox POSTs to
// SYNCD_NOTIFY_URL is what createOrder's orderStatus callback in
// openapi.json says, for every status an order can be announced in: the
// headers (each documented, fitting its schema, the required ones sent),
// the body (the Order schema, reason and sn included when they are set),
// and a signature that is the documented HMAC of the body.
func TestOpenAPIDocumentsNotifications(t *testing.T) {
	t.Parallel()
	const secret = "n0tify-s3cret"
	type request struct {
		h    http.Header
		body []byte
	}
	var (
		mu  sync.Mutex
		got []request
	)
	oe := &ordersEnv{notifySecret: secret, onNotify: func(h http.Header, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, request{h, body})
	}}
	oe.catalogEnv = newSyncedCatalogEnv(t, withOrders(t, oe))
	oe.isipay.SetBalance(10_000_000)
	oe.admin = oe.token(t, auth.RoleAdmin)

	// processing and attention for each; then an operator settles one as
	// delivered (with a serial) and one as failed (with a reason).
	for _, s := range []struct{ ref, settle string }{
		{"notify-ok", `{"outcome":"succeeded","sn":"SN-0042","note":"delivered, checked with the supplier"}`},
		{"notify-failed", `{"outcome":"failed","note":"never arrived, checked with the supplier"}`},
	} {
		o := oe.toAttention(t, s.ref)
		if resp, b := oe.call(t, "POST", "/v1/orders/"+o.ID+"/settle", oe.admin, s.settle); resp.StatusCode != http.StatusOK {
			t.Fatalf("settle %s: got %d, want 200: %s", s.ref, resp.StatusCode, b)
		}
	}
	if _, err := oe.notifier.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}

	d := loadAPIDoc(t)
	op, err := d.callback("POST", "/v1/orders", "orderStatus")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var statuses []string
	for _, r := range got {
		var o wireOrder
		if err := json.Unmarshal(r.body, &o); err != nil {
			t.Fatalf("notification body: %v: %s", err, r.body)
		}
		statuses = append(statuses, o.Status)
		for _, p := range d.checkCallbackRequest(op, r.h, r.body) {
			t.Errorf("notification of %s %s: %s", o.Reference, o.Status, p)
		}
		if sig, want := r.h.Get("X-Syncd-Signature"), orders.Sign(secret, r.body); sig != want {
			t.Errorf("notification of %s %s: X-Syncd-Signature %q, want %q", o.Reference, o.Status, sig, want)
		}
	}
	slices.Sort(statuses)
	statuses = slices.Compact(statuses)
	if want := []string{"attention", "failed", "processing", "success"}; !slices.Equal(statuses, want) {
		t.Errorf("notified statuses: got %v, want %v", statuses, want)
	}
}

// TestCallbackCheckerCatches: the callback check refuses what it is there
// to refuse.
func TestCallbackCheckerCatches(t *testing.T) {
	d := loadAPIDoc(t)
	op, err := d.callback("POST", "/v1/orders", "orderStatus")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"ord_1","reference":"r","item":"g.i","game":"g","item_name":"n","tier":"public","fields":{},` +
		`"price":1500,"currency":"IDR","status":"success","version":3,"created_at":"2026-12-04T10:00:00Z","updated_at":"2026-12-04T10:00:05Z"}`
	headers := func(kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	good := []string{"X-Syncd-Delivery", "dlv_0123456789abcdef", "X-Syncd-Event", "order.status",
		"X-Syncd-Signature", orders.Sign("s", []byte(body))}
	tests := []struct {
		name string
		h    http.Header
		body string
		want string // substring of a problem; "" for none
	}{
		{"fits", headers(good...), body, ""},
		{"no delivery id", headers(good[2:]...), body, "X-Syncd-Delivery: required"},
		{"another event", headers(append(slices.Clone(good[:2]), "X-Syncd-Event", "order.created")...), body, "is not one of"},
		{"bad signature form", headers(append(slices.Clone(good[:4]), "X-Syncd-Signature", "md5=abc")...), body, "does not match"},
		{"undocumented header", headers(append(slices.Clone(good), "X-Syncd-Attempt", "2")...), body, "X-Syncd-Attempt: sent"},
		{"price as string", headers(good...), strings.Replace(body, `"price":1500`, `"price":"1500"`, 1), "want an integer"},
	}
	for _, tt := range tests {
		probs := strings.Join(d.checkCallbackRequest(op, tt.h, []byte(tt.body)), "\n")
		if tt.want == "" && probs != "" {
			t.Errorf("%s: got problems %s, want none", tt.name, probs)
		}
		if !strings.Contains(probs, tt.want) {
			t.Errorf("%s: got problems %q, want one with %q", tt.name, probs, tt.want)
		}
	}
}
