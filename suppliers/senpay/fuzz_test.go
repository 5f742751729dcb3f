package senpay

import (
	"errors"
	"os"
	"testing"

	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/internal/strictjson/strictjsontest"
	"github.com/syncd/syncd/suppliers"
)

// Every decoder of Senpay's replies is fuzzed from every recorded body: it
// must never panic, and what it accepts must be usable.

func seedRecorded(f *testing.F) {
	f.Helper()
	entries, err := os.ReadDir(recordedDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(recorded(f, e.Name()))
	}
}

func checkProduct(t *testing.T, p Product) {
	t.Helper()
	if p.Code == "" {
		t.Errorf("accepted a product without code")
	}
	if err := suppliers.CheckPrice(p.Price); err != nil {
		t.Errorf("accepted product %q: %v", p.Code, err)
	}
	if p.PriceRaw == "" {
		t.Errorf("product %q: price without its raw text", p.Code)
	}
}

func FuzzDecodeProviders(f *testing.F) {
	seedRecorded(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := decodeProviders(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if p.Code == "" || seen[p.Code] {
				t.Errorf("accepted provider code %q (empty or repeated)", p.Code)
			}
			seen[p.Code] = true
			for _, fl := range p.Form {
				if fl.Key == "" {
					t.Errorf("provider %q: accepted a form field without key", p.Code)
				}
				for _, o := range fl.Options {
					if o.Code == "" {
						t.Errorf("provider %q: accepted an option without code", p.Code)
					}
				}
			}
		}
	})
}

func FuzzDecodeProducts(f *testing.F) {
	seedRecorded(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := decodeProducts(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			checkProduct(t, p)
			if seen[p.Code] {
				t.Errorf("accepted product code %q twice", p.Code)
			}
			seen[p.Code] = true
		}
	})
}

func FuzzDecodeProduct(f *testing.F) {
	seedRecorded(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeProduct(body)
		if err != nil {
			return
		}
		checkProduct(t, *p)
	})
}

func FuzzDecodeTransaction(f *testing.F) {
	seedRecorded(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := decodeTransaction(body)
		if err != nil {
			return
		}
		if tr.Reference == "" || tr.Status == "" {
			t.Errorf("accepted a transaction without reference or status: %+v", tr)
		}
		if tr.PriceRaw != "" {
			if err := suppliers.CheckPrice(tr.Price); err != nil {
				t.Errorf("accepted transaction %q: %v", tr.Reference, err)
			}
		}
	})
}

func FuzzParseWebhook(f *testing.F) {
	seedRecorded(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := ParseWebhook(body)
		if err != nil {
			return
		}
		// The same delivery with any one member repeated is refused.
		if again, path, ok := strictjsontest.WithRepeat(body, uint(len(body))); ok {
			var dup *strictjson.DuplicateError
			if _, err := ParseWebhook(again); !errors.As(err, &dup) || dup.Path != path {
				t.Fatalf("%s, with %q repeated: got %v, want a repeated member", again, path, err)
			}
		}
		switch w.Type {
		case WebhookPriceUpdate:
			if w.Status != nil {
				t.Errorf("price_update with a status")
			}
			seen := map[string]bool{}
			for _, c := range w.Prices {
				if c.ProductCode == "" || seen[c.ProductCode] {
					t.Errorf("accepted product code %q (empty or repeated)", c.ProductCode)
				}
				seen[c.ProductCode] = true
				if err := suppliers.CheckPrice(c.New); err != nil || c.NewRaw == "" {
					t.Errorf("accepted new price %q of %q: %v", c.NewRaw, c.ProductCode, err)
				}
				if err := suppliers.CheckPrice(c.Old); err != nil {
					t.Errorf("accepted old price %q of %q: %v", c.OldRaw, c.ProductCode, err)
				}
			}
		case WebhookTransactionStatus:
			if w.Status == nil || w.Status.Reference == "" || w.Status.Status == "" || w.Prices != nil {
				t.Errorf("accepted transaction_status %+v", w.Status)
			}
		default:
			t.Errorf("accepted webhook type %q", w.Type)
		}
	})
}
