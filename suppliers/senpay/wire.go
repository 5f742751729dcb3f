package senpay

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
)

// Wire structs mirror Senpay's JSON and never leave the package. The
// suppliers types absorb the loose encodings seen in practice: ids and
// option codes as numbers or strings, active as 1/"1"/true, prices as
// numbers or numeric strings. Unknown fields are ignored so that Senpay
// adding one does not stop a sync.

type wireProvider struct {
	ID      suppliers.Text `json:"id"`
	Code    suppliers.Text `json:"code"`
	Name    suppliers.Text `json:"name"`
	Active  suppliers.Bool `json:"active"`
	Icon    suppliers.Text `json:"icon"`
	IconURL suppliers.Text `json:"icon_url"`
	Forms   []wireForm     `json:"forms"`
}

type wireForm struct {
	Label   suppliers.Text `json:"label"`
	Key     suppliers.Text `json:"key"`
	Type    suppliers.Text `json:"type"`
	Options []wireOption   `json:"options"`
}

type wireOption struct {
	Name suppliers.Text `json:"name"`
	Code suppliers.Text `json:"code"`
}

// wireProduct is a product in the listing and in the detail reply; the
// detail's provider carries id and icon as well, which Product does not need.
type wireProduct struct {
	ID       suppliers.Text   `json:"id"`
	Code     suppliers.Text   `json:"code"`
	Name     suppliers.Text   `json:"name"`
	Active   suppliers.Bool   `json:"active"`
	Price    suppliers.Amount `json:"price"`
	Provider *struct {
		Code suppliers.Text `json:"code"`
		Name suppliers.Text `json:"name"`
	} `json:"provider"`
}

// wireTransaction is the data of both the create and the status reply.
type wireTransaction struct {
	Reference        suppliers.Text   `json:"reference"`
	PartnerReference suppliers.Text   `json:"partner_reference"`
	Provider         suppliers.Text   `json:"provider"`
	Product          suppliers.Text   `json:"product"`
	Price            suppliers.Amount `json:"price"`
	Status           suppliers.Text   `json:"status"`
	StatusAt         suppliers.Text   `json:"status_at"`
	SN               suppliers.Text   `json:"sn"`
	Note             suppliers.Text   `json:"note"`
	WebhookSent      suppliers.Bool   `json:"webhook_sent"`
	CreatedAt        suppliers.Text   `json:"created_at"`
	InvoiceURL       suppliers.Text   `json:"invoice_url"`
}

// blank reports a code that cannot be sent back to Senpay.
func blank(s suppliers.Text) bool { return strings.TrimSpace(string(s)) == "" }

// provider converts w. A missing active flag reads as inactive: syncd must
// never sell what it cannot tell is on sale.
func (w wireProvider) provider() (Provider, error) {
	if blank(w.Code) {
		return Provider{}, errors.New("provider without code")
	}
	p := Provider{
		ID:      string(w.ID),
		Code:    string(w.Code),
		Name:    string(w.Name),
		Active:  w.Active.Value,
		Icon:    string(w.Icon),
		IconURL: string(w.IconURL),
	}
	seen := make(map[string]bool, len(w.Forms))
	for _, f := range w.Forms {
		// Every form key is mandatory on create: a field we cannot name is
		// a provider we cannot order from.
		if blank(f.Key) {
			return Provider{}, fmt.Errorf("provider %q: form field without key", w.Code)
		}
		if seen[string(f.Key)] {
			return Provider{}, fmt.Errorf("provider %q: duplicate form key %q", w.Code, f.Key)
		}
		seen[string(f.Key)] = true
		field := offers.Field{Key: string(f.Key), Label: string(f.Label), Type: string(f.Type)}
		for _, o := range f.Options {
			if blank(o.Code) {
				return Provider{}, fmt.Errorf("provider %q: form field %q: option without code", w.Code, f.Key)
			}
			field.Options = append(field.Options, offers.Option{Name: string(o.Name), Code: string(o.Code)})
		}
		p.Form = append(p.Form, field)
	}
	return p, nil
}

// product converts w. A price is required even on an inactive product: a
// cost of zero would look like the cheapest offer the day it comes back.
func (w wireProduct) product() (Product, error) {
	if blank(w.Code) {
		return Product{}, errors.New("product without code")
	}
	if !w.Price.Set {
		return Product{}, fmt.Errorf("product %q: no price", w.Code)
	}
	if err := suppliers.CheckPrice(w.Price.Value); err != nil {
		return Product{}, fmt.Errorf("product %q: %w", w.Code, err)
	}
	p := Product{
		ID:       string(w.ID),
		Code:     string(w.Code),
		Name:     string(w.Name),
		Active:   w.Active.Value,
		Price:    w.Price.Value,
		PriceRaw: w.Price.Raw,
	}
	if w.Provider != nil {
		p.ProviderCode = string(w.Provider.Code)
		p.ProviderName = string(w.Provider.Name)
	}
	return p, nil
}

// transaction converts w. Reference and status are what an order is tracked
// by; without either the reply tells us nothing we can act on. The status is
// lower-cased (Senpay documents lower case) but otherwise kept as sent.
func (w wireTransaction) transaction() (Transaction, error) {
	if blank(w.Reference) {
		return Transaction{}, errors.New("transaction without reference")
	}
	if blank(w.Status) {
		return Transaction{}, fmt.Errorf("transaction %q: no status", w.Reference)
	}
	t := Transaction{
		Reference:        string(w.Reference),
		PartnerReference: string(w.PartnerReference),
		Provider:         string(w.Provider),
		Product:          string(w.Product),
		Status:           strings.ToLower(strings.TrimSpace(string(w.Status))),
		StatusAt:         parseTime(string(w.StatusAt)),
		SN:               string(w.SN),
		Note:             string(w.Note),
		WebhookSent:      w.WebhookSent.Value,
		CreatedAt:        parseTime(string(w.CreatedAt)),
		InvoiceURL:       string(w.InvoiceURL),
	}
	if w.Price.Set {
		if err := suppliers.CheckPrice(w.Price.Value); err != nil {
			return Transaction{}, fmt.Errorf("transaction %q: %w", w.Reference, err)
		}
		t.Price, t.PriceRaw = w.Price.Value, w.Price.Raw
	}
	return t, nil
}

// parseTime reads Senpay's timestamps ("2024-07-02T13:09:08.000000Z").
// They are informational: an unreadable one is left zero rather than
// turning a readable order status into a failure.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}
