package senpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/suppliers"
)

// Webhook types Senpay posts.
const (
	WebhookPriceUpdate       = "price_update"
	WebhookTransactionStatus = "transaction_status"
)

// Webhook is one notification from Senpay. Exactly one of Prices and Status
// is set, according to Type. Checking where it came from (Senpay documents
// an IP allow-list, 206.189.83.1, and no signature) is the receiver's job.
type Webhook struct {
	Type   string
	Prices []PriceChange // price_update
	Status *StatusUpdate // transaction_status
	// SentAt is the body's sent_at, zero if absent or null (a sent_at
	// that is not an RFC 3339 time refuses the body). Senpay's document
	// shows it on transaction_status only; a price_update that carries
	// one is dated by it.
	SentAt time.Time
}

// PriceChange is one product's new cost. OldRaw/NewRaw keep the text as
// sent; Old is zero and OldRaw empty when Senpay omitted price_old.
type PriceChange struct {
	ProductCode string
	Old, New    decimal.Decimal
	OldRaw      string
	NewRaw      string
}

// StatusUpdate is a transaction reaching success, failed or expired. It
// carries partner_reference as well as Senpay's reference, which makes it
// the one way to learn the fate of a create whose reply was lost.
type StatusUpdate struct {
	Reference        string
	PartnerReference string
	Status           string // lower-cased, otherwise as sent
	SN               string
	Note             string
	SentAt           time.Time // zero if absent
}

type wireWebhook struct {
	Type             suppliers.Text  `json:"webhook_type"`
	Data             json.RawMessage `json:"data"`
	Reference        suppliers.Text  `json:"reference"`
	PartnerReference suppliers.Text  `json:"partner_reference"`
	Status           suppliers.Text  `json:"status"`
	SN               suppliers.Text  `json:"sn"`
	Note             suppliers.Text  `json:"note"`
	SentAt           *suppliers.Text `json:"sent_at"` // nil if absent or null
}

type wirePriceChange struct {
	ProductCode suppliers.Text   `json:"product_code"`
	PriceOld    suppliers.Amount `json:"price_old"`
	PriceNew    suppliers.Amount `json:"price_new"`
}

// ParseWebhook reads a webhook body. It is read strictly (strictjson: a
// member repeated at any depth, or named in another case, refuses the
// body; members syncd does not know are let pass, as Senpay may add
// some). A price_update must name each product once with a sane new
// price; a transaction_status must carry a reference and a status; a
// sent_at, if there is one, must be an RFC 3339 time. Anything else is
// refused whole, so the receiver can answer 400 and change nothing.
func ParseWebhook(body []byte) (*Webhook, error) {
	body = bytes.TrimPrefix(body, bom)
	var w wireWebhook
	if err := strictjson.DecodeOpen(body, &w); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("senpay webhook: empty body")
		}
		return nil, fmt.Errorf("senpay webhook: %w", err)
	}
	var sentAt time.Time
	if w.SentAt != nil {
		// Read silently as "no date", "yesterday" would date a change by
		// its arrival instead: the sender meant something we cannot know.
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(*w.SentAt)))
		if err != nil {
			return nil, fmt.Errorf("senpay webhook: sent_at %q is not an RFC 3339 time", suppliers.Snippet([]byte(*w.SentAt)))
		}
		sentAt = t
	}
	switch string(w.Type) {
	case WebhookPriceUpdate:
		prices, err := priceChanges(w.Data)
		if err != nil {
			return nil, fmt.Errorf("senpay webhook price_update: %w", err)
		}
		return &Webhook{Type: WebhookPriceUpdate, Prices: prices, SentAt: sentAt}, nil
	case WebhookTransactionStatus:
		if blank(w.Reference) {
			return nil, errors.New("senpay webhook transaction_status: no reference")
		}
		if blank(w.Status) {
			return nil, fmt.Errorf("senpay webhook transaction_status %s: no status", w.Reference)
		}
		return &Webhook{Type: WebhookTransactionStatus, Status: &StatusUpdate{
			Reference:        string(w.Reference),
			PartnerReference: string(w.PartnerReference),
			Status:           strings.ToLower(strings.TrimSpace(string(w.Status))),
			SN:               string(w.SN),
			Note:             string(w.Note),
			SentAt:           sentAt,
		}, SentAt: sentAt}, nil
	default:
		return nil, fmt.Errorf("senpay webhook: unknown webhook_type %q", suppliers.Snippet([]byte(w.Type)))
	}
}

func priceChanges(data json.RawMessage) ([]PriceChange, error) {
	if isNull(data) {
		return nil, errors.New("no data")
	}
	var wire []wirePriceChange
	if err := strictjson.DecodeOpen(data, &wire); err != nil {
		return nil, err
	}
	out := make([]PriceChange, 0, len(wire))
	seen := make(map[string]bool, len(wire))
	for i, w := range wire {
		if blank(w.ProductCode) {
			return nil, fmt.Errorf("item %d: no product_code", i)
		}
		code := string(w.ProductCode)
		// Two new prices for one product in one notification: no way to
		// tell which is current.
		if seen[code] {
			return nil, fmt.Errorf("product %q listed twice", code)
		}
		seen[code] = true
		if !w.PriceNew.Set {
			return nil, fmt.Errorf("product %q: no price_new", code)
		}
		if err := suppliers.CheckPrice(w.PriceNew.Value); err != nil {
			return nil, fmt.Errorf("product %q: price_new: %w", code, err)
		}
		if w.PriceOld.Set {
			if err := suppliers.CheckPrice(w.PriceOld.Value); err != nil {
				return nil, fmt.Errorf("product %q: price_old: %w", code, err)
			}
		}
		out = append(out, PriceChange{
			ProductCode: code,
			Old:         w.PriceOld.Value,
			OldRaw:      w.PriceOld.Raw,
			New:         w.PriceNew.Value,
			NewRaw:      w.PriceNew.Raw,
		})
	}
	return out, nil
}
