package catalog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata")

// groupCatalog is one supplier's catalog in testdata/matching/group: the
// supplier's games and offers, named as its API would name them.
type groupCatalog struct {
	Supplier string `json:"supplier"`
	Games    []struct {
		Code   string         `json:"code"`
		Name   string         `json:"name"`
		Active bool           `json:"active"`
		Form   []offers.Field `json:"form"`
		Offers []struct {
			Code   string `json:"code"`
			Name   string `json:"name"`
			Cost   int64  `json:"cost"`
			Active bool   `json:"active"`
		} `json:"offers"`
	} `json:"games"`
}

func readGroupCatalog(t *testing.T, path string) (string, *offers.SupplierCatalog) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gc groupCatalog
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	cat := &offers.SupplierCatalog{}
	for _, g := range gc.Games {
		cat.Games = append(cat.Games, offers.SupplierGame{Code: g.Code, Name: g.Name, Active: g.Active, Form: g.Form})
		for _, o := range g.Offers {
			c := decimal.NewFromInt(o.Cost)
			cat.Offers = append(cat.Offers, offers.Offer{Code: o.Code, GameCode: g.Code, Name: o.Name, Cost: c, CostRaw: c.String(), Active: o.Active})
		}
	}
	return gc.Supplier, cat
}

// TestMatchingGroups builds the catalog of two suppliers' whole catalogs
// and compares its items and review queue with a golden file: what pair
// scoring cannot see (one listing with two descriptions of a total, lone
// offers, the queue itself) is checked here. go test -run
// TestMatchingGroups -update rewrites the golden file.
func TestMatchingGroups(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	for _, f := range []string{"senpay.json", "isipay.json"} {
		name, cat := readGroupCatalog(t, "../testdata/matching/group/"+f)
		if _, err := s.Sync(ctx, name, fixed(cat)); err != nil {
			t.Fatal(err)
		}
	}
	c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
	c.now = clk.now
	snap, err := c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := renderMatching(snap)
	const golden = "../testdata/matching/group/want.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("built catalog and review queue differ from %s (-update rewrites it):\n%s", golden, lineDiff(string(want), got))
	}
}

// renderMatching writes a snapshot's games, items and offers, and its
// review queue, one per line, in a stable order.
func renderMatching(snap *Snapshot) string {
	var b strings.Builder
	for _, g := range snap.GameList() {
		fmt.Fprintf(&b, "game %s %q\n", g.ID, g.Name)
		items := slices.Clone(g.Items)
		slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.ID, b.ID) })
		for _, it := range items {
			fmt.Fprintf(&b, "  item %s %q\n", it.ID, it.Name)
			offers := slices.Clone(it.Offers)
			slices.SortFunc(offers, func(a, b *OfferState) int {
				return cmp.Or(cmp.Compare(a.Supplier, b.Supplier), cmp.Compare(a.Code, b.Code))
			})
			for _, o := range offers {
				fmt.Fprintf(&b, "    %s %s %q %s %s\n", o.Supplier, o.Code, o.Name, o.Method, o.Confidence)
			}
		}
	}
	b.WriteString("game review\n")
	for _, e := range snap.GameReview() {
		fmt.Fprintf(&b, "  %s beside %s: %s\n    %s | %s\n", e.Game, e.Sibling, e.Detail, strings.Join(e.Names, "; "), strings.Join(e.SiblingNames, "; "))
	}
	b.WriteString("review\n")
	for _, e := range snap.Review() {
		fmt.Fprintf(&b, "  %s: %s %s %q in %s\n    %s\n    suggested: %s\n", strings.Join(e.Reasons, ","), e.Offer.Supplier, e.Offer.Code,
			e.Offer.Name, e.Item, e.Detail, strings.Join(e.Suggestions, ", "))
	}
	return b.String()
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
			count[l]++
		}
	}
	return b.String()
}

// TestStorefrontHidesDeactivatedGames: a game every supplier deactivated
// and with nothing to buy is not listed to storefronts; merchandisers
// still see it, with why.
func TestStorefrontHidesDeactivatedGames(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	for _, f := range []string{"senpay.json", "isipay.json"} {
		name, cat := readGroupCatalog(t, "../testdata/matching/group/"+f)
		if _, err := s.Sync(ctx, name, fixed(cat)); err != nil {
			t.Fatal(err)
		}
	}
	c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
	c.now = clk.now
	snap, err := c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const gone = "astra-knights-of-veda" // inactive at Senpay and at Isipay
	games, _, _ := snap.Games(PublicTier)
	cat, _, err := snap.Catalog(PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"/v1/games": games.JSON, "/v1/catalog": cat.JSON} {
		if strings.Contains(string(body), `"id":"`+gone+`"`) {
			t.Errorf("%s lists %s", name, gone)
		}
		if !strings.Contains(string(body), `"id":"mobile-legends"`) {
			t.Errorf("%s does not list mobile-legends", name)
		}
	}
	if _, ok := snap.Game(gone); !ok || !slices.ContainsFunc(snap.GameList(), func(g *Game) bool { return g.ID == gone }) {
		t.Errorf("merchandisers no longer see %s", gone)
	}
	if why := snap.Hidden(gone); why != "every supplier has deactivated it (isipay astra-knights-of-veda inactive, senpay AKV-BJ inactive)" {
		t.Errorf("why %s is hidden: got %q", gone, why)
	}
	if why := snap.Hidden("mobile-legends"); why != "" {
		t.Errorf("mobile-legends hidden: %q", why)
	}
}
