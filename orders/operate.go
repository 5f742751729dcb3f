package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/printable"
)

// What operators do with orders: list and read them whole, count them,
// and settle the ones in attention.

// Filter selects orders for operators.
type Filter struct {
	Status Status    // "" for any
	Since  time.Time // created at or after; zero for any
	Until  time.Time // created before; zero for any
	Limit  int       // default 100, at most 1000
}

// List returns orders newest first; attention orders come first whatever
// the filter, because they wait for a person.
func (s *Service) List(ctx context.Context, f Filter) ([]*Order, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = min(max(f.Limit, 100), 1000)
	}
	rows, err := listOrders(ctx, s.db.Read, f)
	if err != nil {
		return nil, err
	}
	out := make([]*Order, 0, len(rows))
	for i := range rows {
		o, err := rows[i].view()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Routing is an order's whole story, for operators: every attempt and
// every event, routing decisions included, and the price's explanation
// as it was when the order was taken.
type Routing struct {
	Order    *Order          `json:"order"`
	Cost     *int64          `json:"cost"`
	Attempts []attemptRow    `json:"attempts"`
	Events   []Event         `json:"events"`
	Explain  json.RawMessage `json:"explain"`
}

// Routing returns an order's attempts and events.
func (s *Service) Routing(ctx context.Context, id string) (*Routing, error) {
	row, err := getOrder(ctx, s.r(), id)
	if err != nil {
		return nil, err
	}
	o, err := row.view()
	if err != nil {
		return nil, err
	}
	r := &Routing{Order: o, Attempts: []attemptRow{}}
	if row.Cost.Valid {
		r.Cost = &row.Cost.Int64
	}
	if r.Attempts, err = attemptsOf(ctx, s.db.Read, id); err != nil {
		return nil, err
	}
	if r.Attempts == nil {
		r.Attempts = []attemptRow{}
	}
	if r.Events, err = eventsOf(ctx, s.db.Read, id); err != nil {
		return nil, err
	}
	explain, err := explainOf(ctx, s.db.Read, id)
	if err != nil {
		return nil, err
	}
	if explain != "" {
		r.Explain = json.RawMessage(explain)
	} else {
		r.Explain = json.RawMessage("null")
	}
	return r, nil
}

// Counts returns how many orders are in each status.
func (s *Service) Counts(ctx context.Context) (map[Status]int, error) {
	out := map[Status]int{Pending: 0, Processing: 0, Success: 0, Failed: 0, Attention: 0}
	if err := countOrders(ctx, s.db.Read, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Settlement is an operator's decision on an order in attention.
type Settlement struct {
	Succeeded bool
	SN        string
	Note      string // why: required, it is the audit trail
}

// Settle decides an order in attention by hand: the operator checked
// with the supplier. The open attempt is closed the same way; the
// decision, note and actor are kept in the order's events.
func (s *Service) Settle(ctx context.Context, id string, st Settlement, actor string) (*Order, error) {
	if strings.TrimSpace(st.Note) == "" || len(st.Note) > 1000 {
		return nil, invalid("note", "required: what was checked, at most 1000 characters")
	}
	// The note becomes the reason storefronts are shown; it may run to a
	// few lines (the console's text area), nothing else that is not text.
	if err := printable.Text(st.Note); err != nil {
		return nil, invalid("note", err.Error())
	}
	if err := printable.Line(st.SN); err != nil {
		return nil, invalid("sn", err.Error())
	}
	// A lease is only ever of an order that exists.
	if _, err := getOrder(ctx, s.r(), id); err != nil {
		return nil, err
	}
	unlock := s.orders.Lock(id)
	defer unlock()
	l, err := s.awaitLease(ctx, id)
	if err != nil {
		return nil, err
	}
	defer l.release()
	var changed *orderRow
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.fence(ctx, tx, id); err != nil {
			return err
		}
		row, err := getOrder(ctx, s.w(tx), id)
		if err != nil {
			return err
		}
		if row.Status != Attention {
			return fmt.Errorf("order %s is %s: %w", id, row.Status, ErrNotSettleable)
		}
		atts, err := attemptsOf(ctx, s.w(tx), id)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		ch := change{to: Failed, reason: "settled by an operator: " + st.Note}
		if st.Succeeded {
			ch = change{to: Success, sn: st.SN}
		}
		for i := range atts {
			a := &atts[i]
			if !a.open() {
				continue
			}
			a.State, a.Message, a.NextCheckAt, a.UpdatedAt = stateFailed, "settled by "+actor, sql.NullString{}, syncd.FormatTime(now)
			if st.Succeeded {
				a.State, a.SN = stateSucceeded, st.SN
				ch.supplier, ch.cost = a.Supplier, &a.Cost
			}
			if err := saveAttempt(ctx, s.w(tx), a); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, s.w(tx), id, "settled", actor, now, map[string]any{"succeeded": st.Succeeded, "sn": st.SN, "note": st.Note}); err != nil {
			return err
		}
		changed, err = s.move(ctx, tx, row, ch, actor, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.changed(changed)
	return changed.view()
}
