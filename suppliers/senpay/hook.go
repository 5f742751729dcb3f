package senpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
)

// Senpay's replies, worded as its document words them ("diuperbarui" is
// the document's own spelling: a sender may compare the text).
const (
	MessagePricesUpdated = "Harga berhasil diuperbarui"
	MessageStatusApplied = "Webhook berhasil diproses"
	messageNoTransaction = "Transaksi tidak ditemukan: "
)

// webhook is Senpay's webhook capability: price_update and
// transaction_status, from the addresses SENPAY_WEBHOOK_ALLOW lists (its
// document names 206.189.83.1), signed only if SENPAY_WEBHOOK_SECRET is
// set, answered {"status": 200, "message": "..."}.
var webhook = &suppliers.Webhook{
	Parse:  parseEvent,
	Access: access,
	Reply: func(status int, message string) any {
		return reply{Status: status, Message: message}
	},
	Messages: suppliers.Messages{
		CostsApplied: MessagePricesUpdated,
		OrderApplied: MessageStatusApplied,
		UnknownOrder: func(txn string) string { return messageNoTransaction + txn },
	},
}

// reply is Senpay's webhook reply shape, which a sender may read.
type reply struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// parseEvent is ParseWebhook in the inbox's terms.
func parseEvent(body []byte) (suppliers.Event, error) {
	w, err := ParseWebhook(body)
	if err != nil {
		return suppliers.Event{}, err
	}
	ev := suppliers.Event{Type: w.Type, SentAt: w.SentAt}
	if u, ok := w.OrderUpdate(); ok {
		ev.Order = &u
		return ev, nil
	}
	ev.Costs = make([]offers.CostChange, len(w.Prices))
	for i, p := range w.Prices {
		ev.Costs[i] = offers.CostChange{Code: p.ProductCode, New: p.New, Raw: p.NewRaw}
		if p.OldRaw != "" {
			old := p.Old
			ev.Costs[i].Old = &old
		}
	}
	return ev, nil
}

// access reads who may send Senpay's webhooks from its settings.
//
// Senpay's document mentions "Invalid signature" without saying how a
// webhook is signed; with SENPAY_WEBHOOK_SECRET set, syncd takes in the
// SENPAY_WEBHOOK_SIGNATURE_HEADER header (X-Signature if empty) either
// the hex HMAC-SHA256 of the raw body under the secret, or the secret
// itself, which is what Senpay's own create-transaction Signature header
// carries.
func access(v suppliers.Values) (suppliers.Access, error) {
	allow, err := suppliers.ParsePrefixes(v[envWebhookAllow])
	if err != nil {
		return suppliers.Access{}, fmt.Errorf("%s: %w", envWebhookAllow, err)
	}
	a := suppliers.Access{Allow: allow}
	if secret := v[envWebhookSecret]; secret != "" {
		header := v[envSignatureHeader]
		if header == "" {
			header = "X-Signature"
		}
		a.Verify = func(h http.Header, body []byte) bool { return signed(body, h.Get(header), secret) }
	}
	return a, nil
}

// signed reports whether sig signs body under secret: the hex HMAC-SHA256
// of the body, or the secret itself. Both compare in constant time.
func signed(body []byte, sig, secret string) bool {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(sig), []byte(secret)) == 1 {
		return true
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
