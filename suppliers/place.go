package suppliers

import (
	"errors"
	"fmt"

	"github.com/syncd/syncd/orders"
)

// PlaceOutcome says what a supplier did with an order whose send failed
// with err, in the order router's terms; duplicate is the adapter's error
// for a refusal of the supplier reference as already used, which means an
// earlier send with it landed (orders.ErrTaken). A refusal for want of
// deposit is also orders.ErrInsufficientBalance. Only a clear refusal, or
// a request that never left, is orders.ErrNotTaken: everything else may
// have created the order (orders.ErrUnknownOutcome). One that never left
// is also orders.ErrUnreachable, for the order path's circuit breaker; one
// syncd refused to send (Error.Unsent, rejected) is also orders.ErrNotSent,
// which the breaker counts neither way.
func PlaceOutcome(err, duplicate error) error {
	if errors.Is(err, duplicate) {
		return orders.ErrTaken
	}
	if NoBalance(err) {
		return fmt.Errorf("%w (%w)", orders.ErrNotTaken, orders.ErrInsufficientBalance)
	}
	switch KindOf(err) {
	case KindRejected:
		if e, ok := errors.AsType[*Error](err); ok && e.Unsent {
			return fmt.Errorf("%w, %w", orders.ErrNotTaken, orders.ErrNotSent)
		}
		return orders.ErrNotTaken
	case KindUnauthorized, KindRateLimited:
		return orders.ErrNotTaken
	case KindUnavailable:
		// Never sent: not taken, and a sign the endpoint is down.
		return fmt.Errorf("%w, %w", orders.ErrNotTaken, orders.ErrUnreachable)
	}
	return orders.ErrUnknownOutcome
}
