package orders

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/syncd/syncd"
)

// Delivery is one notification as operators see it.
type Delivery struct {
	ID          string     `json:"id"`
	Order       string     `json:"order"`
	Status      string     `json:"status"` // the order status it announces
	State       string     `json:"state"`  // pending, delivered or failed
	Attempts    int        `json:"attempts"`
	NextAt      *time.Time `json:"next_at"` // the next try; nil unless pending
	DeliveredAt *time.Time `json:"delivered_at"`
	FailedAt    *time.Time `json:"failed_at"` // when it was given up
	LastError   string     `json:"last_error"`
	CreatedAt   time.Time  `json:"created_at"`
}

// DeliveryFilter selects deliveries for List. Zero fields select all.
type DeliveryFilter struct {
	State string // pending, delivered or failed
	Order string
	Limit int // default 100, at most 1000
}

// List returns deliveries, newest first.
func (n *Notifier) List(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := listDeliveries(ctx, n.db.Read, f, min(limit, 1000))
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		d := Delivery{ID: r.ID, Order: r.Order, Status: r.Status, Attempts: r.Attempts, LastError: r.LastError}
		var err error
		if d.CreatedAt, err = syncd.ParseTime(r.CreatedAt); err != nil {
			return nil, fmt.Errorf("notification %s: created_at %q: %w", r.ID, r.CreatedAt, err)
		}
		for _, t := range []struct {
			col string
			s   sql.NullString
			dst **time.Time
		}{{"next_at", r.NextAt, &d.NextAt}, {"delivered_at", r.DeliveredAt, &d.DeliveredAt}, {"failed_at", r.FailedAt, &d.FailedAt}} {
			if !t.s.Valid {
				continue
			}
			v, err := syncd.ParseTime(t.s.String)
			if err != nil {
				return nil, fmt.Errorf("notification %s: %s %q: %w", r.ID, t.col, t.s.String, err)
			}
			*t.dst = &v
		}
		switch {
		case d.DeliveredAt != nil:
			d.State = DeliveryDelivered
		case d.FailedAt != nil:
			d.State = DeliveryFailed
		default:
			d.State = DeliveryPending
		}
		out[i] = d
	}
	return out, nil
}

// Stats counts the deliveries still pending and those given up, for
// metrics.
func (n *Notifier) Stats(ctx context.Context) (pending, failed int, err error) {
	return deliveryStats(ctx, n.db.Read)
}
