package orders

import (
	"context"
	"errors"
	"time"

	"github.com/syncd/syncd/offers"
)

// Supplier is what a supplier must offer for ordering. Its errors say what
// the supplier did with the order, by wrapping one of ErrNotTaken,
// ErrTaken or ErrUnknownOutcome; any other error counts as unknown. A
// purchase that never reached the supplier wraps ErrUnreachable too.
type Supplier interface {
	// Place sends one purchase. It must never retry a send on its own.
	Place(ctx context.Context, p Purchase) (Receipt, error)
	// Check asks where a placed purchase stands, by the supplier's own
	// transaction id (Receipt.Txn). An error leaves the attempt as it was.
	Check(ctx context.Context, txn string) (Receipt, error)
}

// How a supplier failed a purchase.
var (
	// ErrNotTaken: the supplier definitely did not take the order (a
	// clear refusal: inactive product, out of stock, no balance, invalid
	// target, bad credentials; or the request never left syncd). The next
	// candidate may be tried.
	ErrNotTaken = errors.New("supplier did not take the order")
	// ErrTaken: the supplier refused the send because it already has an
	// order with this supplier reference: an earlier send landed. Its
	// status must come from elsewhere (a webhook, an operator).
	ErrTaken = errors.New("supplier already has this order")
	// ErrUnknownOutcome: the order may or may not have been taken (a
	// timeout, a dropped connection, a 5xx, an unreadable reply). Never
	// try another supplier after it.
	ErrUnknownOutcome = errors.New("outcome of the purchase unknown")
	// ErrNotSent: the adapter refused the purchase before sending it (a
	// form value the supplier's format cannot carry). Wrapped beside
	// ErrNotTaken. Nothing reached the supplier, so the circuit breaker
	// counts it neither as an answer nor as a failure.
	ErrNotSent = errors.New("purchase refused before it was sent")
)

// Purchase is one order to place at one supplier.
type Purchase struct {
	// Ref is the supplier reference (partner_reference, referenceNumber):
	// derived from the order and attempt, the same on every resend.
	Ref      string `json:"ref"`
	Code     string `json:"code"`      // the supplier's product code
	GameCode string `json:"game_code"` // the supplier's game
	// Form is the supplier game's own order form; Values are the buyer's
	// answers by canonical key; Settings the game's settings for this
	// supplier (catalog.Game.Settings), if it declares any. The adapter
	// builds its payload from them. Stored as JSON with the attempt and
	// sent again as stored (migration 14 turned the one supplier-named
	// member of older rows into settings).
	Form     []offers.Field    `json:"form"`
	Values   map[string]string `json:"values"`
	Settings map[string]string `json:"settings,omitempty"`
	Cost     int64             `json:"cost"` // what syncd expects to pay
}

// Progress is where a purchase stands, in syncd's terms.
type Progress int

const (
	// InFlight: taken, not yet delivered or failed (unpaid, processing,
	// pending, or a status syncd does not know: an unknown word is never
	// read as a failure, which could buy twice).
	InFlight Progress = iota
	// Delivered: the supplier delivered the item.
	Delivered
	// NotDelivered: final, nothing delivered, money returned (failed,
	// refunded, expired).
	NotDelivered
)

func (p Progress) String() string {
	switch p {
	case Delivered:
		return "delivered"
	case NotDelivered:
		return "not_delivered"
	}
	return "in_flight"
}

// Receipt is a supplier's word on a purchase.
type Receipt struct {
	Txn      string // the supplier's id of the order; "" if it gave none
	Ref      string // our supplier reference, when the supplier echoes it
	Progress Progress
	Status   string // the supplier's own status word, for the record
	SN       string // serial number / proof of delivery
	Note     string
	At       time.Time // when the supplier says the status was reached; zero if not said
}

// Update is a supplier's unsolicited word on a purchase (a status
// webhook). Txn or Ref identifies the attempt.
type Update struct {
	Supplier string
	Receipt
}
