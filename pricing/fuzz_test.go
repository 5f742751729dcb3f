package pricing

import (
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
)

// fuzzInput builds a valid Input from fuzzed integers: costs with two
// decimals, percentages with up to four and as high as the limits allow
// (so margin_percent 99.9999 drives a price past MaxPrice), whole amounts,
// steps up to 5000, and up to three guards.
func fuzzInput(cost uint32, kind uint8, value int32, plus, step, ending uint16, mode, guards uint8, amount, pct uint16, maxPrice uint32) Input {
	v := int64(value)
	if v < 0 {
		v = -v
	}
	var a Action
	switch kind % 4 {
	case 0: // −99.99 .. 1000.00
		a = Action{Kind: MarkupPercent, Value: decimal.New(v%110000-9999, -2)}
	case 1: // 0 .. 99.9999
		a = Action{Kind: MarginPercent, Value: decimal.New(v%1_000_000, -4)}
	case 2: // −500000 .. 500000
		a = Action{Kind: CostPlus, Value: decimal.NewFromInt(int64(value) % 500001)}
	case 3:
		a = Action{Kind: FixedPrice, Value: decimal.NewFromInt(1 + v%MaxPrice)}
	}
	a.Plus = decimal.NewFromInt(int64(plus % 10000))
	s := int64(step%5000) + 1
	g := Grid{Step: decimal.NewFromInt(s), Ending: decimal.NewFromInt(int64(ending) % s), Mode: []Mode{RoundUp, RoundDown, RoundNearest}[mode%3]}
	in := Input{Cost: decimal.New(int64(cost%100_000_000), -2), Action: a, Grid: g}
	if guards&1 != 0 {
		in.Guards = append(in.Guards, Guard{Source: "global", MinMarginAmount: ptr(decimal.NewFromInt(int64(amount % 50000)))})
	}
	if guards&2 != 0 {
		in.Guards = append(in.Guards, Guard{Source: "rule-1", MinMarginPercent: ptr(decimal.New(int64(pct%5000), -2)),
			MaxPrice: ptr(decimal.NewFromInt(1 + int64(maxPrice%2_000_000)))})
	}
	if guards&4 != 0 {
		in.Guards = append(in.Guards, Guard{Source: "rule-2", MaxPrice: ptr(decimal.NewFromInt(1 + int64(maxPrice/3%2_000_000)))})
	}
	return in
}

func ptr(x decimal.Decimal) *decimal.Decimal { return &x }

func FuzzPrice(f *testing.F) {
	// cost in cents, kind, value, plus, step, ending, mode, guards, amount, pct, max price, cost rise in cents
	f.Add(uint32(1_000_000), uint8(0), int32(10700), uint16(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint16(0), uint32(0), uint32(100))
	f.Add(uint32(1_500_000), uint8(0), int32(9999), uint16(0), uint16(99), uint16(0), uint8(0), uint8(3), uint16(50), uint16(0), uint32(15079), uint32(5000)) // blocked: floor 15050, ceiling 15080, step 100
	f.Add(uint32(186_450), uint8(1), int32(3000), uint16(100), uint16(999), uint16(900), uint8(2), uint8(1), uint16(300), uint16(0), uint32(0), uint32(1))
	f.Add(uint32(1_300_000), uint8(0), int32(19999), uint16(0), uint16(999), uint16(900), uint8(1), uint8(6), uint16(0), uint16(250), uint32(1_400_000), uint32(7))
	f.Add(uint32(1_000_000), uint8(3), int32(9000), uint16(0), uint16(0), uint16(0), uint8(0), uint8(2), uint16(0), uint16(0), uint32(9499), uint32(0))
	f.Add(uint32(0), uint8(2), int32(-300), uint16(500), uint16(499), uint16(99), uint8(2), uint8(7), uint16(10), uint16(10), uint32(12345), uint32(99999))
	f.Add(uint32(1_333_800), uint8(1), int32(999_999), uint16(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint16(0), uint32(0), uint32(0))     // margin 99.9999% on 13338: past MaxPrice, blocked
	f.Add(uint32(99_999_999), uint8(0), int32(109_999), uint16(9999), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint16(0), uint32(0), uint32(0)) // markup 1000% on ~1M: 11M, sells
	f.Fuzz(func(t *testing.T, cost uint32, kind uint8, value int32, plus, step, ending uint16, mode, guards uint8, amount, pct uint16, maxPrice, rise uint32) {
		in := fuzzInput(cost, kind, value, plus, step, ending, mode, guards, amount, pct, maxPrice)
		q := Price(in)
		g := in.Grid
		if q.Reason != "" && !q.Blocked {
			t.Fatalf("reason %q on a sellable quote", q.Reason)
		}
		if q.Floor.LessThan(in.Cost) {
			t.Fatalf("floor %s below cost %s", q.Floor, in.Cost)
		}
		// Blocked when no grid price lies in [floor, ceiling]; otherwise
		// only when the price would pass MaxPrice (the oracle checks which).
		noRoom := q.Ceiling != nil && g.Up(q.Floor).GreaterThan(*q.Ceiling)
		if noRoom && !q.Blocked {
			t.Fatalf("sells at %s, but first grid price over floor %s is %s, ceiling %s", q.Price, q.Floor, g.Up(q.Floor), show(q.Ceiling))
		}
		if !q.Blocked {
			if n, err := Rupiah(q.Price); err != nil || n > MaxPrice || n < 0 {
				t.Fatalf("price %s is no amount to publish: %d, %v", q.Price, n, err)
			}
			switch {
			case !g.Contains(q.Price) || !q.Price.IsInteger() || !g.Round(q.Price).Equal(q.Price):
				t.Fatalf("price %s is not on the grid %s", q.Price, g)
			case q.Price.LessThan(q.Floor):
				t.Fatalf("price %s below floor %s", q.Price, q.Floor)
			case q.Ceiling != nil && q.Price.GreaterThan(*q.Ceiling):
				t.Fatalf("price %s above ceiling %s", q.Price, *q.Ceiling)
			}
		}
		if want, blocked := oracle(in); blocked != q.Blocked || (!blocked && want.Cmp(q.Price.Rat()) != 0) {
			t.Fatalf("got price %s blocked %t, exact arithmetic gives %s blocked %t", q.Price, q.Blocked, want.RatString(), blocked)
		}
		if again := Price(in); !sameQuote(q, again) {
			t.Fatalf("pricing twice differs: %+v and %+v", q, again)
		}
		if got, err := Replay(q); err != nil || !got.Equal(q.Price) {
			t.Fatalf("Replay: got %s, %v, want %s", got, err, q.Price)
		}
		// Amount, the bulk path without a trace, gives the same answer.
		if p, blocked, reason := Amount(in); !p.Equal(q.Price) || blocked != q.Blocked || reason != q.Reason {
			t.Fatalf("Amount: got %s %v %q, Price gave %s %v %q", p, blocked, reason, q.Price, q.Blocked, q.Reason)
		}

		// Monotone: a higher cost under the same rules never lowers the
		// price, and never unblocks (the floor only rises).
		higher := in
		higher.Cost = in.Cost.Add(decimal.New(int64(rise%10_000_000), -2))
		q2 := Price(higher)
		if q.Blocked && !q2.Blocked {
			t.Fatalf("cost %s blocked, higher cost %s sells at %s", in.Cost, higher.Cost, q2.Price)
		}
		if !q.Blocked && !q2.Blocked && q2.Price.LessThan(q.Price) {
			t.Fatalf("cost %s gives %s, higher cost %s gives lower %s", in.Cost, q.Price, higher.Cost, q2.Price)
		}
	})
}

func sameQuote(a, b Quote) bool {
	if !a.Price.Equal(b.Price) || a.Blocked != b.Blocked || a.Reason != b.Reason || !a.Floor.Equal(b.Floor) ||
		!sameCeiling(a.Ceiling, b.Ceiling) || !a.Margin.Equal(b.Margin) || !a.MarginPercent.Equal(b.MarginPercent) ||
		!a.MarkupPercent.Equal(b.MarkupPercent) || len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.Stage != y.Stage || !x.In.Equal(y.In) || !x.Out.Equal(y.Out) || x.Detail != y.Detail {
			return false
		}
	}
	return true
}

// oracle prices in with exact rational arithmetic, in closed form rather
// than stage by stage: price = min(max(round(raw), up(floor)), down(ceiling)),
// blocked when up(floor) > ceiling or the price is above MaxPrice.
func oracle(in Input) (*big.Rat, bool) {
	r := func(x decimal.Decimal) *big.Rat { return x.Rat() }
	c, v, s, e := r(in.Cost), r(in.Action.Value), r(in.Grid.Step), r(in.Grid.Ending)
	one, hundredR := big.NewRat(1, 1), big.NewRat(100, 1)
	pct := func(x *big.Rat) *big.Rat { // 1 + x/100
		return new(big.Rat).Add(one, new(big.Rat).Quo(x, hundredR))
	}
	var raw *big.Rat
	switch in.Action.Kind {
	case MarkupPercent:
		raw = new(big.Rat).Mul(c, pct(v))
	case MarginPercent:
		raw = new(big.Rat).Quo(c, new(big.Rat).Sub(one, new(big.Rat).Quo(v, hundredR)))
	case CostPlus:
		raw = new(big.Rat).Add(c, v)
	case FixedPrice:
		raw = new(big.Rat).Set(v)
	}
	raw.Add(raw, r(in.Action.Plus))

	// k = floor((x−e)/s), kept ≥ 0; big.Int.Div floors for a positive divisor.
	at := func(x *big.Rat, up bool) *big.Rat {
		t := new(big.Rat).Quo(new(big.Rat).Sub(x, e), s)
		k := new(big.Int).Div(t.Num(), t.Denom())
		if up && !t.IsInt() {
			k.Add(k, big.NewInt(1))
		}
		if k.Sign() < 0 {
			k.SetInt64(0)
		}
		return new(big.Rat).Add(new(big.Rat).Mul(new(big.Rat).SetInt(k), s), e)
	}
	price := at(raw, in.Grid.Mode != RoundDown)
	if in.Grid.Mode == RoundNearest {
		lo, hi := at(raw, false), at(raw, true)
		twice := new(big.Rat).Add(raw, raw)
		if twice.Cmp(new(big.Rat).Add(lo, hi)) < 0 {
			price = lo
		} else {
			price = hi
		}
	}

	floor := new(big.Rat).Set(c)
	var ceiling *big.Rat
	for _, g := range in.Guards {
		if g.MinMarginAmount != nil {
			floor = maxRat(floor, new(big.Rat).Add(c, r(*g.MinMarginAmount)))
		}
		if g.MinMarginPercent != nil {
			floor = maxRat(floor, new(big.Rat).Mul(c, pct(r(*g.MinMarginPercent))))
		}
		if g.MaxPrice != nil && (ceiling == nil || r(*g.MaxPrice).Cmp(ceiling) < 0) {
			ceiling = r(*g.MaxPrice)
		}
	}
	lowest := at(floor, true)
	if ceiling != nil && lowest.Cmp(ceiling) > 0 {
		return new(big.Rat), true
	}
	price = maxRat(price, lowest)
	if ceiling != nil && price.Cmp(ceiling) > 0 {
		price = at(ceiling, false)
	}
	if price.Cmp(big.NewRat(MaxPrice, 1)) > 0 {
		return new(big.Rat), true
	}
	return price, false
}

func maxRat(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}
