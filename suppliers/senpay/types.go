package senpay

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

// Name identifies Senpay in errors, logs and stored offers.
const Name = "senpay"

// Provider is a Senpay provider: one channel through which Senpay sells one
// game (several providers may sell the same game).
type Provider struct {
	ID      string
	Code    string // e.g. "FFMAX-BJ-V3"; products are listed by it
	Name    string
	Active  bool
	Icon    string
	IconURL string
	// Form lists the fields an order for this provider must carry, each
	// sent as a top-level string under its Key.
	Form []offers.Field
}

// Product is one item Senpay sells.
type Product struct {
	ID     string
	Code   string // the full code ordered as target_product_code
	Name   string
	Active bool
	// Price is Senpay's cost to us; PriceRaw is the text as sent, kept for
	// audit because it may carry a fraction ("1864.50").
	Price        decimal.Decimal
	PriceRaw     string
	ProviderCode string
	ProviderName string
}

// Transaction statuses Senpay documents. Others are passed through as sent:
// deciding what an unknown status means is the order router's call.
const (
	StatusUnpaid     = "unpaid"
	StatusProcessing = "processing"
	StatusSuccess    = "success"
	StatusFailed     = "failed"
	StatusRefund     = "refund"
	StatusExpired    = "expired"
)

// Transaction is an order at Senpay, as returned by create and by the status
// lookup. Create fills Price; the lookup fills StatusAt, SN, Note and
// CreatedAt. Fields Senpay did not send are zero.
type Transaction struct {
	Reference        string // Senpay's reference, the only key of the status lookup
	PartnerReference string // ours, unique per 24 hours
	Provider         string // provider name, for display
	Product          string // product name, for display
	Price            decimal.Decimal
	PriceRaw         string // "" when Senpay did not send a price
	Status           string
	StatusAt         time.Time
	SN               string
	Note             string
	WebhookSent      bool
	CreatedAt        time.Time
	InvoiceURL       string
}

// Final reports whether Status can no longer change. Refund counts: the
// money came back, the item was not delivered.
func (t Transaction) Final() bool {
	switch t.Status {
	case StatusSuccess, StatusFailed, StatusRefund, StatusExpired:
		return true
	}
	return false
}

// TransactionRequest is one order to place.
type TransactionRequest struct {
	ProductCode string
	// PartnerReference must be unique at Senpay for 24 hours. Derive it from
	// the order and attempt so a retry after a crash reuses it.
	PartnerReference string
	// Fields holds the provider's form values by form key ("id", "server").
	Fields map[string]string
}
