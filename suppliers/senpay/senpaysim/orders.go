package senpaysim

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Transaction statuses Senpay documents.
const (
	StatusProcessing = "processing"
	StatusSuccess    = "success"
	StatusFailed     = "failed"
	StatusRefund     = "refund"
	StatusExpired    = "expired"
)

// Transaction is an order placed with the simulator.
type Transaction struct {
	Reference        string
	PartnerReference string
	ProductCode      string
	ProviderName     string
	ProductName      string
	Price            decimal.Decimal
	Fields           map[string]string // form values as sent, without the two fixed keys
	Status           string
	SN               string
	Note             string
	CreatedAt        time.Time
	StatusAt         time.Time
	WebhookSent      bool
	InvoiceURL       string
}

type order struct {
	Transaction
	settleAt time.Time
	outcome  string // the status it reaches at settleAt
}

// wib is the time zone Senpay writes its notes in.
var wib = time.FixedZone("WIB", 7*60*60)

// partnerWindow is how long Senpay keeps a partner_reference unique.
const partnerWindow = 24 * time.Hour

// SetTargetOutcome makes every later order whose form values include target
// (a user id, say) end in status: "failed", "refund" or "expired", or
// "processing" to keep it stuck. An empty status removes the rule; orders
// without a rule succeed.
func (s *Sim) SetTargetOutcome(target, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == "" {
		delete(s.targets, target)
		return
	}
	s.targets[target] = status
}

// Transactions returns every order created so far, oldest first, with its
// status as of now.
func (s *Sim) Transactions() []Transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Transaction, 0, len(s.orders))
	for _, o := range s.orders {
		s.settle(o, now)
		out = append(out, o.snapshot())
	}
	return out
}

func (o *order) snapshot() Transaction {
	t := o.Transaction
	t.Fields = maps.Clone(o.Fields)
	return t
}

// create validates an order as Senpay does and records it. It returns the
// refusal message when the order is refused.
func (s *Sim) create(fields map[string]string, invoiceBase string) (Transaction, string) {
	code, ref := fields["target_product_code"], fields["partner_reference"]
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if prev, ok := s.byPartner[ref]; ok && now.Sub(prev.CreatedAt) < partnerWindow {
		return Transaction{}, msgDuplicateRef
	}
	p, ok := s.prodCode[code]
	if !ok {
		return Transaction{}, msgProductNotFound
	}
	if !p.active || !p.prov.active {
		return Transaction{}, msgProductInactive
	}
	form := make(map[string]string)
	for _, f := range p.prov.Forms {
		v := strings.TrimSpace(fields[f.Key])
		if v == "" {
			return Transaction{}, f.Label + " wajib diisi"
		}
		if f.Type == "dropdown" && !hasOption(f, v) {
			return Transaction{}, f.Label + " tidak valid"
		}
		form[f.Key] = fields[f.Key]
	}
	if s.limited && s.balance.LessThan(p.price) {
		return Transaction{}, msgNoBalance
	}
	if s.limited {
		s.balance = s.balance.Sub(p.price)
	}
	outcome := StatusSuccess
	for _, v := range form {
		if st, ok := s.targets[v]; ok {
			outcome = st
		}
	}
	reference := s.newReference(now)
	o := &order{
		Transaction: Transaction{
			Reference:        reference,
			PartnerReference: ref,
			ProductCode:      code,
			ProviderName:     p.prov.Name,
			ProductName:      p.Name,
			Price:            p.price,
			Fields:           form,
			Status:           StatusProcessing,
			CreatedAt:        now,
			StatusAt:         now,
			InvoiceURL:       invoiceBase + reference,
		},
		settleAt: now.Add(s.opts.OrderDelay),
		outcome:  outcome,
	}
	s.orders = append(s.orders, o)
	s.byRef[reference] = o
	s.byPartner[ref] = o
	if s.opts.WebhookURL != "" && outcome != StatusProcessing {
		s.notifyLater(reference)
	}
	return o.snapshot(), ""
}

func hasOption(f Form, v string) bool {
	for _, o := range f.Options {
		if optionCode(o.Code) == v {
			return true
		}
	}
	return false
}

// newReference returns a fresh reference shaped like Senpay's
// ("TRX24070385294000934": date, then 11 digits); s.mu held.
func (s *Sim) newReference(now time.Time) string {
	for {
		ref := fmt.Sprintf("TRX%s%011d", now.In(wib).Format("060102"), rand.Int64N(1e11))
		if _, taken := s.byRef[ref]; !taken {
			return ref
		}
	}
}

// lookup returns an order by reference, settled as of now.
func (s *Sim) lookup(reference string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byRef[reference]
	if !ok {
		return Transaction{}, false
	}
	s.settle(o, s.now())
	return o.snapshot(), true
}

// settle moves a processing order to its outcome once its time has come;
// s.mu held. Money for an order that did not deliver goes back to the
// balance, as Senpay refunds its saldo.
func (s *Sim) settle(o *order, now time.Time) {
	if o.Status != StatusProcessing || o.outcome == StatusProcessing || now.Before(o.settleAt) {
		return
	}
	o.Status, o.StatusAt = o.outcome, o.settleAt
	at := o.settleAt.In(wib).Format("2006/01/02 15:04:05")
	switch o.outcome {
	case StatusSuccess:
		o.SN = "N/A"
		o.Note = "Transaksi berhasil pada " + at + " WIB"
	case StatusExpired:
		o.Note = "Transaksi kedaluwarsa pada " + at + " WIB"
	default:
		o.Note = "Transaksi gagal pada " + at + " WIB, saldo telah dikembalikan"
	}
	if o.outcome != StatusSuccess && s.limited {
		s.balance = s.balance.Add(o.Price)
	}
}

// Senpay's timestamps: UTC with microseconds ("2024-07-02T13:08:38.000000Z").
const stampLayout = "2006-01-02T15:04:05.000000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

type createdReply struct {
	Reference        string      `json:"reference"`
	PartnerReference string      `json:"partner_reference"`
	Provider         string      `json:"provider"`
	Product          string      `json:"product"`
	Price            json.Number `json:"price"`
	Status           string      `json:"status"`
	InvoiceURL       string      `json:"invoice_url"`
}

func createdJSON(t Transaction) createdReply {
	return createdReply{
		Reference: t.Reference, PartnerReference: t.PartnerReference,
		Provider: t.ProviderName, Product: t.ProductName,
		Price: json.Number(t.Price.String()), Status: t.Status, InvoiceURL: t.InvoiceURL,
	}
}

type statusReply struct {
	Reference        string `json:"reference"`
	PartnerReference string `json:"partner_reference"`
	Provider         string `json:"provider"`
	Product          string `json:"product"`
	Status           string `json:"status"`
	StatusAt         string `json:"status_at"`
	SN               string `json:"sn"`
	Note             string `json:"note"`
	WebhookSent      bool   `json:"webhook_sent"`
	CreatedAt        string `json:"created_at"`
	InvoiceURL       string `json:"invoice_url"`
}

func statusJSON(t Transaction) statusReply {
	return statusReply{
		Reference: t.Reference, PartnerReference: t.PartnerReference,
		Provider: t.ProviderName, Product: t.ProductName,
		Status: t.Status, StatusAt: stamp(t.StatusAt), SN: t.SN, Note: t.Note,
		WebhookSent: t.WebhookSent, CreatedAt: stamp(t.CreatedAt), InvoiceURL: t.InvoiceURL,
	}
}
