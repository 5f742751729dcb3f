package isipaysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Catalog is what a simulator sells, in this file format:
//
//	{
//	  "account": {"name": "Syncd Demo Store", "email": "...", "telp": "...", "membership": "Gold"},
//	  "products": [
//	    {"code": "mobile-legends", "name": "Mobile Legends", "is_active": true,
//	     "variants": [
//	       {"id": 4090, "code": "MLBB_ID_5", "name": "5 (5+0) Diamonds",
//	        "is_active": "active", "price": 1389, "processDuration": "0"}
//	     ]}
//	  ]
//	}
//
// A product is served by /api/v1/product without its variants; a variant is
// served by /api/v1/variant exactly as written here. is_active, price, id and
// processDuration are kept as raw JSON, so a catalog can carry the encodings
// real replies drift into ("active", 1, "20350", 13875.5) and the client
// sees them verbatim. The simulator itself reads them the tolerant way the
// client does, to decide what can be ordered and what it costs.
type Catalog struct {
	Account  Account   `json:"account"`
	Products []Product `json:"products"`
}

// Account is the reseller account the balance endpoint describes.
type Account struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Telp       string `json:"telp"`
	Membership string `json:"membership"`
}

// Product is one game and its variants.
type Product struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	IsActive json.RawMessage `json:"is_active"`
	Variants []Variant       `json:"variants"`
}

// Variant is one orderable item, as served.
type Variant struct {
	ID              json.RawMessage `json:"id,omitempty"`
	Code            string          `json:"code"`
	Name            string          `json:"name"`
	IsActive        json.RawMessage `json:"is_active"`
	Price           json.RawMessage `json:"price"`
	ProcessDuration json.RawMessage `json:"processDuration,omitempty"`
}

// NewVariant returns an active variant in the document's own encoding, for
// tests that add items.
func NewVariant(code, name string, price int64) Variant {
	return Variant{
		Code:            code,
		Name:            name,
		IsActive:        json.RawMessage(`"active"`),
		Price:           json.RawMessage(strconv.FormatInt(price, 10)),
		ProcessDuration: json.RawMessage(`"0"`),
	}
}

// LoadCatalog reads a catalog file. Unknown fields are refused, since a typo
// in a fixture would otherwise silently change what the simulator serves.
// Variant codes must be unique across the catalog, because an order names
// only the variant.
func LoadCatalog(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("isipaysim: load catalog: %w", err)
	}
	if _, err := index(&c); err != nil {
		return nil, fmt.Errorf("isipaysim: load catalog: %w", err)
	}
	return &c, nil
}

// readActive reads an is_active value the tolerant way the client does
// (true, 1, "1", "active", "aktif", ...); absent means inactive, as in
// the client. The simulator imports nothing of syncd's: it speaks only
// the wire format, so any package's tests may run it.
func readActive(raw json.RawMessage) (bool, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return false, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return false, fmt.Errorf("is_active: %w", err)
	}
	switch strings.ToLower(s) {
	case "true", "1", "active", "yes", "on", "aktif":
		return true, nil
	case "null", "false", "0", "inactive", "no", "off", "nonaktif", "tidak aktif", "":
		return false, nil
	}
	return false, fmt.Errorf("is_active: %q is not a flag", s)
}

// readPrice reads a price sent as a number or a numeric string.
func readPrice(raw json.RawMessage) (decimal.Decimal, error) {
	s, err := scalar(raw)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("price: %w", err)
	}
	if s == "null" || s == "" {
		return decimal.Decimal{}, fmt.Errorf("no price")
	}
	// "1.389" is Indonesian grouping the client refuses to guess at.
	if groupedAmount.MatchString(s) {
		return decimal.Decimal{}, fmt.Errorf("price: %q reads as thousands grouping", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("price: %q is not a number", s)
	}
	return d, nil
}

var groupedAmount = regexp.MustCompile(`^-?[0-9]{1,3}(\.[0-9]{3})+$`)

// scalar is a JSON scalar's text: a string's content, otherwise the raw
// token.
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	}
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		return "", fmt.Errorf("got %.20s, want a scalar", raw)
	}
	return string(raw), nil
}

// index checks a catalog and returns its variants by code.
func index(c *Catalog) (map[string]*Variant, error) {
	products := make(map[string]bool, len(c.Products))
	variants := make(map[string]*Variant)
	for pi := range c.Products {
		p := &c.Products[pi]
		if strings.TrimSpace(p.Code) == "" {
			return nil, fmt.Errorf("product %d has no code", pi)
		}
		if products[p.Code] {
			return nil, fmt.Errorf("product %q listed twice", p.Code)
		}
		products[p.Code] = true
		if _, err := readActive(p.IsActive); err != nil {
			return nil, fmt.Errorf("product %q: is_active: %w", p.Code, err)
		}
		for vi := range p.Variants {
			v := &p.Variants[vi]
			if err := checkVariant(v); err != nil {
				return nil, fmt.Errorf("product %q: %w", p.Code, err)
			}
			if variants[v.Code] != nil {
				return nil, fmt.Errorf("variant %q listed twice", v.Code)
			}
			variants[v.Code] = v
		}
	}
	return variants, nil
}

func checkVariant(v *Variant) error {
	if strings.TrimSpace(v.Code) == "" {
		return fmt.Errorf("variant %q has no code", v.Name)
	}
	if _, err := readActive(v.IsActive); err != nil {
		return fmt.Errorf("variant %q: is_active: %w", v.Code, err)
	}
	if _, err := readPrice(v.Price); err != nil {
		return fmt.Errorf("variant %q: price: %w", v.Code, err)
	}
	for name, raw := range map[string]json.RawMessage{"id": v.ID, "processDuration": v.ProcessDuration} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("variant %q: %s is not JSON", v.Code, name)
		}
	}
	return nil
}

// VariantCodes lists every variant code, in catalog order.
func (c *Catalog) VariantCodes() []string {
	var out []string
	for _, p := range c.Products {
		for _, v := range p.Variants {
			out = append(out, v.Code)
		}
	}
	return out
}

// clone deep-copies c so that steering a simulator never touches the
// caller's catalog. Raw values are never modified in place, only replaced,
// so they may be shared.
func (c *Catalog) clone() *Catalog {
	out := &Catalog{Account: c.Account, Products: make([]Product, len(c.Products))}
	for i, p := range c.Products {
		p.Variants = append([]Variant(nil), p.Variants...)
		out.Products[i] = p
	}
	return out
}
