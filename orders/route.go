package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// Decision is what routing made of one candidate offer.
type Decision struct {
	Offer    int64  `json:"offer"`
	Supplier string `json:"supplier"`
	Cost     int64  `json:"cost"`
	MinPrice string `json:"min_price,omitempty"` // the guards' floor at this cost
	// Verdict: "tried", "skipped", or "spare" (viable, not needed).
	Verdict string `json:"verdict"`
	Why     string `json:"why,omitempty"`
	// Reliability is the supplier's recent record, when reliability-
	// weighted routing weighed this candidate.
	Reliability *Reliability `json:"reliability,omitempty"`
}

// dispatchAsync routes an order in the background and returns the step
// (its done channel closes when it ends); nil once the service is closing.
func (s *Service) dispatchAsync(id string) *dispatched { return s.dispatch(id, nil) }

// handoff is a new order passed from intake to its first routing step:
// the order's lock, taken before intake's transaction began, and the
// order and first attempt as that transaction stored them. Every writer
// of an order holds its lock and its lease, and intake took both, so
// nothing can have moved the order since: the step sends the attempt
// without reading the order back (two reads on the reader fewer, about a
// tenth of an order's CPU: issue 17, row 5).
type handoff struct {
	unlock func()
	row    *orderRow
	first  *attemptRow // prepared by intake, not sent
}

// dispatch is dispatchAsync, for a new order from intake when h is set:
// the step then holds h's lock from the start and sends h.first as a
// first send, the lease intake took with it kept.
func (s *Service) dispatch(id string, h *handoff) *dispatched {
	if !s.begin() {
		if h != nil {
			h.unlock()
		}
		return nil
	}
	d := &dispatched{done: make(chan struct{})}
	go func() {
		defer s.work.Done()
		defer close(d.done)
		if h != nil {
			defer h.unlock()
		} else {
			defer s.orders.Lock(id)()
		}
		// Not the request's context: a storefront hanging up must not
		// cut a purchase in half.
		ctx := context.Background()
		var l *lease
		if h != nil {
			// Intake took the lease with the attempt it stored.
			l = s.keep(id)
		} else if held, ok, err := s.tryLease(ctx, id); err != nil || !ok {
			if err != nil {
				s.log.Error("route order", "order", id, "err", err)
			}
			return // another instance routes it
		} else {
			l = held
		}
		defer l.halt()
		last, err := s.route(ctx, l, id, h)
		if err != nil {
			s.log.Error("route order", "order", id, "err", err)
		}
		d.last = last
		l.release()
	}()
	return d
}

// dispatched is a routing step in its goroutine: done closes when it
// ends, and last is then the order as the step's last transaction left
// it (nil if unknown), which intake answers with instead of reading the
// order back.
type dispatched struct {
	done chan struct{}
	last *orderRow // written before done closes; read only after
}

// begin registers a step of work unless the service is closing; the
// caller must call s.work.Done when the step ends.
func (s *Service) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.work.Add(1)
	return true
}

func (s *Service) closing() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// route moves an order as far as it can go now; the order's lock and
// lease l held. A send that leaves the order to status tracking is the
// step's last write, and its transaction lets the lease go (dropIn).
// Each pass either sends a prepared attempt, prepares the next one, or
// leaves the order to status tracking (an attempt in flight) or to an
// operator. A closing service stops between steps: every step's state is
// stored, and the next start resumes from it. h, when set, is a new order
// from intake: its first pass starts from h instead of reading the order,
// and only h.first is a first send (see send).
//
// It returns the order as the step left it when it knows it: as read at
// the step's end, or as the transaction that stored its last send's
// answer wrote it (nil otherwise).
func (s *Service) route(ctx context.Context, l *lease, id string, h *handoff) (*orderRow, error) {
	fresh := 0             // the attempt this process prepared and has not sent
	for pass := range 50 { // more candidates than any item has; a bound, not a plan
		var row *orderRow
		var atts []attemptRow
		if pass == 0 && h != nil {
			row, atts, fresh = h.row, []attemptRow{*h.first}, h.first.Seq
		} else {
			// The reader sees every committed write, and every write to
			// this order is made under the lease the caller holds.
			var err error
			if row, err = getOrder(ctx, s.r(), id); err != nil {
				return nil, err
			}
			if row.Status.Final() || row.Status == Attention {
				return row, nil
			}
			if atts, err = attemptsOf(ctx, s.r(), id); err != nil {
				return nil, err
			}
		}
		if n := len(atts); n > 0 {
			switch last := &atts[n-1]; last.State {
			case statePrepared:
				// Prepared by intake for this step (fresh), or stored and
				// maybe sent before a crash: then resend exactly it, with
				// the same reference. Never skip it for another supplier:
				// the first send may have landed. The supplier refuses a
				// reference it already has (see ErrTaken).
				first := last.Seq == fresh
				fresh = 0
				if st, after, err := s.send(ctx, l, row, last, first); err != nil || !closed(st) {
					return after, err
				}
				continue
			case stateUnknown, stateTaken, stateAccepted:
				return row, nil // status tracking follows it
			}
		}
		if s.closing() {
			return nil, nil
		}
		a, err := s.prepare(ctx, row, atts)
		if err != nil || a == nil {
			return nil, err
		}
		if len(atts) > 0 {
			s.observe("fallback", a.Supplier, "")
		}
		// An attempt still open is status tracking's from here; only a
		// closed one sends route round again, to the next candidate.
		if st, after, err := s.send(ctx, l, row, a, true); err != nil || !closed(st) {
			return after, err
		}
	}
	return nil, fmt.Errorf("order %s: routing did not settle", id)
}

// prepare picks the next supplier for an order and stores the attempt
// before anything is sent. With no supplier left it fails the order.
func (s *Service) prepare(ctx context.Context, row *orderRow, atts []attemptRow) (*attemptRow, error) {
	var prepared *attemptRow
	var moved *orderRow
	cands, cerr := s.cat.Candidates(ctx, row.ItemID)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.fence(ctx, tx, row.ID); err != nil {
			return err
		}
		var err error
		prepared, moved, err = s.prepareIn(ctx, tx, row, atts, cands, cerr)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.changed(moved)
	return prepared, nil
}

// prepareIn is prepare inside tx, so that intake commits an order and its
// first attempt together: one fsync fewer per order, and still both are
// stored before any supplier is called. It returns the attempt, or the
// order if it failed for want of a supplier.
//
// cands and cerr are what Candidates said of the order's item, read by the
// caller before tx began: the read is on the reader pool either way, and
// outside the transaction it no longer holds the one writer (SQLite) while
// it runs, which every other order's commit waits for. A cost moved by a
// sync in between is what PostgreSQL, whose writers run side by side,
// could always see.
func (s *Service) prepareIn(ctx context.Context, tx *sqlx.Tx, row *orderRow, atts []attemptRow,
	cands []catalog.Candidate, cerr error) (*attemptRow, *orderRow, error) {
	now := s.cfg.Now()
	snap := s.cat.Snapshot()
	if snap == nil {
		return nil, nil, ErrNotReady
	}
	var decisions []Decision
	var pick *catalog.Candidate
	var rel *ReliabilityNote
	why := ""
	switch {
	case errors.Is(cerr, catalog.ErrNotFound):
		why = "the item is no longer in the catalog"
	case cerr != nil:
		return nil, nil, cerr
	case now.After(row.settleBy()):
		why = fmt.Sprintf("no supplier delivered within %s of the order", s.cfg.RerouteWindow)
	default:
		var err error
		if decisions, pick, rel, err = s.judge(ctx, row, atts, cands, snap, now); err != nil {
			return nil, nil, err
		}
		if pick == nil {
			why = "no supplier can deliver at the order's price"
			if len(cands) == 0 {
				why = "the item has no offers"
			}
		}
	}
	detail := map[string]any{"candidates": decisions, "why": why}
	if rel != nil {
		detail["reliability"] = rel
	}
	if err := addEvent(ctx, s.w(tx), row.ID, "route", "syncd", now, detail); err != nil {
		return nil, nil, err
	}
	if pick == nil {
		moved, err := s.move(ctx, tx, row, change{to: Failed, reason: why + summary(decisions)}, "syncd", now)
		return nil, moved, err
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(row.Fields), &fields); err != nil {
		return nil, nil, fmt.Errorf("order %s fields: %w", row.ID, err)
	}
	seq := len(atts) + 1
	p := Purchase{Ref: supplierRef(row.ID, seq), Code: pick.Code, GameCode: pick.GameCode, Form: pick.Form,
		Values: fields, Settings: pick.Settings, Cost: pick.Cost}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("purchase of order %s: %w", row.ID, err)
	}
	stamp := syncd.FormatTime(now)
	prepared := &attemptRow{OrderID: row.ID, Seq: seq, Supplier: pick.Supplier, OfferID: pick.OfferID,
		ProductCode: pick.Code, Cost: pick.Cost, Ref: p.Ref, State: statePrepared, Purchase: string(b),
		// A prepared attempt is due for a check at once: if syncd dies
		// before the answer is stored, the poller resends it.
		NextCheckAt: sql.NullString{String: syncd.FormatTime(now.Add(s.cfg.PollBase)), Valid: true},
		CreatedAt:   stamp, UpdatedAt: stamp}
	return prepared, nil, insertAttempt(ctx, s.w(tx), prepared)
}

// judge goes through the candidates cheapest first and picks the first
// that may be tried: eligible, not tried before for this order, a
// supplier syncd can order from, a cost that still leaves the guards'
// minimum margin at the order's price, and within a known balance. With
// reliability-weighted routing on, a more reliable supplier within the
// tolerance of that candidate's cost may be tried instead (its note says
// what was weighed; nil when it is off or was not asked).
func (s *Service) judge(ctx context.Context, row *orderRow, atts []attemptRow, cands []catalog.Candidate,
	snap *catalog.Snapshot, now time.Time) ([]Decision, *catalog.Candidate, *ReliabilityNote, error) {
	tried := map[int64]string{}
	for _, a := range atts {
		tried[a.OfferID] = a.State
	}
	balances, err := s.balances(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	var pick *catalog.Candidate
	at := -1 // pick's index, when it passed its circuit (not a probe)
	out := make([]Decision, 0, len(cands))
	// Candidates that could deliver but whose supplier's circuit is open:
	// routed past, unless none other can deliver.
	var open []int
	for i := range cands {
		c := &cands[i]
		d := Decision{Offer: c.OfferID, Supplier: c.Supplier, Cost: c.Cost}
		if st, ok := tried[c.OfferID]; ok {
			d.Why = "tried before for this order (" + st + ")"
		} else if !c.Eligible {
			d.Why = c.Ineligible
		} else if s.cfg.Suppliers[c.Supplier] == nil {
			d.Why = "syncd cannot order from " + c.Supplier
		} else if floor, err := snap.MinPrice(row.ItemID, row.Tier, c.Supplier, c.Cost, now); err != nil {
			d.Why = "no price can be decided: " + err.Error()
		} else {
			d.MinPrice = floor.String()
			bal, known := balances[c.Supplier]
			switch {
			case floor.GreaterThan(decimal.NewFromInt(row.Price)):
				d.Why = fmt.Sprintf("cost %d needs a price of at least %s; the order is at %d", c.Cost, floor, row.Price)
			case known && c.Cost > bal:
				d.Why = fmt.Sprintf("balance %d is below the cost %d", bal, c.Cost)
			}
		}
		switch {
		case d.Why != "":
			d.Verdict = "skipped"
		case pick == nil:
			switch g, why := s.breakers.admit(c.Supplier, now); g {
			case gateSkip:
				d.Verdict, d.Why = "skipped", why
				open = append(open, i)
			case gateProbe:
				d.Verdict, d.Why, pick = "tried", why, c
				s.breakers.probe(c.Supplier, supplierRef(row.ID, len(atts)+1), now)
			default:
				d.Verdict, pick, at = "tried", c, i
			}
		default:
			d.Verdict = "spare"
		}
		out = append(out, d)
	}
	if pick == nil && len(open) > 0 {
		// Every supplier that can deliver has its circuit open. A slow or
		// failing supplier is still better than none: the order goes to
		// the cheapest, and its outcome is handled as any other.
		i := open[0]
		open = open[1:]
		pick = &cands[i]
		out[i].Verdict = "tried"
		out[i].Why += "; no other supplier can deliver at the order's price: sent anyway"
		s.breakers.forced(pick.Supplier)
	}
	var note *ReliabilityNote
	if at >= 0 && s.cfg.Reliability.On() {
		if at, note, err = s.preferReliable(ctx, out, cands, at, now); err != nil {
			return nil, nil, nil, err
		}
		pick = &cands[at]
	}
	for _, i := range open {
		s.breakers.skipped(out[i].Supplier, out[i].Why)
	}
	return out, pick, note, nil
}

func summary(ds []Decision) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %d: %s", d.Supplier, d.Offer, d.Why))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// send places a prepared attempt with its supplier and stores what came
// of it. Only the supplier's verdict decides what happens next: a clear
// refusal lets route try the next candidate; anything unclear leaves the
// attempt to be reconciled at this supplier. first is true when this
// process prepared the attempt and has not sent it: only then is a
// refusal proof that the supplier does not have the order.
// It returns the attempt's new state.
func (s *Service) send(ctx context.Context, l *lease, row *orderRow, a *attemptRow, first bool) (string, *orderRow, error) {
	sup := s.cfg.Suppliers[a.Supplier]
	if sup == nil {
		// Configured when the attempt was stored, not now: it may have
		// been sent, so it is the operator's.
		return a.State, nil, s.toAttention(ctx, row, a, a.Supplier+" is no longer configured; the attempt may have been sent")
	}
	var p Purchase
	if err := json.Unmarshal([]byte(a.Purchase), &p); err != nil {
		return a.State, nil, fmt.Errorf("purchase of attempt %s: %w", a.Ref, err)
	}
	rc, err := s.place(ctx, sup, a, p)
	return s.record(ctx, l, row.ID, a.Seq, rc, err, first)
}

// place sends the purchase of attempt a to its supplier, and tells the
// supplier's circuit what came of it.
func (s *Service) place(ctx context.Context, sup Supplier, a *attemptRow, p Purchase) (Receipt, error) {
	rc, err := sup.Place(ctx, p)
	s.breakers.record(a.Supplier, a.Ref, err, s.cfg.Now())
	return rc, err
}

// closed reports whether an attempt state leaves the order to the next
// candidate.
func closed(state string) bool { return state == stateRejected || state == stateFailed }

// record stores a supplier's answer to a send (first) or a resend. With
// the step's lease l (nil: the step goes on after it), an answer that
// leaves the attempt open ends the step, and the lease goes in the same
// transaction. It returns the attempt's state and the order as the
// transaction left it.
func (s *Service) record(ctx context.Context, l *lease, id string, seq int, rc Receipt, placeErr error, first bool) (string, *orderRow, error) {
	now := s.cfg.Now()
	outcome, supplier, state := "", "", ""
	var moved, after *orderRow
	short := false // refused for want of deposit
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Only the lease's holder may say what a send came to: a
		// refusal recorded by an instance that lost the order while
		// stalled would send it to another supplier.
		if err := s.fence(ctx, tx, id); err != nil {
			return err
		}
		row, a, err := s.loadAttempt(ctx, s.w(tx), id, seq)
		if err != nil {
			return err
		}
		after = row
		supplier = a.Supplier
		wasPrepared := a.State == statePrepared
		a.UpdatedAt = syncd.FormatTime(now)
		a.Checks++
		switch {
		case placeErr == nil:
			outcome = stateAccepted
			moved, err = s.applyReceipt(ctx, tx, row, a, rc, now)
			if err != nil {
				return err
			}
		case errors.Is(placeErr, ErrNotTaken) && first:
			outcome = stateRejected
			a.State, a.Message, a.NextCheckAt = stateRejected, clipMessage(placeErr), sql.NullString{}
			if short = errors.Is(placeErr, ErrInsufficientBalance); short {
				if err := shortOfBalance(ctx, s.w(tx), a.Supplier, a.Cost); err != nil {
					return err
				}
			}
		case errors.Is(placeErr, ErrNotTaken):
			// A refusal of a resend proves nothing: a supplier may check
			// the product before the reference, and the first send may
			// have landed. It stays (or becomes) unknown.
			outcome = stateUnknown
			a.State, a.Message = stateUnknown, "resend refused, outcome still unknown: "+clipMessage(placeErr)
			a.NextCheckAt = s.nextCheck(a, now)
		case errors.Is(placeErr, ErrTaken):
			outcome = stateTaken
			a.State, a.Message, a.NextCheckAt = stateTaken, clipMessage(placeErr), s.nextCheck(a, now)
		default:
			outcome = stateUnknown
			a.State, a.Message, a.NextCheckAt = stateUnknown, clipMessage(placeErr), s.nextCheck(a, now)
		}
		if a.State == stateUnknown || a.State == stateTaken {
			moved, err = s.move(ctx, tx, row, change{to: Processing, supplier: a.Supplier, cost: &a.Cost}, "syncd", now)
			if err != nil {
				return err
			}
		}
		if err := saveAttempt(ctx, s.w(tx), a); err != nil {
			return err
		}
		state = a.State
		if l != nil && !closed(state) {
			if err := l.dropIn(ctx, tx); err != nil {
				return err
			}
		}
		if wasPrepared && a.State != stateRejected {
			// Taken, or maybe taken: the supplier may have charged it, so
			// a known balance is lowered until the next balance check.
			if err := spendBalance(ctx, s.w(tx), a.Supplier, a.Cost); err != nil {
				return err
			}
		}
		return addEvent(ctx, s.w(tx), id, "attempt", "syncd", now, map[string]any{"seq": a.Seq, "supplier": a.Supplier,
			"supplier_ref": a.Ref, "outcome": outcome, "state": a.State, "message": a.Message, "supplier_status": a.SupplierStatus})
	})
	if l != nil && l.ending.Load() {
		l.dropped(err == nil)
	}
	if err != nil {
		return "", nil, err
	}
	if moved != nil {
		after = moved
	}
	s.observe("attempt", supplier, outcome)
	s.changed(moved)
	s.balanceMoved(supplier)
	if short {
		s.observe("insufficient_balance", supplier, "")
		if s.cfg.Balance.Recheck != nil {
			s.cfg.Balance.Recheck(supplier)
		}
	}
	return state, after, nil
}

func clipMessage(err error) string {
	m := err.Error()
	if len(m) > 500 {
		m = m[:500] + "…"
	}
	return m
}

func (s *Service) loadAttempt(ctx context.Context, q sqlx.QueryerContext, id string, seq int) (*orderRow, *attemptRow, error) {
	row, err := getOrder(ctx, q, id)
	if err != nil {
		return nil, nil, err
	}
	a, err := getAttempt(ctx, q, id, seq)
	if err != nil {
		return nil, nil, err
	}
	return row, a, nil
}

// nextCheck is when an attempt is next polled or reconciled: PollBase,
// doubling with each check, at most PollMax.
func (s *Service) nextCheck(a *attemptRow, now time.Time) sql.NullString {
	d := s.cfg.PollBase
	for i := 1; i < a.Checks && d < s.cfg.PollMax; i++ {
		d *= 2
	}
	return sql.NullString{String: syncd.FormatTime(now.Add(min(d, s.cfg.PollMax))), Valid: true}
}

// toAttention hands an order to an operator, closing nothing: the open
// attempt stays as it is, and a late word from the supplier can still
// settle it.
func (s *Service) toAttention(ctx context.Context, row *orderRow, a *attemptRow, why string) error {
	now := s.cfg.Now()
	var moved *orderRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.fence(ctx, tx, row.ID); err != nil {
			return err
		}
		fresh, err := getOrder(ctx, s.w(tx), row.ID)
		if err != nil {
			return err
		}
		if a.State != stateAccepted {
			// Nothing left to ask the supplier; only a webhook or a person.
			if err := parkAttempt(ctx, tx, a, why, now); err != nil {
				return err
			}
		}
		moved, err = s.move(ctx, tx, fresh, change{to: Attention, reason: why, supplier: a.Supplier, cost: &a.Cost}, "syncd", now)
		return err
	})
	if err != nil {
		return err
	}
	s.changed(moved)
	return nil
}
