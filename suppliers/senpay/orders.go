package senpay

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

var _ orders.Supplier = (*Client)(nil)

// Place sends p as one create-transaction call, never retried. Its error
// wraps orders.ErrNotTaken, orders.ErrTaken or orders.ErrUnknownOutcome
// (see suppliers.PlaceOutcome) and keeps the client's *suppliers.Error in the chain.
func (c *Client) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	fields := formFields(p.Form, p.Values)
	// Senpay's document makes every form key mandatory: a blank one is
	// refused here, before anything is sent.
	for _, f := range p.Form {
		if strings.TrimSpace(fields[f.Key]) == "" {
			err := refuse(suppliers.Request{Method: http.MethodPost, Path: pathCreate},
				fmt.Errorf("form field %q has no value", f.Key))
			return orders.Receipt{}, fmt.Errorf("senpay place %s ref %s: %w: %w", p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
		}
	}
	t, err := c.CreateTransaction(ctx, TransactionRequest{ProductCode: p.Code, PartnerReference: p.Ref, Fields: fields})
	if err != nil {
		return orders.Receipt{}, fmt.Errorf("senpay place %s ref %s: %w: %w", p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
	}
	r := receipt(t)
	// The create reply may leave partner_reference out; the order was
	// taken under ours all the same.
	r.Ref = p.Ref
	return r, nil
}

// Check looks an order up by Senpay's reference. Its errors are the
// client's, unmapped: a failed lookup changes nothing about the order.
// errors.Is(err, ErrNotFound) tells a reference Senpay does not know.
func (c *Client) Check(ctx context.Context, txn string) (orders.Receipt, error) {
	t, err := c.Transaction(ctx, txn)
	if err != nil {
		return orders.Receipt{}, fmt.Errorf("senpay check %s: %w", txn, err)
	}
	return receipt(t), nil
}

// formFields maps the buyer's canonical values to a provider's own form
// keys.
func formFields(form []offers.Field, values map[string]string) map[string]string {
	out := make(map[string]string, len(form))
	for _, f := range form {
		out[f.Key] = values[catalog.CanonicalKey(f.Key)]
	}
	return out
}

func receipt(t *Transaction) orders.Receipt {
	return orders.Receipt{
		Txn:      t.Reference,
		Ref:      t.PartnerReference,
		Progress: Progress(t.Status),
		Status:   t.Status,
		SN:       t.SN,
		Note:     t.Note,
		At:       t.StatusAt,
	}
}

// Progress maps a Senpay transaction status to syncd's terms, ignoring case
// and surrounding space. Senpay documents unpaid, processing, success,
// failed, refund and expired. Any other word is read as in flight, never as
// a failure: a failure lets the router buy the order elsewhere, while
// Senpay may yet deliver it.
func Progress(status string) orders.Progress {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case StatusSuccess:
		return orders.Delivered
	case StatusFailed, StatusRefund, StatusExpired:
		return orders.NotDelivered
	}
	return orders.InFlight
}

// OrderUpdate is a transaction_status webhook in the order router's terms,
// dated by its sent_at. It returns false for any other webhook.
func (w *Webhook) OrderUpdate() (orders.Update, bool) {
	if w == nil || w.Type != WebhookTransactionStatus || w.Status == nil {
		return orders.Update{}, false
	}
	s := w.Status
	return orders.Update{Supplier: Name, Receipt: orders.Receipt{
		Txn:      s.Reference,
		Ref:      s.PartnerReference,
		Progress: Progress(s.Status),
		Status:   s.Status,
		SN:       s.SN,
		Note:     s.Note,
		At:       s.SentAt,
	}}, true
}
