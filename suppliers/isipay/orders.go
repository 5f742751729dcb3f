package isipay

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

var _ orders.Supplier = (*Client)(nil)

// Place sends p as one order, never retried. Its error wraps
// orders.ErrNotTaken, orders.ErrTaken or orders.ErrUnknownOutcome (see
// suppliers.PlaceOutcome) and keeps the client's *suppliers.Error in the chain.
//
// Isipay's order reply carries only the invoice number, so the receipt is
// in flight with no status word; Check tells the rest.
func (c *Client) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	tmpl := suppliers.Template(p.Settings[settingData])
	// Every placeholder stands for a field of the game's form, which the
	// buyer must fill (the setting's check). A blank one would send a
	// half target such as "12345678()"; an entirely empty data string is
	// refused by Order itself.
	if key, ok := tmpl.Blank(p.Values); ok {
		err := notSent(suppliers.Request{Method: http.MethodPost, Path: pathOrder}, suppliers.KindRejected,
			fmt.Errorf("no value for {%s} in data template %q", key, tmpl))
		return orders.Receipt{}, fmt.Errorf("isipay place %s ref %s: %w: %w", p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
	}
	// Orders are taken only with values that cannot change the
	// template's shape; the template may have changed since.
	if key, why := tmpl.Breaking(p.Values); why != nil {
		err := notSent(suppliers.Request{Method: http.MethodPost, Path: pathOrder}, suppliers.KindRejected,
			fmt.Errorf("value of {%s} in data template %q: %w", key, tmpl, why))
		return orders.Receipt{}, fmt.Errorf("isipay place %s ref %s: %w: %w", p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
	}
	o, err := c.Order(ctx, OrderRequest{
		Code:            p.Code,
		ReferenceNumber: p.Ref,
		Data:            tmpl.Fill(p.Values),
	})
	if err != nil {
		return orders.Receipt{}, fmt.Errorf("isipay place %s ref %s: %w: %w", p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
	}
	return orders.Receipt{Txn: o.InvoiceNumber, Ref: p.Ref, Progress: orders.InFlight}, nil
}

// Check asks where an order stands by its invoice number. Its errors are
// the client's, unmapped: a failed lookup changes nothing about the order.
// Isipay's status reply echoes neither our reference nor a time, so the
// receipt has neither.
func (c *Client) Check(ctx context.Context, txn string) (orders.Receipt, error) {
	st, err := c.OrderStatus(ctx, txn)
	if err != nil {
		return orders.Receipt{}, fmt.Errorf("isipay check %s: %w", txn, err)
	}
	return orders.Receipt{Txn: st.InvoiceNumber, Progress: Progress(st.StatusCode), Status: st.StatusCode}, nil
}

// Progress maps an Isipay statusCode to syncd's terms, ignoring case and
// surrounding space.
//
// Isipay documents only "Success". The other words are assumptions: the
// English and Indonesian words such panels use for a delivered order
// (Sukses, Berhasil, Completed, Done) and for one that is over without
// delivery (Failed, Gagal, Cancel(l)ed, Batal, Refund(ed), Expired).
// Pending, Process(ing), Proses, Diproses and any word not listed are in
// flight: reading an unknown word as a failure would let the router buy
// the order elsewhere while Isipay may yet deliver it.
func Progress(status string) orders.Progress {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "success", "sukses", "berhasil", "completed", "done":
		return orders.Delivered
	case "failed", "gagal", "cancel", "cancelled", "canceled", "batal", "refund", "refunded", "expired":
		return orders.NotDelivered
	}
	return orders.InFlight
}
