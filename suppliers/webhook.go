package suppliers

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
)

// Webhook is a supplier's webhook capability: how its deliveries read,
// who may send them, and how the supplier expects them answered. The
// inbox parses and applies deliveries with it; the API checks senders and
// answers with it, at /v1/webhooks/{supplier}.
type Webhook struct {
	// Parse reads one delivery, body exactly as sent. An error refuses the
	// body whole: nothing is stored and nothing changes.
	Parse func(body []byte) (Event, error)
	// Access is who may send deliveries, from the supplier's settings
	// (which Descriptor.Check has passed).
	Access func(v Values) (Access, error)
	// Reply is the body answering a delivery with an HTTP status and a
	// message, in the shape the supplier reads; it is sent as JSON, for
	// refusals too.
	Reply func(status int, message string) any
	// Messages are the supplier's own wording of syncd's answers.
	Messages Messages
}

// Access is who may send a supplier's webhooks.
type Access struct {
	// Allow are the sender addresses taken; any other gets 403.
	Allow []netip.Prefix
	// Verify, when set, says whether a delivery carries a valid signature
	// (400 if not); nil: none is checked.
	Verify func(h http.Header, body []byte) bool
}

// Messages word syncd's answers to deliveries as the supplier's document
// does (a sender may compare the text).
type Messages struct {
	CostsApplied string // new costs stored
	OrderApplied string // an order's status taken
	// UnknownOrder answers a status for a transaction (the supplier's id)
	// that is not one of syncd's orders.
	UnknownOrder func(txn string) string
}

// Event is one parsed delivery. Order set: a purchase's new status;
// otherwise new costs of some of the supplier's products (Costs, maybe
// none).
type Event struct {
	// Type is the supplier's name for the delivery ("price_update"),
	// stored with it.
	Type string
	// SentAt is when the supplier says it sent the delivery; zero if it
	// does not say. A cost update is dated by it, never later than its
	// receipt.
	SentAt time.Time
	Costs  []offers.CostChange
	Order  *orders.Update
}
