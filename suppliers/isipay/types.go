package isipay

import "github.com/shopspring/decimal"

// Name identifies Isipay everywhere: errors, logs, stored offers, URLs.
const Name = "isipay"

// Order status values. Isipay's document shows only "Success"; the others are
// what the simulator sends and what Isipay's dashboard wording suggests. An
// OrderStatus carries the value exactly as sent, so the order router must
// treat any value it does not know as still in progress and surface it.
const (
	StatusSuccess = "Success" // documented
	StatusPending = "Pending" // assumed: accepted, not yet delivered
	StatusFailed  = "Failed"  // assumed: final, not delivered
)

// Account is the reseller account behind the API token.
type Account struct {
	Name       string
	Email      string
	Phone      string // "telp" on the wire
	Membership string // price tier at Isipay, e.g. "Gold"
	Balance    decimal.Decimal
}

// Product is a game Isipay sells top-ups for, e.g. "mobile-legends".
type Product struct {
	Code   string
	Name   string
	Active bool
}

// Variant is one orderable item of a product. Its Code is what an order
// names; Isipay's order request has no product field, so variant codes are
// unique across the whole catalog.
type Variant struct {
	ID     string // Isipay's numeric id, as text; informational only
	Code   string // e.g. "MLBB_ID_86"
	Name   string // e.g. "86 (78+8) Diamonds"
	Active bool
	// Price is the cost to us, possibly with a fraction; PriceRaw is the text
	// as sent, kept for audit.
	Price    decimal.Decimal
	PriceRaw string
	// ProcessDuration is passed on as sent: its unit is not documented and
	// the document's only example is "0".
	ProcessDuration string
}

// OrderRequest is one purchase. Data is the customer's target in the free
// form Isipay takes (for Mobile Legends "user id" and "zone id" together,
// e.g. "12345678(1234)"); Isipay has no per-game form to validate against.
type OrderRequest struct {
	Code            string // the variant code
	ReferenceNumber string // ours, unique per attempt; see Client.Order
	Data            string
}

// Order is Isipay's acknowledgement of an order.
type Order struct {
	InvoiceNumber string // e.g. "RZ-RAPI123456789"
}

// OrderStatus is where an order stands at Isipay.
type OrderStatus struct {
	InvoiceNumber string
	ProductName   string
	UserData      string
	// StatusCode is sent as is: StatusSuccess, or a value the order router
	// maps (see the Status constants).
	StatusCode string
}
