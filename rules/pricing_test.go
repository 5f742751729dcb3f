package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/pricing"
)

// pricingErr validates r's action, round and guard as pricing would.
func pricingErr(r Rule) error {
	errs := []error{r.Action.Pricing().Validate()}
	if r.Round != nil {
		errs = append(errs, r.Round.Pricing().Validate())
	}
	if r.Guard != nil {
		errs = append(errs, r.Guard.Pricing(r.ID).Validate())
	}
	return errors.Join(errs...)
}

// A rule Validate accepts never reaches pricing as invalid input, and
// what Validate refuses in action, round or guard pricing refuses too.
func TestValidateAgreesWithPricing(t *testing.T) {
	for _, tt := range validEdges {
		r := valid()
		tt.edit(&r)
		if err := pricingErr(r); err != nil {
			t.Errorf("%s: pricing refuses a valid rule: %v", tt.name, err)
		}
	}
	for _, tt := range rangeErrors {
		prefix, _, _ := strings.Cut(tt.field, ".")
		if prefix != "action" && prefix != "round" && prefix != "guard" || tt.name == "step over 1,000,000" {
			continue // rules' own limits, or no pricing counterpart
		}
		r := valid()
		tt.edit(&r)
		err := pricingErr(r)
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: got pricing %v, want it to refuse %s", tt.name, err, tt.field)
		}
	}
}

func TestInputPricesTheContractExample(t *testing.T) {
	r, err := Decode([]byte(contractExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	r.ID = "r7"
	s := mustSet(t, r)
	subj := Subject{Game: ml, Item: mlItem, Supplier: "senpay", Tier: "member"}
	global := pricing.Guard{Source: "global"}
	tests := []struct {
		name, cost, want, action, grid string
		subj                           Subject
	}{
		{"member: +7%, grid 100", "10000", "10700", "r7", "r7", subj},
		{"member: rounds up to 100", "10050", "10800", "r7", "r7", subj},
		{"public: default, whole rupiah up", "10450.5", "10451", "", "", Subject{Game: ml, Item: mlItem, Supplier: "senpay", Tier: "public"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := s.Evaluate(tt.subj, now).Input(dec(tt.cost), global)
			if err != nil {
				t.Fatalf("Input: %v", err)
			}
			if in.ActionSource != tt.action || in.GridSource != tt.grid {
				t.Fatalf("got sources %q %q, want %q %q", in.ActionSource, in.GridSource, tt.action, tt.grid)
			}
			q := pricing.Price(in)
			if q.Blocked || !q.Price.Equal(dec(tt.want)) {
				t.Fatalf("got price %s blocked %v (%s), want %s", q.Price, q.Blocked, q.Reason, tt.want)
			}
			if _, err := pricing.Replay(q); err != nil {
				t.Fatalf("Replay: %v", err)
			}
		})
	}
}

func TestInputGuards(t *testing.T) {
	max := dec("9000")
	item := mk("item", Match{Item: mlItem})
	item.Guard = &Guard{MaxPrice: &max}
	game := mk("game", Match{Game: ml})
	game.Guard = &Guard{MinMarginPercent: dec("2"), MinMarginAmount: dec("0")}
	in, err := mustSet(t, item, game).Evaluate(subject, now).Input(decimal.NewFromInt(8000), pricing.Guard{Source: "global"})
	if err != nil {
		t.Fatalf("Input: %v", err)
	}
	if len(in.Guards) != 3 {
		t.Fatalf("got %d guards, want item, game and global", len(in.Guards))
	}
	if g := in.Guards[0]; g.Source != "item" || g.MaxPrice == nil || !g.MaxPrice.Equal(max) || g.MinMarginPercent != nil {
		t.Errorf("got item guard %+v, want max_price 9000 only", g)
	}
	if g := in.Guards[1]; g.Source != "game" || g.MinMarginPercent == nil || g.MinMarginAmount != nil {
		t.Errorf("got game guard %+v, want min_margin_percent 2 and no zero amount", g)
	}
	if g := in.Guards[2]; g.Source != "global" {
		t.Errorf("got last guard from %q, want global", g.Source)
	}
}

func TestInputRefusesConflict(t *testing.T) {
	d := mustSet(t, mk("a", Match{Game: ml}), mk("b", Match{Game: ml})).Evaluate(subject, now)
	if _, err := d.Input(dec("1000")); !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}
