package orders

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of the order API, each mapped to one HTTP status by the api
// package.
var (
	ErrNotFound = errors.New("order not found")
	// ErrInvalid: the request is malformed or does not fit the catalog.
	ErrInvalid = errors.New("invalid order")
	// ErrReferenceReused: the reference belongs to an order with a
	// different request.
	ErrReferenceReused = errors.New("reference already used by a different order")
	// ErrPriceChanged: the price shown is not the current price.
	ErrPriceChanged = errors.New("price changed")
	// ErrUnavailable: the item cannot be sold now.
	ErrUnavailable = errors.New("item unavailable")
	// ErrNotReady: syncd has no catalog to sell from yet.
	ErrNotReady = errors.New("catalog not ready")
	// ErrNotSettleable: only an order in attention can be settled by hand.
	ErrNotSettleable = errors.New("order cannot be settled")
)

// ValidationError says what is wrong with each field of a request.
type ValidationError struct {
	Fields map[string]string
	// Err is the cause of a complaint about the body as a whole, such as
	// a *strictjson.DuplicateError; nil otherwise.
	Err error
}

func invalid(field, msg string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: msg}}
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid order: " + strings.Join(parts, "; ")
}

// FieldErrors is the per-field detail the API returns.
func (e *ValidationError) FieldErrors() map[string]string { return e.Fields }

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap is the body's fault under the complaint, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

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

func (e *PriceChangedError) Is(target error) bool { return target == ErrPriceChanged }
