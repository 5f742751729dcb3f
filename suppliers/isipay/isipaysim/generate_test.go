package isipaysim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/suppliers"
)

func TestGenerateBenchmarkSize(t *testing.T) {
	cat := Generate(500, 100, 7)
	codes := make(map[string]bool)
	products := make(map[string]bool)
	for _, p := range cat.Products {
		products[p.Code] = true
		for _, v := range p.Variants {
			codes[v.Code] = true
		}
	}
	if len(products) != 500 || len(codes) != 50_000 {
		t.Errorf("got %d distinct products and %d distinct variant codes, want 500 and 50000", len(products), len(codes))
	}
}

func TestGenerate(t *testing.T) {
	// 140 products run past every game × region pair (16 × 8), into the
	// numbered copies.
	cat := Generate(140, 30, 7)
	// Writing the catalog and loading it back checks the file format and
	// every invariant LoadCatalog enforces (unique codes, readable values).
	data, err := json.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadCatalog(data)
	if err != nil {
		t.Fatal(err)
	}
	variants, inactive := 0, 0
	for _, p := range back.Products {
		if len(p.Variants) != 30 {
			t.Fatalf("product %s: got %d variants, want 30", p.Code, len(p.Variants))
		}
		prev := decimal.Zero
		for _, v := range p.Variants {
			variants++
			price, err := readPrice(v.Price)
			if err != nil {
				t.Fatal(err)
			}
			if err := suppliers.CheckPrice(price); err != nil || !price.IsPositive() {
				t.Errorf("%s: price %s out of range", v.Code, price)
			}
			// Bigger packs cost more, within the noise of a few percent.
			if price.LessThan(prev.Mul(decimal.RequireFromString("0.9"))) {
				t.Errorf("%s: price %s well below the smaller pack's %s", v.Code, price, prev)
			}
			prev = price
			if active, _ := readActive(v.IsActive); !active {
				inactive++
			}
			if !strings.Contains(v.Code, "_") || v.Name == "" {
				t.Errorf("variant %+v: want an SKU-style code and a name", v)
			}
		}
	}
	if variants != 140*30 {
		t.Errorf("variants: got %d, want %d", variants, 140*30)
	}
	if inactive == 0 || inactive > variants/10 {
		t.Errorf("inactive variants: got %d, want a few", inactive)
	}
	if again := Generate(140, 30, 7); !reflect.DeepEqual(cat, again) {
		t.Errorf("same seed, different catalogs")
	}
	if other := Generate(140, 30, 8); reflect.DeepEqual(cat, other) {
		t.Errorf("different seeds, same catalog")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{5: "5", 86: "86", 999: "999", 1000: "1.000", 1412: "1.412", 1220380: "1.220.380"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d): got %q, want %q", n, got, want)
		}
	}
}
