package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"

	"github.com/syncd/syncd/examples/storefront-go/syncdapi"
)

// notifications is the shop's endpoint for syncd's order notifications
// (SYNCD_NOTIFY_URL). syncd POSTs the order as JSON each time its status
// changes, signed with SYNCD_NOTIFY_SECRET in X-Syncd-Signature, and
// sends it again until it gets a 2xx, so the endpoint:
//   - verifies the signature over the exact bytes received, before
//     believing anything in them, and refuses a bad one with 401;
//   - answers 2xx to a delivery it has seen (X-Syncd-Delivery) without
//     acting on it twice;
//   - ignores a notification older than one it has (version), since a
//     retried delivery may arrive after a newer one.
type notifications struct {
	secret string

	mu      sync.Mutex
	seen    map[string]bool         // delivery ids
	latest  map[string]notification // by order id
	changed chan struct{}           // closed and replaced on every change
}

// notification is one verified delivery.
type notification struct {
	delivery string
	order    syncdapi.Order
}

func newNotifications(secret string) *notifications {
	return &notifications{secret: secret, seen: map[string]bool{}, latest: map[string]notification{}, changed: make(chan struct{})}
}

// maxNotification bounds a body: an order is a few hundred bytes.
const maxNotification = 64 << 10

func (n *notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !validSignature(n.secret, body, r.Header.Get("X-Syncd-Signature")) {
		log.Printf("notification refused: bad signature (delivery %q)", r.Header.Get("X-Syncd-Delivery"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if event := r.Header.Get("X-Syncd-Event"); event != string(syncdapi.NotifyEventOrderStatus) {
		w.WriteHeader(http.StatusNoContent) // an event this shop does not follow
		return
	}
	// The callback notifyOrderStatus of createOrder in syncd's document:
	// the body is the order as GET /v1/orders/{id} shows it.
	var o syncdapi.NotifyOrderStatusJSONRequestBody
	if err := json.Unmarshal(body, &o); err != nil || o.Id == "" {
		http.Error(w, "not an order", http.StatusBadRequest)
		return
	}
	n.record(r.Header.Get("X-Syncd-Delivery"), o)
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks X-Syncd-Signature: "sha256=" and the hex
// HMAC-SHA256 of the body under the shared secret, compared in constant
// time.
func validSignature(secret string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(sig, m.Sum(nil))
}

func (n *notifications) record(delivery string, o syncdapi.Order) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[delivery] {
		log.Printf("notification %s again: already taken", delivery)
		return
	}
	n.seen[delivery] = true
	if prev, ok := n.latest[o.Id]; ok && prev.order.Version >= o.Version {
		log.Printf("notification %s: order %s %s (version %d) is older than what the shop has, ignored",
			delivery, o.Id, o.Status, o.Version)
		return
	}
	log.Printf("notification %s: order %s (%s) is %s", delivery, o.Id, o.Reference, o.Status)
	n.latest[o.Id] = notification{delivery: delivery, order: o}
	close(n.changed)
	n.changed = make(chan struct{})
}

// wait returns the notification that order id has status, once it has
// arrived.
func (n *notifications) wait(ctx context.Context, id string, status syncdapi.OrderStatus) (notification, error) {
	for {
		n.mu.Lock()
		got, ok := n.latest[id]
		changed := n.changed
		n.mu.Unlock()
		if ok && got.order.Status == status {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return notification{}, errTimeout
		case <-changed:
		}
	}
}
