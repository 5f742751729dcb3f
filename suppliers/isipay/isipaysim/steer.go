package isipaysim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// SetPrice changes a variant's price; it is then served as a JSON number.
func (s *Sim) SetPrice(code string, price int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.variant(code)
	if err != nil {
		return err
	}
	v.Price = json.RawMessage(strconv.FormatInt(price, 10))
	return nil
}

// Price returns a variant's current price, rounded up to a whole rupiah
// for a fractional one, and whether the variant exists.
func (s *Sim) Price(code string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.variant(code)
	if err != nil {
		return 0, false
	}
	p, err := readPrice(v.Price)
	if err != nil {
		return 0, false
	}
	return p.Ceil().IntPart(), true
}

// SetActive switches a variant on or off, or else the product of that code.
// Values are served in the document's encodings: "active"/"inactive" for a
// variant, true/false for a product.
func (s *Sim) SetActive(code string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, err := s.variant(code); err == nil {
		v.IsActive = json.RawMessage(`"inactive"`)
		if active {
			v.IsActive = json.RawMessage(`"active"`)
		}
		return nil
	}
	pi, ok := s.products[code]
	if !ok {
		return fmt.Errorf("isipaysim: no variant or product %q", code)
	}
	s.cat.Products[pi].IsActive = json.RawMessage(strconv.FormatBool(active))
	return nil
}

// Remove deletes a variant, or else the product of that code with its
// variants. Orders already taken are kept.
func (s *Sim) Remove(code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if loc, ok := s.variants[code]; ok {
		p := &s.cat.Products[loc[0]]
		p.Variants = slices.Delete(p.Variants, loc[1], loc[1]+1)
	} else if pi, ok := s.products[code]; ok {
		s.cat.Products = slices.Delete(s.cat.Products, pi, pi+1)
	} else {
		return fmt.Errorf("isipaysim: no variant or product %q", code)
	}
	s.reindex()
	return nil
}

// Add appends variants to a product, creating the product (active, named
// by its code) if it does not exist. Codes must be new to the catalog.
func (s *Sim) Add(product string, vs ...Variant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]bool)
	for i := range vs {
		if err := checkVariant(&vs[i]); err != nil {
			return fmt.Errorf("isipaysim: add: %w", err)
		}
		if _, dup := s.variants[vs[i].Code]; dup || seen[vs[i].Code] {
			return fmt.Errorf("isipaysim: add: variant %q exists", vs[i].Code)
		}
		seen[vs[i].Code] = true
	}
	pi, ok := s.products[product]
	if !ok {
		s.cat.Products = append(s.cat.Products, Product{Code: product, Name: product, IsActive: json.RawMessage("true")})
		pi = len(s.cat.Products) - 1
	}
	p := &s.cat.Products[pi]
	p.Variants = append(p.Variants, vs...)
	s.reindex()
	return nil
}

// Snapshot returns the catalog as currently served.
func (s *Sim) Snapshot() *Catalog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cat.clone()
}

// SetBalance sets the deposit in rupiah.
func (s *Sim) SetBalance(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = decimal.NewFromInt(n)
}

// Balance returns the deposit after every charge and refund so far.
func (s *Sim) Balance() decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	return s.balance
}

// SetLatency delays every reply by d.
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetOrderDelay changes how long orders taken from now on, and orders still
// pending, stay "Pending".
func (s *Sim) SetOrderDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orderDelay = d
}

// Requests counts the requests received whose path starts with prefix
// ("" counts all), faulty ones included.
func (s *Sim) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.requests {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

func (s *Sim) variant(code string) (*Variant, error) {
	loc, ok := s.variants[code]
	if !ok {
		return nil, fmt.Errorf("isipaysim: no variant %q", code)
	}
	return &s.cat.Products[loc[0]].Variants[loc[1]], nil
}
