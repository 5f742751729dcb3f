package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/orders"
)

const notifySecret = "n0tify-secret"

// notifyReceiver is a storefront's notification endpoint: it takes every
// POST whose signature checks out, and refuses the rest.
type notifyReceiver struct {
	url string
	mu  sync.Mutex
	got []orders.Order
}

func newNotifyReceiver(t *testing.T) *notifyReceiver {
	t.Helper()
	n := &notifyReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if sig := r.Header.Get("X-Syncd-Signature"); sig != orders.Sign(notifySecret, body) {
			t.Errorf("notification signature: got %q, want the body signed with SYNCD_NOTIFY_SECRET", sig)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var o orders.Order
		if err := json.Unmarshal(body, &o); err != nil {
			t.Errorf("notification body: %v: %s", err, body)
		}
		n.mu.Lock()
		n.got = append(n.got, o)
		n.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *notifyReceiver) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.got)
}

// cheapestAt finds an item whose cheapest offer is supplier's, with its
// public price and an answer to each field of its game's form.
func cheapestAt(t *testing.T, snap *catalog.Snapshot, supplier string) (item string, price int64, fields map[string]string) {
	t.Helper()
	for _, g := range snap.GameList() {
		for _, it := range g.Items {
			if p := it.PriceIn("public").Amount; p != nil && it.Chosen != nil && it.Chosen.Supplier == supplier {
				return it.ID, *p, exampleFields(g.Form)
			}
		}
	}
	t.Fatalf("no item is sold by %s", supplier)
	return "", 0, nil
}

// placeOrder posts an order as token and wants it taken (201).
func placeOrder(t *testing.T, base, token, ref, item string, price int64, fields map[string]string) orders.Order {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"reference": ref, "item": item, "expected_price": price, "fields": fields})
	req, _ := http.NewRequest("POST", base+"/v1/orders", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/orders: got %d, want 201: %s", resp.StatusCode, reply)
	}
	var o orders.Order
	if err := json.Unmarshal(reply, &o); err != nil {
		t.Fatalf("POST /v1/orders: %v: %s", err, reply)
	}
	return o
}

// orderStatus waits for an order to reach a final status and returns it.
func orderStatus(t *testing.T, base, token, id string) orders.Order {
	t.Helper()
	var o orders.Order
	waitFor(t, "order "+id+" to finish", func() bool {
		resp, body := get(t, base+"/v1/orders/"+id, token)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /v1/orders/%s: got %d: %s", id, resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatal(err)
		}
		return o.Status.Final()
	})
	return o
}
