package isipaysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// Order statuses the simulator sends. Isipay documents only "Success"; the
// others are assumptions the client passes through untouched.
const (
	StatusPending = "Pending"
	StatusSuccess = "Success"
	StatusFailed  = "Failed"
)

// Order is an order as the simulator recorded it.
type Order struct {
	InvoiceNumber   string
	ReferenceNumber string
	Code            string // the variant ordered
	Data            string // the customer target
	Price           decimal.Decimal
	Status          string
	CreatedAt       time.Time
}

type order struct {
	Order
	productName string
	outcome     string // the status it settles to
}

// settle moves due orders to their outcome. Orders settle lazily, on the
// next request or accessor that looks, so nothing runs in the background.
// A failed order refunds its price, as a supplier's ledger would. An order
// steered to "Pending" never settles: a stuck order.
func (s *Sim) settle() {
	now := s.now()
	for _, o := range s.orders {
		if o.Status != StatusPending || o.outcome == StatusPending || now.Before(o.CreatedAt.Add(s.orderDelay)) {
			continue
		}
		o.Status = o.outcome
		if o.Status == StatusFailed {
			s.balance = s.balance.Add(o.Price)
		}
	}
}

// serveOrder takes an order. Checks run in this order, each a refusal with
// the HTTP status equal to the envelope's code:
//
//   - a body that is not {"code","referenceNumber","data"} strings: 400;
//   - an empty field: 400 "The <field> field is required.";
//   - a referenceNumber already used by an order: 400 "referenceNumber
//     already exists". Isipay's document is silent; assumed a refusal, which
//     is the dangerous reading for a client, since the first order stands.
//     Refused orders do not use up their reference;
//   - an unknown variant: 404 "Variant not found";
//   - an inactive variant or product: 400 "Produk sedang tidak tersedia";
//   - a balance below the price: 400 "Saldo tidak mencukupi".
//
// An accepted order costs its price at once and is "Pending" until
// OrderDelay has passed.
func (s *Sim) serveOrder(w http.ResponseWriter, body []byte) {
	var req struct {
		Code            string `json:"code"`
		ReferenceNumber string `json:"referenceNumber"`
		Data            string `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	for _, f := range []struct{ name, value string }{
		{"code", req.Code}, {"referenceNumber", req.ReferenceNumber}, {"data", req.Data},
	} {
		if f.value == "" {
			fail(w, http.StatusBadRequest, fmt.Sprintf("The %s field is required.", f.name))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	if s.byRef[req.ReferenceNumber] != nil {
		fail(w, http.StatusBadRequest, "referenceNumber already exists")
		return
	}
	loc, found := s.variants[req.Code]
	if !found {
		fail(w, http.StatusNotFound, "Variant not found")
		return
	}
	p := &s.cat.Products[loc[0]]
	v := &p.Variants[loc[1]]
	pActive, _ := readActive(p.IsActive)
	vActive, _ := readActive(v.IsActive)
	price, _ := readPrice(v.Price) // checked when the variant came in
	if !pActive || !vActive {
		fail(w, http.StatusBadRequest, "Produk sedang tidak tersedia")
		return
	}
	if s.balance.LessThan(price) {
		fail(w, http.StatusBadRequest, "Saldo tidak mencukupi")
		return
	}
	s.balance = s.balance.Sub(price)
	s.invoiceSeq++
	outcome := StatusSuccess
	if t, ok := s.targets[req.Data]; ok {
		outcome = t
	}
	o := &order{
		Order: Order{
			InvoiceNumber:   fmt.Sprintf("RZ-RAPI%09d", s.invoiceSeq),
			ReferenceNumber: req.ReferenceNumber,
			Code:            req.Code,
			Data:            req.Data,
			Price:           price,
			Status:          StatusPending,
			CreatedAt:       s.now(),
		},
		productName: p.Name + " " + v.Name,
		outcome:     outcome,
	}
	s.orders = append(s.orders, o)
	s.byInvoice[o.InvoiceNumber] = o
	s.byRef[o.ReferenceNumber] = o
	s.settle() // with no OrderDelay an order is done at once
	ok(w, struct {
		InvoiceNumber string `json:"invoiceNumber"`
	}{o.InvoiceNumber})
}

// serveStatus reports an order. An unknown invoice is a 404 refusal
// "Invoice not found" (assumed).
func (s *Sim) serveStatus(w http.ResponseWriter, invoice string) {
	s.mu.Lock()
	s.settle()
	o := s.byInvoice[invoice]
	var st struct {
		InvoiceNumber string `json:"invoiceNumber"`
		ProductName   string `json:"productName"`
		UserData      string `json:"userData"`
		StatusCode    string `json:"statusCode"`
	}
	if o != nil {
		st.InvoiceNumber, st.ProductName, st.UserData, st.StatusCode = o.InvoiceNumber, o.productName, o.Data, o.Status
	}
	s.mu.Unlock()
	if o == nil {
		fail(w, http.StatusNotFound, "Invoice not found")
		return
	}
	ok(w, st)
}

// Orders returns every order taken, oldest first, with its current status.
func (s *Sim) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = o.Order
	}
	return out
}

// SetTargetOutcome steers orders for a customer target (the order's data):
// they settle to status instead of "Success" ("Failed" refunds; "Pending"
// never settles). It applies to orders taken after the call.
func (s *Sim) SetTargetOutcome(data, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets[data] = status
}
