package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// applyReceipt takes a supplier's word on an open attempt, inside tx:
// delivered ends the order in success; not delivered closes the attempt
// (reroute reports that route should try the next supplier); in flight
// keeps it polled. It returns the order if its status moved.
func (s *Service) applyReceipt(ctx context.Context, tx *sqlx.Tx, row *orderRow, a *attemptRow, rc Receipt, now time.Time) (*orderRow, error) {
	if rc.Txn != "" {
		a.Txn = rc.Txn
	}
	if rc.Status != "" {
		a.SupplierStatus = rc.Status
	}
	if rc.SN != "" {
		a.SN = rc.SN
	}
	if rc.Note != "" {
		a.Message = rc.Note
	}
	a.UpdatedAt = syncd.FormatTime(now)
	switch rc.Progress {
	case Delivered:
		a.State, a.NextCheckAt = stateSucceeded, sql.NullString{}
		return s.move(ctx, tx, row, change{to: Success, supplier: a.Supplier, cost: &a.Cost, sn: a.SN}, "syncd", now)
	case NotDelivered:
		a.State, a.NextCheckAt = stateFailed, sql.NullString{}
		// The supplier returns what it charged (see record).
		if err := refundBalance(ctx, s.w(tx), a.Supplier, a.Cost); err != nil {
			return nil, err
		}
		if row.Status == Attention {
			// Nothing will be rerouted for an order a person holds; the
			// supplier's final word settles it.
			return s.move(ctx, tx, row, change{to: Failed, reason: a.Supplier + " reported " + a.SupplierStatus}, "syncd", now)
		}
		return nil, nil // route decides: the next supplier, or failed
	}
	if a.Txn == "" {
		// In flight, but with no id to ask by: keep waiting for a webhook.
		a.State = stateTaken
	} else {
		a.State = stateAccepted
	}
	a.NextCheckAt = s.nextCheck(a, now)
	return s.move(ctx, tx, row, change{to: Processing, supplier: a.Supplier, cost: &a.Cost}, "syncd", now)
}

// Poll checks every attempt that is due: in-flight purchases are asked
// for their status, unknown outcomes are reconciled by resending the same
// reference, and orders nobody routes (after a crash) are routed. It
// returns how many attempts it checked. gocron runs it on a schedule;
// checks run a few at a time so one hanging supplier does not hold up
// the rest.
func (s *Service) Poll(ctx context.Context) (int, error) {
	now := syncd.FormatTime(s.cfg.Now())
	rows, err := dueAttempts(ctx, s.db.Read, now)
	if err != nil {
		return 0, err
	}
	orphans, err := unrouted(ctx, s.db.Read, syncd.FormatTime(s.cfg.Now().Add(-s.cfg.PollBase)))
	if err != nil {
		return 0, err
	}
	for _, id := range orphans {
		s.dispatchAsync(id)
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, d := range rows {
		if s.closing() {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.check(ctx, d.OrderID, d.Seq); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(rows), errors.Join(errs...)
}

// check does what a due attempt needs, under its order's lock and lease.
// An order another instance holds is that instance's to check.
func (s *Service) check(ctx context.Context, id string, seq int) error {
	if !s.begin() {
		return nil
	}
	defer s.work.Done()
	unlock := s.orders.Lock(id)
	defer unlock()
	l, ok, err := s.tryLease(ctx, id)
	if err != nil || !ok {
		return err
	}
	defer l.halt()
	err = s.checkHeld(ctx, l, id, seq)
	l.release()
	return err
}

func (s *Service) checkHeld(ctx context.Context, l *lease, id string, seq int) error {
	row, a, err := s.loadAttempt(ctx, s.r(), id, seq)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	if !a.open() || !a.NextCheckAt.Valid || a.NextCheckAt.String > syncd.FormatTime(now) || row.Status.Final() {
		return nil // someone else dealt with it
	}
	sup := s.cfg.Suppliers[a.Supplier]
	age := now.Sub(a.created())
	switch {
	case a.State == statePrepared:
		_, err := s.route(ctx, l, id, nil)
		return err
	case sup == nil:
		return s.toAttention(ctx, row, a, a.Supplier+" is no longer configured")
	case a.State == stateAccepted:
		rc, err := sup.Check(ctx, a.Txn)
		if err != nil {
			if age > s.cfg.StuckAfter && row.Status != Attention {
				return s.toAttention(ctx, row, a, fmt.Sprintf("%s has not answered a status check for %s: %s", a.Supplier, age.Round(time.Second), clipMessage(err)))
			}
			return s.postpone(ctx, a, "status check failed: "+clipMessage(err))
		}
		if rc.Progress == InFlight && age > s.cfg.StuckAfter && row.Status != Attention {
			if err := s.update(ctx, id, seq, rc); err != nil {
				return err
			}
			return s.toAttention(ctx, row, a, fmt.Sprintf("%s still reports %q after %s", a.Supplier, rc.Status, age.Round(time.Second)))
		}
		return s.update(ctx, id, seq, rc)
	case row.Status == Attention:
		// Unknown or taken, and already with a person: stop probing.
		return s.postpone(ctx, a, "")
	case age > s.cfg.ReconcileTimeout:
		return s.toAttention(ctx, row, a, fmt.Sprintf("outcome at %s unknown after %s: %s", a.Supplier, age.Round(time.Second), a.Message))
	case a.State == stateTaken:
		// The supplier has it and gave no id: only its webhook can say more.
		return s.postpone(ctx, a, "")
	default: // unknown
		// Resend the same purchase with the same reference: the supplier
		// either takes it now (the first send never landed) or refuses the
		// reference as already used (it did). Each adapter relies on its
		// supplier keeping a reference unique (documented or assumed, as
		// its package says). Either way it is the same order, never a
		// second one.
		var p Purchase
		if err := json.Unmarshal([]byte(a.Purchase), &p); err != nil {
			return fmt.Errorf("purchase of attempt %s: %w", a.Ref, err)
		}
		rc, err := s.place(ctx, sup, a, p)
		// Not the last write: route follows, under the lease.
		if _, _, err := s.record(ctx, nil, id, seq, rc, err, false); err != nil {
			return err
		}
		// A resend can end in "not delivered" (the supplier took it and
		// failed it at once): route on.
		_, err = s.route(ctx, l, id, nil)
		return err
	}
}

// postpone schedules an attempt's next check with backoff.
func (s *Service) postpone(ctx context.Context, a *attemptRow, msg string) error {
	now := s.cfg.Now()
	a.Checks++
	next := s.nextCheck(a, now)
	if msg == "" {
		msg = a.Message
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.fence(ctx, tx, a.OrderID); err != nil {
			return err
		}
		return postponeAttempt(ctx, tx, a, next, msg, syncd.FormatTime(now))
	})
}

// update applies a receipt to an attempt and, if the supplier did not
// deliver, routes the order on.
func (s *Service) update(ctx context.Context, id string, seq int, rc Receipt) error {
	now := s.cfg.Now()
	var moved *orderRow
	reroute, supplier := false, ""
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.fence(ctx, tx, id); err != nil {
			return err
		}
		row, a, err := s.loadAttempt(ctx, s.w(tx), id, seq)
		if err != nil {
			return err
		}
		supplier = a.Supplier
		if !a.open() {
			// Final already: a duplicate or late word changes nothing.
			return addEvent(ctx, s.w(tx), id, "supplier_update_ignored", a.Supplier, now, map[string]any{
				"seq": seq, "state": a.State, "status": rc.Status})
		}
		a.Checks++
		if moved, err = s.applyReceipt(ctx, tx, row, a, rc, now); err != nil {
			return err
		}
		reroute = a.State == stateFailed && row.Status != Attention
		if err := saveAttempt(ctx, s.w(tx), a); err != nil {
			return err
		}
		return addEvent(ctx, s.w(tx), id, "supplier_update", a.Supplier, now, map[string]any{
			"seq": seq, "status": rc.Status, "progress": rc.Progress.String(), "sn": rc.SN, "note": rc.Note})
	})
	if err != nil {
		return err
	}
	s.changed(moved)
	s.balanceMoved(supplier)
	if reroute {
		// A failure after acceptance: like an aggregator's backup seller,
		// the next supplier may take it while the order is in its window
		// and its price still covers the cost; otherwise it fails. In the
		// background, once the caller lets go of the order: a webhook's
		// sender should not wait on another supplier's answer.
		s.dispatchAsync(id)
	}
	return nil
}

// Apply takes a supplier's unsolicited word on a purchase (a status
// webhook), found by the supplier's transaction id or
// else by our reference. ErrNotFound if neither is ours. Duplicate and
// out-of-order updates are harmless: a final attempt ignores them, and an
// order's status only moves forward.
func (s *Service) Apply(ctx context.Context, u Update) error {
	key, err := findAttempt(ctx, s.r(), u.Supplier, u.Txn, u.Ref)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s transaction %q (reference %q): %w", u.Supplier, u.Txn, u.Ref, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("find attempt of %s transaction %q: %w", u.Supplier, u.Txn, err)
	}
	if !s.begin() {
		return errClosed
	}
	defer s.work.Done()
	unlock := s.orders.Lock(key.OrderID)
	defer unlock()
	// The supplier's word waits for a step in progress on another
	// instance, as it waits for one on this instance's lock.
	l, err := s.awaitLease(ctx, key.OrderID)
	if err != nil {
		return err
	}
	defer l.halt()
	err = s.update(ctx, key.OrderID, key.Seq, u.Receipt)
	l.release()
	return err
}

// Resume routes every order a previous run left mid-way. Attempts in
// flight are picked up by Poll from their stored schedule.
func (s *Service) Resume(ctx context.Context) (int, error) {
	ids, err := toResume(ctx, s.db.Read)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		s.dispatchAsync(id)
	}
	return len(ids), nil
}

// Close stops routing new steps and waits for the steps in progress (a
// supplier call and the storing of its answer) to finish, so nothing is
// left half-written. Everything not done resumes at the next start.
func (s *Service) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	s.work.Wait()
	s.stmts.close()
}

// Balance is a supplier's balance as syncd last knew it.
type Balance struct {
	Supplier string `json:"supplier"`
	// Balance is the estimate: the last read, less what was bought since,
	// plus what failed purchases refunded. Nil if never known.
	Balance   *int64    `json:"balance"`
	Read      *int64    `json:"read"` // the last balance read; nil if none succeeded
	Error     string    `json:"error,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	// Threshold is the low-balance threshold now, with the rule that sets
	// it; nil when none is configured.
	Threshold *int64      `json:"threshold"`
	Rule      string      `json:"rule,omitempty"`
	Low       *LowWarning `json:"low"` // set while a low-balance warning is on
}

// RecordBalance stores a supplier's balance, or the error asking for it
// (the last known balance is kept then, for an operator to see beside
// the error; routing no longer trusts it). A balance replaces the
// estimate as it is; RecordBalanceRead also counts what was bought while
// it was being read.
func (s *Service) RecordBalance(ctx context.Context, supplier string, balance int64, askErr error) error {
	if askErr == nil {
		return s.RecordBalanceRead(ctx, supplier, balance, time.Time{})
	}
	now := syncd.FormatTime(s.cfg.Now())
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return storeBalanceError(ctx, tx, supplier, clipMessage(askErr), now)
	})
}

// Balances lists what syncd knows of its suppliers' balances, with each
// one's low-balance threshold and warning.
func (s *Service) Balances(ctx context.Context) ([]Balance, error) {
	out, err := listBalances(ctx, s.db.Read)
	if err != nil {
		return nil, err
	}
	for i := range out {
		th, rule, ok, err := s.Threshold(ctx, out[i].Supplier)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i].Threshold, out[i].Rule = &th, rule.String()
		}
	}
	return out, nil
}

// balances are the balances routing may trust: known, and not in error.
func (s *Service) balances(ctx context.Context) (map[string]int64, error) {
	return trustedBalances(ctx, s.r())
}
