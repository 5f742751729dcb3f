package matching

import (
	"fmt"
	"slices"
	"testing"
)

// TestReview derives the queue of a small linked catalog by hand: each
// reason once, and what never waits (a manual link, a removed offer, an
// item two suppliers share).
func TestReview(t *testing.T) {
	ml := &Listing{Supplier: "b", Code: "ml", Name: "Mobile Legends", Game: "mobile-legends"}
	bj := &Listing{Supplier: "a", Code: "ML-BJ", Name: "MOBILE LEGENDS BJ", Game: "mobile-legends"}
	my := &Listing{Supplier: "a", Code: "ML-MY", Name: "Mobile Legends Malaysia", Game: "mobile-legends-my"}
	linked := func(l *Listing, name, item, conf string) LinkedOffer {
		return LinkedOffer{Listing: l, Name: name, Item: item, Confidence: conf}
	}
	offers := []LinkedOffer{
		0:  linked(ml, "86 Diamonds", "ml.86", "1.00"),
		1:  linked(bj, "86 (78+8) Diamonds", "ml.86", "1.00"),
		2:  {Listing: ml, Name: "Paket Spesial Lebaran", Item: "ml.paket", Unmatched: true, Confidence: "0.00"},
		3:  linked(ml, "172 Diamonds", "ml.172", "1.00"),
		4:  linked(ml, "172 (156+16) Diamonds", "ml.172-b", "1.00"),
		5:  linked(ml, "257 Diamonds", "ml.257", "0.75"),
		6:  linked(my, "344 Diamonds", "my.344", "1.00"),
		7:  linked(ml, "344 Diamonds", "ml.344", "1.00"),
		8:  {Listing: ml, Name: "Kotak Misteri", Item: "ml.86", Confidence: "1.00", Manual: true},
		9:  {Listing: ml, Name: "999 Diamonds", Item: "ml.999", Confidence: "0.10", Removed: true},
		10: linked(ml, "500 Diamonds", "ml.500", "1.00"),
		11: linked(ml, "500 Diamonds", "ml.500", "1.00"),
		12: linked(nil, "1 Diamonds", "x.1", "0.10"),
	}
	offers[0].Shared, offers[1].Shared = true, true
	found := Review([]*Listing{ml, bj, my}, offers, func(string) []string { return nil })

	want := map[int][]string{
		2:  {Unreadable},
		3:  {ConflictingSplits},
		4:  {ConflictingSplits},
		5:  {LowConfidence},
		6:  {Lone},
		7:  {Lone},
		10: {DuplicateListing},
		11: {DuplicateListing},
	}
	for i := range offers {
		if got := found.Offers[i].Reasons; !slices.Equal(got, want[i]) {
			t.Errorf("offer %d %q: got reasons %v, want %v (%s)", i, offers[i].Name, got, want[i], found.Offers[i].Detail)
		}
	}
	if got, want := found.Offers[6].Detail, "no other supplier sells its item; diamonds:344 is also in ml.344"; got != want {
		t.Errorf("lone detail: got %q, want %q", got, want)
	}
	if got, want := found.Offers[3].Detail, "b ml lists diamonds:172 as 156+16 and a bare total"; got != want {
		t.Errorf("splits detail: got %q, want %q", got, want)
	}
	if got := found.Siblings["mobile-legends-my"]; !slices.Equal(got, []string{"mobile-legends", "mobile-legends-my"}) {
		t.Errorf("siblings: got %v", got)
	}

	var games []string
	for _, p := range found.Games {
		games = append(games, fmt.Sprintf("%s/%s %d %d %d: %s", p.Game, p.Sibling, p.Amounts, p.SiblingAmounts, p.Shared, p.Detail))
	}
	// The removed 999 and the unreadable name are no amounts.
	wantGames := []string{"mobile-legends-my/mobile-legends 1 5 1: mobile-legends-my is mobile-legends's name with a region or Global: " +
		"1 of its 1 amounts are also sold in mobile-legends (5), the same order form (none); kept apart until a person decides"}
	if !slices.Equal(games, wantGames) {
		t.Errorf("game pairs:\n got %q\nwant %q", games, wantGames)
	}
	my.Manual = true
	if again := Review([]*Listing{ml, bj, my}, offers, func(string) []string { return nil }); len(again.Games) != 0 {
		t.Errorf("a qualified game a person placed: got pairs %+v, want none", again.Games)
	}
}

func TestFamilySuggest(t *testing.T) {
	f := NewFamily([]Candidate{
		{ID: "ml.twilight", GameName: "Mobile Legends", Name: "Twilight Pass"},
		{ID: "ml.172", GameName: "Mobile Legends", Name: "172 Diamonds"},
		{ID: "ml.86", GameName: "Mobile Legends", Name: "86 Diamonds"},
		{ID: "ml.86-b", GameName: "Mobile Legends", Name: "86 (78+8) Diamonds"},
	})
	tests := []struct {
		name, item string
		want       []string
	}{
		// Same total first, by id; then the nearest totals; never the
		// offer's own item, never another unit or pass.
		{"86 Diamonds", "ml.86-b", []string{"ml.86", "ml.172"}},
		{"100 Diamonds", "ml.100", []string{"ml.86", "ml.86-b", "ml.172"}},
		// Unreadable: the names that share words.
		{"Paket Twilight", "ml.paket", []string{"ml.twilight"}},
		{"Kotak Misteri", "ml.kotak", []string{}},
	}
	for _, tt := range tests {
		if got := f.Suggest("Mobile Legends", tt.name, tt.item); !slices.Equal(got, tt.want) {
			t.Errorf("Suggest(%q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}
