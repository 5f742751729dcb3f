package pricing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrInvalid is what every *InputError wraps.
var ErrInvalid = errors.New("invalid")

// FieldError says what is wrong with one field. Field is named as in a margin
// rule's JSON ("action.value", "round.step", "guard.max_price").
type FieldError struct {
	Field   string
	Message string
}

// InputError lists every problem found in one value given to pricing, in
// field order. It is pricing's own (see the package doc, Errors): a
// blocked price's reason, never a client's answer.
type InputError struct {
	Fields []FieldError
}

func (e *InputError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Unwrap() error { return ErrInvalid }

// problems collects field errors; err returns nil when there are none, never
// a typed nil.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &InputError{Fields: p}
}

// checkAmount adds a problem unless x is a whole rupiah amount that is
// above zero (positive) or at least zero (not positive), and at most
// MaxPrice.
func (p *problems) checkAmount(field string, x decimal.Decimal, positive bool) {
	switch {
	case !x.IsInteger():
		p.add(field, "must be a whole rupiah amount, got %s", x)
	case positive && x.Sign() <= 0:
		p.add(field, "must be above 0, got %s", x)
	case !positive && x.Sign() < 0:
		p.add(field, "must not be negative, got %s", x)
	default:
		p.checkMax(field, x, maxPrice)
	}
}
