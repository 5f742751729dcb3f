package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// largest lists what sorting every move and taking the first
// impactListLen would, ties included, whatever order the moves come in.
func TestLargestListsWhatSortingAllWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 5))
	for round := range 200 {
		// Few distinct deltas and items, so ties on delta and on item
		// (the same item in several tiers) are common.
		n := rng.IntN(60)
		var moves []ImpactItem
		for range n {
			d := int64(rng.IntN(9)-4) * 500
			if d == 0 {
				d = 100
			}
			moves = append(moves, ImpactItem{Item: fmt.Sprintf("g.item-%d", rng.IntN(8)), Tier: []string{"public", "member", "reseller"}[rng.IntN(3)], Delta: d})
		}
		for _, order := range []struct {
			name  string
			first func(a, b ImpactItem) int
		}{{"increases", increaseFirst}, {"decreases", decreaseFirst}} {
			l := newLargest(order.first)
			for _, m := range moves {
				l.add(m)
			}
			want := slices.Clone(moves)
			slices.SortStableFunc(want, order.first)
			want = want[:min(len(want), impactListLen)]
			if !slices.Equal(l.list, want) {
				t.Fatalf("round %d, %s of %d moves:\n got %v\nwant %v", round, order.name, n, l.list, want)
			}
		}
	}
}

// The lists lead with the largest move, and equal moves list by item and
// tier.
func TestLargestOrders(t *testing.T) {
	inc, dec := newLargest(increaseFirst), newLargest(decreaseFirst)
	for _, m := range []ImpactItem{
		{Item: "b", Tier: "public", Delta: 300}, {Item: "a", Tier: "public", Delta: 300}, {Item: "a", Tier: "member", Delta: 300},
		{Item: "c", Tier: "public", Delta: 900}, {Item: "d", Tier: "public", Delta: -200}, {Item: "e", Tier: "public", Delta: -700},
	} {
		if m.Delta > 0 {
			inc.add(m)
		} else {
			dec.add(m)
		}
	}
	show := func(l []ImpactItem) (s []string) {
		for _, m := range l {
			s = append(s, fmt.Sprintf("%s/%s %+d", m.Item, m.Tier, m.Delta))
		}
		return s
	}
	if got, want := show(inc.list), []string{"c/public +900", "a/member +300", "a/public +300", "b/public +300"}; !slices.Equal(got, want) {
		t.Errorf("increases: got %v, want %v", got, want)
	}
	if got, want := show(dec.list), []string{"e/public -700", "d/public -200"}; !slices.Equal(got, want) {
		t.Errorf("decreases: got %v, want %v", got, want)
	}
}
