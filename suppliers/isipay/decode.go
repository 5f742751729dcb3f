package isipay

import (
	"strings"

	"github.com/syncd/syncd/suppliers"
)

// The decoders below are pure: body in, domain value or *replyError out.
// The client uses them on every reply and the fuzz tests drive them
// directly. Wire structs stay unexported; only domain types leave.

type wireAccount struct {
	Name       suppliers.Text   `json:"name"`
	Email      suppliers.Text   `json:"email"`
	Telp       suppliers.Text   `json:"telp"`
	Membership suppliers.Text   `json:"membership"`
	Balance    suppliers.Amount `json:"balance"`
}

func decodeBalance(body []byte) (*Account, error) {
	o, err := open(body)
	if err != nil {
		return nil, err
	}
	var w wireAccount
	if err := o.object(&w); err != nil {
		return nil, err
	}
	// A missing balance is not zero: an operator would read it as "top up
	// now". The sign is not checked, since a credit line could make it
	// negative and that is worth showing as sent.
	if !w.Balance.Set {
		return nil, o.fail("account without a balance")
	}
	return &Account{
		Name:       string(w.Name),
		Email:      string(w.Email),
		Phone:      string(w.Telp),
		Membership: string(w.Membership),
		Balance:    w.Balance.Value,
	}, nil
}

type wireProduct struct {
	Code     suppliers.Text `json:"code"`
	Name     suppliers.Text `json:"name"`
	IsActive suppliers.Bool `json:"is_active"`
}

func decodeProducts(body []byte) ([]Product, error) {
	o, err := open(body)
	if err != nil {
		return nil, err
	}
	var ws []wireProduct
	if err := o.list(&ws); err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(ws))
	seen := make(map[string]bool, len(ws))
	for i, w := range ws {
		code := string(w.Code)
		if err := checkCode("product", code); err != nil {
			return nil, o.fail("product %d: %w", i, err)
		}
		if seen[code] {
			return nil, o.fail("product %q listed twice", code)
		}
		seen[code] = true
		// is_active missing or null reads as inactive: syncd must not sell
		// what the supplier did not say it sells.
		out = append(out, Product{Code: code, Name: string(w.Name), Active: w.IsActive.Value})
	}
	return out, nil
}

type wireVariant struct {
	ID              suppliers.Text   `json:"id"`
	Code            suppliers.Text   `json:"code"`
	Name            suppliers.Text   `json:"name"`
	IsActive        suppliers.Bool   `json:"is_active"`
	Price           suppliers.Amount `json:"price"`
	ProcessDuration suppliers.Text   `json:"processDuration"`
}

func decodeVariants(body []byte) ([]Variant, error) {
	o, err := open(body)
	if err != nil {
		return nil, err
	}
	var ws []wireVariant
	if err := o.list(&ws); err != nil {
		return nil, err
	}
	out := make([]Variant, 0, len(ws))
	seen := make(map[string]bool, len(ws))
	for i, w := range ws {
		code := string(w.Code)
		if err := checkCode("variant", code); err != nil {
			return nil, o.fail("variant %d: %w", i, err)
		}
		if seen[code] {
			return nil, o.fail("variant %q listed twice", code)
		}
		seen[code] = true
		// Every variant needs a price, inactive ones too: an offer stored
		// without a real cost could be sold at a loss the day it turns active
		// if the price then failed to arrive. Failing the fetch keeps the last
		// good catalog instead.
		if !w.Price.Set {
			return nil, o.fail("variant %q without a price", code)
		}
		// The raw text, bounded by suppliers.ParseAmount, names the price:
		// the decimal of "1e9999" would print ten thousand digits.
		if err := suppliers.CheckPrice(w.Price.Value); err != nil {
			return nil, o.fail("variant %q: price %q is negative or above IDR %d", code, w.Price.Raw, suppliers.MaxPrice)
		}
		out = append(out, Variant{
			ID:              string(w.ID),
			Code:            code,
			Name:            string(w.Name),
			Active:          w.IsActive.Value,
			Price:           w.Price.Value,
			PriceRaw:        w.Price.Raw,
			ProcessDuration: string(w.ProcessDuration),
		})
	}
	return out, nil
}

type wireOrder struct {
	InvoiceNumber suppliers.Text `json:"invoiceNumber"`
}

// decodeOrder reads the reply to an order. A success without an invoice
// number is unreadable, never a refusal: Isipay said it took the order, so
// the order may exist and must be reconciled by referenceNumber.
func decodeOrder(body []byte) (*Order, error) {
	o, err := open(body)
	if err != nil {
		return nil, err
	}
	var w wireOrder
	if err := o.object(&w); err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(w.InvoiceNumber)) == "" {
		return nil, o.fail("order accepted without an invoiceNumber")
	}
	return &Order{InvoiceNumber: string(w.InvoiceNumber)}, nil
}

type wireOrderStatus struct {
	InvoiceNumber suppliers.Text `json:"invoiceNumber"`
	ProductName   suppliers.Text `json:"productName"`
	UserData      suppliers.Text `json:"userData"`
	StatusCode    suppliers.Text `json:"statusCode"`
}

// decodeOrderStatus reads the reply to a status query. The invoice number
// and status are required: a status the router cannot attribute or read
// must not settle an order.
func decodeOrderStatus(body []byte) (*OrderStatus, error) {
	o, err := open(body)
	if err != nil {
		return nil, err
	}
	var w wireOrderStatus
	if err := o.object(&w); err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(w.InvoiceNumber)) == "" {
		return nil, o.fail("order status without an invoiceNumber")
	}
	if strings.TrimSpace(string(w.StatusCode)) == "" {
		return nil, o.fail("order status of %q without a statusCode", suppliers.Snippet([]byte(w.InvoiceNumber)))
	}
	return &OrderStatus{
		InvoiceNumber: string(w.InvoiceNumber),
		ProductName:   string(w.ProductName),
		UserData:      string(w.UserData),
		StatusCode:    string(w.StatusCode),
	}, nil
}
