package senpaysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Catalog is the simulator's catalog, as stored in a JSON file such as
// demo.json (DemoCatalog):
//
//	{"providers": [{
//	  "id": 9, "code": "GI-BJ", "name": "Genshin Impact", "active": 1,
//	  "icon": "genshin.png",
//	  "forms": [{"label": "UID", "key": "id", "type": "text"},
//	            {"label": "Server", "key": "server", "type": "dropdown",
//	             "options": [{"name": "Asia", "code": "os_asia"}]}],
//	  "products": [{"id": 901, "code": "GI-BJGI_60", "name": "60 Genesis Crystals",
//	                "active": "1", "price": "12900"}]
//	}]}
//
// active, price and option codes are kept as raw JSON and served verbatim,
// so a catalog can reproduce Senpay's loose encodings ("price": "14882",
// "active": true, "code": 10040400). Product codes are the full codes
// clients order with.
type Catalog struct {
	Providers []Provider `json:"providers"`
}

// Provider is a Senpay provider with its order form and products.
type Provider struct {
	ID       int64           `json:"id,omitempty"` // assigned when 0
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	Active   json.RawMessage `json:"active,omitempty"` // absent means 1
	Icon     string          `json:"icon,omitempty"`
	Forms    []Form          `json:"forms"`
	Products []Product       `json:"products"`
}

// Form is one field an order for the provider must carry.
type Form struct {
	Label   string   `json:"label"`
	Key     string   `json:"key"`
	Type    string   `json:"type"` // "text" or "dropdown"
	Options []Option `json:"options,omitempty"`
}

// Option is one choice of a dropdown.
type Option struct {
	Name string          `json:"name"`
	Code json.RawMessage `json:"code"` // a string or a number
}

// Product is one item for sale.
type Product struct {
	ID     int64           `json:"id,omitempty"` // assigned when 0
	Code   string          `json:"code"`
	Name   string          `json:"name"`
	Active json.RawMessage `json:"active,omitempty"` // absent means 1
	Price  json.RawMessage `json:"price"`            // a number or a numeric string
}

// LoadCatalog parses and checks a catalog file: codes present and unique,
// every price a number and every active flag a flag the simulator can act
// on. Nonsense prices such as negative ones are allowed on purpose, to test
// a client against them.
func LoadCatalog(data []byte) (*Catalog, error) {
	var cat Catalog
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a typo in a fixture should not pass silently
	if err := dec.Decode(&cat); err != nil {
		return nil, fmt.Errorf("senpaysim catalog: %w", err)
	}
	if err := cat.check(); err != nil {
		return nil, fmt.Errorf("senpaysim catalog: %w", err)
	}
	return &cat, nil
}

func (c *Catalog) check() error {
	provs := make(map[string]bool)
	prods := make(map[string]bool)
	for _, p := range c.Providers {
		if strings.TrimSpace(p.Code) == "" {
			return fmt.Errorf("provider %q without code", p.Name)
		}
		if provs[p.Code] {
			return fmt.Errorf("duplicate provider %q", p.Code)
		}
		provs[p.Code] = true
		if _, err := parseFlag(p.Active); err != nil {
			return fmt.Errorf("provider %s: %w", p.Code, err)
		}
		keys := make(map[string]bool)
		for _, f := range p.Forms {
			if f.Key == "" || keys[f.Key] {
				return fmt.Errorf("provider %s: form key %q empty or repeated", p.Code, f.Key)
			}
			keys[f.Key] = true
			for _, o := range f.Options {
				if optionCode(o.Code) == "" {
					return fmt.Errorf("provider %s: form %s: option %q without code", p.Code, f.Key, o.Name)
				}
			}
		}
		for _, pr := range p.Products {
			if err := checkProduct(pr); err != nil {
				return fmt.Errorf("provider %s: %w", p.Code, err)
			}
			if prods[pr.Code] {
				return fmt.Errorf("duplicate product %q", pr.Code)
			}
			prods[pr.Code] = true
		}
	}
	return nil
}

func checkProduct(p Product) error {
	if strings.TrimSpace(p.Code) == "" {
		return fmt.Errorf("product %q without code", p.Name)
	}
	if _, err := parsePrice(p.Price); err != nil {
		return fmt.Errorf("product %s: %w", p.Code, err)
	}
	if _, err := parseFlag(p.Active); err != nil {
		return fmt.Errorf("product %s: %w", p.Code, err)
	}
	return nil
}

// parseFlag reads an active flag; absent means active.
func parseFlag(raw json.RawMessage) (bool, error) {
	switch strings.TrimSpace(string(raw)) {
	case "", "1", `"1"`, "true", `"true"`:
		return true, nil
	case "0", `"0"`, "false", `"false"`:
		return false, nil
	}
	return false, fmt.Errorf("active %s is not a flag", raw)
}

// parsePrice reads a price sent as a number or a numeric string.
func parsePrice(raw json.RawMessage) (decimal.Decimal, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return decimal.Decimal{}, errors.New("no price")
	}
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return decimal.Decimal{}, fmt.Errorf("price %s: %w", raw, err)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("price %s is not a number", raw)
	}
	return d, nil
}

// optionCode is a dropdown option's code as an order carries it.
func optionCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// ProductCodes lists every product code in catalog order.
func (c *Catalog) ProductCodes() []string {
	var out []string
	for _, p := range c.Providers {
		for _, pr := range p.Products {
			out = append(out, pr.Code)
		}
	}
	return out
}
