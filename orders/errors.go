package orders

import (
	"fmt"

	"github.com/syncd/syncd/internal/fault"
)

// Errors of the order API, each with its code (fault), which api and the
// console map to a status.
var (
	ErrNotFound = fault.New(fault.OrderNotFound, "order not found")
	// ErrInvalid: the request is malformed or does not fit the catalog.
	// It comes as a validation error naming each field (ErrInvalid
	// .WithFields), and wraps the body's own fault, such as a
	// *strictjson.DuplicateError, when the body as a whole is refused.
	ErrInvalid = fault.New(fault.Validation, "invalid order")
	// ErrReferenceReused: the reference belongs to an order with a
	// different request.
	ErrReferenceReused = fault.New(fault.ReferenceConflict, "reference already used by a different order")
	// ErrPriceChanged: the price shown is not the current price.
	ErrPriceChanged = fault.New(fault.PriceChanged, "price changed")
	// ErrUnavailable: the item cannot be sold now.
	ErrUnavailable = fault.New(fault.ItemUnavailable, "item unavailable")
	// ErrNotReady: syncd has no catalog to sell from yet.
	ErrNotReady = fault.New(fault.CatalogNotReady, "catalog not ready")
	// ErrNotSettleable: only an order in attention can be settled by hand.
	ErrNotSettleable = fault.New(fault.NotSettleable, "order cannot be settled")
)

// invalid refuses a request for one field.
func invalid(field, msg string) *fault.Error {
	return ErrInvalid.WithFields(map[string]string{field: msg})
}

// PriceChangedError carries the price the storefront should show now
// (nil when the item has no price in the tier any more).
type PriceChangedError struct {
	Expected int64
	Current  *int64
}

func (e *PriceChangedError) Error() string {
	if e.Current == nil {
		return fmt.Sprintf("price changed: expected %d, the item has no price now", e.Expected)
	}
	return fmt.Sprintf("price changed: expected %d, the current price is %d", e.Expected, *e.Current)
}

// Unwrap makes a PriceChangedError match ErrPriceChanged, and carry its
// code.
func (e *PriceChangedError) Unwrap() error { return ErrPriceChanged }
