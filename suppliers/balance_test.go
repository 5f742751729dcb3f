package suppliers

import (
	"errors"
	"fmt"
	"testing"
)

func TestNoBalance(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&Error{Kind: KindRejected, Message: "Saldo tidak mencukupi"}, true},
		{fmt.Errorf("place: %w", &Error{Kind: KindRejected, Message: "saldo anda kurang"}), true},
		{&Error{Kind: KindRejected, Message: "Insufficient balance"}, true},
		{&Error{Kind: KindRejected, Message: "Produk sedang tidak aktif"}, false},
		{&Error{Kind: KindRejected, Message: "Stok tidak mencukupi"}, false},
		// Only a clear refusal: a 5xx saying so is still an unknown outcome.
		{&Error{Kind: KindUnknownOutcome, Message: "Saldo tidak mencukupi"}, false},
		{errors.New("Saldo tidak mencukupi"), false},
	} {
		if got := NoBalance(tc.err); got != tc.want {
			t.Errorf("NoBalance(%v): got %v, want %v", tc.err, got, tc.want)
		}
	}
}
