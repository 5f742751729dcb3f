package pricing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dp(s string) *decimal.Decimal {
	v := d(s)
	return &v
}

// checkFields fails unless err names exactly the fields in want, in order,
// and wraps ErrInvalid; want empty means err must be nil.
func checkFields(t *testing.T, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	var ve *InputError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("got error %v, want an *InputError wrapping ErrInvalid", err)
	}
	var got []string
	for _, f := range ve.Fields {
		got = append(got, f.Field)
	}
	if len(got) != len(want) {
		t.Fatalf("got fields %q, want %q (%v)", got, want, err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got fields %q, want %q (%v)", got, want, err)
		}
		if ve.Fields[i].Message == "" {
			t.Fatalf("field %s has no message", got[i])
		}
	}
}

func TestActionValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Action
		want []string
	}{
		{"markup 7", Action{Kind: MarkupPercent, Value: d("7")}, nil},
		{"markup discount", Action{Kind: MarkupPercent, Value: d("-99.99")}, nil},
		{"markup -100 sells for nothing", Action{Kind: MarkupPercent, Value: d("-100")}, []string{"action.value"}},
		{"margin 0", Action{Kind: MarginPercent, Value: d("0")}, nil},
		{"margin 99.99", Action{Kind: MarginPercent, Value: d("99.99")}, nil},
		{"margin 100 divides by zero", Action{Kind: MarginPercent, Value: d("100")}, []string{"action.value"}},
		{"margin negative", Action{Kind: MarginPercent, Value: d("-1")}, []string{"action.value"}},
		{"cost_plus negative", Action{Kind: CostPlus, Value: d("-300")}, nil},
		{"cost_plus fraction", Action{Kind: CostPlus, Value: d("0.5")}, []string{"action.value"}},
		{"fixed 15000", Action{Kind: FixedPrice, Value: d("15000")}, nil},
		{"fixed 0", Action{Kind: FixedPrice, Value: d("0")}, []string{"action.value"}},
		{"fixed fraction", Action{Kind: FixedPrice, Value: d("14999.5")}, []string{"action.value"}},
		{"plus 250", Action{Kind: FixedPrice, Value: d("1"), Plus: d("250")}, nil},
		{"plus negative", Action{Kind: MarkupPercent, Plus: d("-1")}, []string{"action.plus"}},
		{"plus fraction", Action{Kind: MarkupPercent, Plus: d("0.5")}, []string{"action.plus"}},
		{"unknown kind and bad plus", Action{Kind: "percent", Plus: d("-1")}, []string{"action.kind", "action.plus"}},
		{"empty kind", Action{}, []string{"action.kind"}},
		// The limits (issue 12): the values that overflowed a price.
		{"margin 99.999999999999", Action{Kind: MarginPercent, Value: d("99.999999999999")}, []string{"action.value"}},
		{"margin 99.9999", Action{Kind: MarginPercent, Value: d("99.9999")}, nil},
		{"margin trailing zeros", Action{Kind: MarginPercent, Value: d("7.50000000")}, nil},
		{"markup 112460000000000000", Action{Kind: MarkupPercent, Value: d("112460000000000000")}, []string{"action.value"}},
		{"markup 138302174791644499.010346378767", Action{Kind: MarkupPercent, Value: d("138302174791644499.010346378767")}, []string{"action.value"}},
		{"markup 1000", Action{Kind: MarkupPercent, Value: d("1000")}, nil},
		{"markup 1000.0001", Action{Kind: MarkupPercent, Value: d("1000.0001")}, []string{"action.value"}},
		{"markup 7.12345", Action{Kind: MarkupPercent, Value: d("7.12345")}, []string{"action.value"}},
		{"cost_plus at the cap", Action{Kind: CostPlus, Value: d("-1000000000")}, nil},
		{"cost_plus past the cap", Action{Kind: CostPlus, Value: d("1000000001")}, []string{"action.value"}},
		{"fixed at the cap", Action{Kind: FixedPrice, Value: d("1000000000")}, nil},
		{"fixed past the cap", Action{Kind: FixedPrice, Value: d("1000000001")}, []string{"action.value"}},
		{"plus past the cap", Action{Kind: CostPlus, Plus: d("9223372036854775808")}, []string{"action.plus"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFields(t, tc.a.Validate(), tc.want...) })
	}
}

func TestGridValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Grid
		want []string
	}{
		{"default", DefaultGrid(), nil},
		{"step 1000 ending 900", Grid{Step: d("1000"), Ending: d("900"), Mode: RoundNearest}, nil},
		{"zero grid", Grid{}, []string{"round.step", "round.mode"}},
		{"negative step", Grid{Step: d("-100"), Mode: RoundUp}, []string{"round.step"}},
		{"fractional step", Grid{Step: d("0.5"), Mode: RoundUp}, []string{"round.step"}},
		{"ending equals step", Grid{Step: d("100"), Ending: d("100"), Mode: RoundUp}, []string{"round.ending"}},
		{"negative ending", Grid{Step: d("100"), Ending: d("-1"), Mode: RoundUp}, []string{"round.ending"}},
		{"fractional ending", Grid{Step: d("100"), Ending: d("99.5"), Mode: RoundUp}, []string{"round.ending"}},
		{"unknown mode", Grid{Step: d("100"), Mode: "ceil"}, []string{"round.mode"}},
		{"step past the cap", Grid{Step: d("1000000001"), Mode: RoundUp}, []string{"round.step"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFields(t, tc.g.Validate(), tc.want...) })
	}
}

func TestGuardValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Guard
		want []string
	}{
		{"empty", Guard{}, nil},
		{"all set", Guard{MinMarginPercent: dp("2.5"), MinMarginAmount: dp("100"), MaxPrice: dp("20000")}, nil},
		{"zeros", Guard{MinMarginPercent: dp("0"), MinMarginAmount: dp("0")}, nil},
		{"negative percent", Guard{MinMarginPercent: dp("-1")}, []string{"guard.min_margin_percent"}},
		{"fractional amount", Guard{MinMarginAmount: dp("0.5")}, []string{"guard.min_margin_amount"}},
		{"negative amount", Guard{MinMarginAmount: dp("-100")}, []string{"guard.min_margin_amount"}},
		{"zero max price", Guard{MaxPrice: dp("0")}, []string{"guard.max_price"}},
		{"percent past the limit", Guard{MinMarginPercent: dp("1000.5")}, []string{"guard.min_margin_percent"}},
		{"percent too fine", Guard{MinMarginPercent: dp("2.00001")}, []string{"guard.min_margin_percent"}},
		{"amount past the cap", Guard{MinMarginAmount: dp("1000000001")}, []string{"guard.min_margin_amount"}},
		{"max price past the cap", Guard{MaxPrice: dp("99999999999999999999")}, []string{"guard.max_price"}},
		{"all wrong", Guard{MinMarginPercent: dp("-1"), MinMarginAmount: dp("-1"), MaxPrice: dp("1.5")},
			[]string{"guard.min_margin_percent", "guard.min_margin_amount", "guard.max_price"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFields(t, tc.g.Validate(), tc.want...) })
	}
}

func TestRupiah(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1000000000", 1_000_000_000, true},
		{"-5", -5, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false}, // IntPart wraps this to a negative
		{"127900000000000000000", 0, false},
		{"-9223372036854775809", 0, false},
		{"12.5", 0, false},
		{"12.000", 12, true},
	} {
		got, err := Rupiah(d(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Rupiah(%s): got %d, %v; want %d, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrRange) {
			t.Errorf("Rupiah(%s): error %v does not wrap ErrRange", tc.in, err)
		}
	}
}
