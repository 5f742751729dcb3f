package offers

import (
	"context"
	"errors"

	"github.com/shopspring/decimal"
)

// ErrUnauthorized is what a Source's error wraps when the supplier refused
// syncd's credentials (a bad key, an address not whitelisted). Unlike any
// other failed sync, it stops the supplier's offers from being sold at
// once: its order endpoint would refuse syncd too.
var ErrUnauthorized = errors.New("supplier refused syncd's credentials")

// Source is what a supplier must offer to be synced: its whole catalog,
// fetched at once. An error means the fetch as a whole failed; a partial
// catalog must never be returned, because offers missing from it would be
// marked removed. An error wrapping ErrUnauthorized says the supplier
// refused syncd's credentials.
type Source interface {
	FetchCatalog(ctx context.Context) (*SupplierCatalog, error)
}

// SupplierCatalog is one supplier's catalog as fetched, in the supplier's
// own terms.
type SupplierCatalog struct {
	Games  []SupplierGame
	Offers []Offer
}

// SupplierGame is a supplier's grouping of products, by whatever name the
// supplier gives it (a provider "FFMAX-BJ-V3", a product "mobile-legends").
type SupplierGame struct {
	Code    string
	Name    string
	Active  bool
	IconURL string
	// Form lists the fields the supplier needs with an order. Empty when the
	// supplier does not say (one that takes a free-form string built by a
	// game setting, say).
	Form []Field
}

// Field is one input the supplier needs with an order.
type Field struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"` // "text" or "dropdown"
	Options []Option `json:"options,omitempty"`
}

// Option is one choice of a dropdown field.
type Option struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// Offer is one product a supplier sells, as fetched.
type Offer struct {
	Code     string // the supplier's product code, used to order it
	GameCode string // SupplierGame.Code it belongs to
	Name     string
	// Cost as the supplier sent it, possibly with a fraction; Sync stores it
	// rounded up to a whole rupiah and keeps CostRaw for audit.
	Cost    decimal.Decimal
	CostRaw string
	Active  bool
	// ProcessDuration is how long the supplier says delivery takes, as
	// sent (the unit is the supplier's); empty when it does not say.
	ProcessDuration string
}
