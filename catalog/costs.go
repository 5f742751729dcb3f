package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
)

// CostChange is a supplier's word that one product's cost changed, as a
// supplier's price webhook sends it.
type CostChange struct {
	Code string
	Old  *decimal.Decimal // the cost the supplier believes it replaced, if it said
	New  decimal.Decimal
	Raw  string // New as sent, for the cost history
}

// CostUpdate says what ApplyCosts did with each change.
type CostUpdate struct {
	Applied   []string `json:"applied"`
	Unchanged []string `json:"unchanged"`
	// Stale changes are older than the cost stored (a sync or a later
	// webhook already said something newer): not applied.
	Stale []string `json:"stale"`
	// Unknown codes are no offer syncd has.
	Unknown []string `json:"unknown"`
	// Discrepancies are applied changes whose old price was not the cost
	// syncd had: the new price is still the newest word.
	Discrepancies []string `json:"discrepancies"`
	// Held are changes stored but not sold: beyond the cost guard's
	// limits, they wait for a sync to confirm them or a merchandiser to
	// accept them. Released are changes that ended a hold (back within
	// the limits of the confirmed cost).
	Held     []string `json:"held"`
	Released []string `json:"released"`
	Version  int64    `json:"version"`
}

// ApplyCosts stores new costs for a supplier's offers, true as of at, and
// reprices only the games of the offers whose cost moved, so a cost rise
// is in the served prices (or blocks the item) before the next order.
// Costs are rounded up to whole rupiah like a sync's; a change dated
// before the stored cost is not applied. A change beyond the cost guard's
// limits is stored and held: the offer is not sold until a sync confirms
// it or a merchandiser accepts it.
func (c *Catalog) ApplyCosts(ctx context.Context, supplier string, changes []CostChange, at time.Time) (*CostUpdate, error) {
	up := &CostUpdate{Applied: []string{}, Unchanged: []string{}, Stale: []string{}, Unknown: []string{}, Discrepancies: []string{},
		Held: []string{}, Released: []string{}}
	for _, ch := range changes {
		if ch.Code == "" || ch.New.IsNegative() || ch.New.GreaterThan(decimal.NewFromInt(1<<53)) {
			return nil, fmt.Errorf("%w: cost change %q to %s", ErrInvalid, ch.Code, ch.New)
		}
	}
	moved, err := c.storeCosts(ctx, supplier, changes, at, up)
	if err != nil {
		return nil, err
	}
	prev := c.current.Load()
	if prev == nil {
		return up, nil // the first build will price them
	}
	up.Version = prev.Version
	if len(moved) == 0 {
		return up, nil
	}
	games, full := map[string]bool{}, false
	for _, id := range moved {
		if item, ok := prev.offerItem[id]; ok {
			games[gameOf(item)] = true
		} else {
			full = true // an offer stored since the last rebuild, not linked yet
		}
	}
	// Deliveries that arrive while a reprice runs are gathered and
	// repriced together by whichever gets the lock next: under a stream of
	// webhooks the catalog reprices once per batch, not once per delivery.
	batch := c.costQueue.add(games, full)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.costsDone >= batch {
		up.Version = c.current.Load().Version // repriced with someone else's batch
		return up, nil
	}
	games, full, batch = c.costQueue.take()
	if len(games) == 0 && !full {
		c.costsDone = batch
		up.Version = c.current.Load().Version
		return up, nil
	}
	var snap *Snapshot
	if full || c.rulesOwed {
		snap, err = c.refreshLocked(ctx, "webhook")
	} else {
		var health map[string]supplierHealth
		if health, err = c.loadHealth(ctx); err == nil {
			snap, err = c.repriceGamesLocked(ctx, c.current.Load(), games, health, c.now(), "webhook")
		}
	}
	if err != nil {
		// The costs are stored; requeue their games so the next delivery
		// (or the next sync) reprices them.
		c.costQueue.add(games, full)
		return nil, err
	}
	c.costsDone = batch
	up.Version = snap.Version
	return up, nil
}

// costQueue gathers the games whose costs webhooks stored, until a
// reprice takes them.
type costQueue struct {
	mu    sync.Mutex
	games map[string]bool
	full  bool
	batch uint64 // the batch now gathering
}

// add queues games and returns the batch they will be repriced with.
func (q *costQueue) add(games map[string]bool, full bool) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.games == nil {
		q.games = map[string]bool{}
	}
	for g := range games {
		q.games[g] = true
	}
	q.full = q.full || full
	return q.batch + 1
}

// take empties the queue and returns its games and the batch number.
func (q *costQueue) take() (map[string]bool, bool, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	games, full := q.games, q.full
	q.games, q.full = map[string]bool{}, false
	q.batch++
	return games, full, q.batch
}

// storeCosts writes the changes in one transaction, through the cost
// guard, and returns the ids of the offers whose cost or hold moved.
func (c *Catalog) storeCosts(ctx context.Context, supplier string, changes []CostChange, at time.Time, up *CostUpdate) ([]int64, error) {
	const get = `SELECT id, cost, cost_raw, cost_at, confirmed_cost, held_since, held_source FROM offers WHERE supplier = ? AND code = ?`
	const set = `UPDATE offers SET cost = ?, cost_raw = ?, cost_at = ?, updated_at = ?,
		confirmed_cost = ?, held_since = ?, held_source = ? WHERE id = ?`
	const history = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at) VALUES (?, ?, ?, ?, 'webhook', ?)`
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	atText, now := syncd.FormatTime(at), syncd.FormatTime(c.now())
	var moved []int64
	var events []CostHoldEvent
	for _, ch := range changes {
		var id, cost int64
		var raw, costAt string
		var hold holdColumns
		err := tx.QueryRowContext(ctx, get, supplier, ch.Code).Scan(&id, &cost, &raw, &costAt, &hold.confirmed, &hold.since, &hold.source)
		if errors.Is(err, sql.ErrNoRows) {
			up.Unknown = append(up.Unknown, ch.Code)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cost of %s/%s: %w", supplier, ch.Code, err)
		}
		if costAt > atText {
			up.Stale = append(up.Stale, ch.Code)
			continue
		}
		if ch.Old != nil && ch.Old.Ceil().IntPart() != cost {
			up.Discrepancies = append(up.Discrepancies, fmt.Sprintf("%s: syncd had %d, the supplier says it was %s", ch.Code, cost, ch.Old))
		}
		newCost := ch.New.Ceil().IntPart()
		newRaw := ch.Raw
		if newRaw == "" {
			newRaw = ch.New.String()
		}
		was := hold.state(cost)
		next, ev := c.cfg.CostGuard.decide(was, newCost, sourceWebhook)
		h := hold.after(next, ev, sourceWebhook, now)
		if _, err := tx.ExecContext(ctx, set, newCost, newRaw, atText, now, h.confirmed, h.since, h.source, id); err != nil {
			return nil, fmt.Errorf("set cost of %s/%s: %w", supplier, ch.Code, err)
		}
		if ev != "" {
			e := was.event(ev, newCost, sourceWebhook, c.now())
			if _, err := recordHoldEvent(ctx, tx, id, e); err != nil {
				return nil, err
			}
			e.Offer, e.Supplier, e.Code = id, supplier, ch.Code
			events = append(events, e)
			moved = append(moved, id)
		}
		if next.held() {
			up.Held = append(up.Held, ch.Code)
		} else if ev != "" {
			up.Released = append(up.Released, ch.Code)
		}
		if newCost == cost && newRaw == raw {
			up.Unchanged = append(up.Unchanged, ch.Code)
			continue
		}
		if _, err := tx.ExecContext(ctx, history, id, cost, newCost, newRaw, now); err != nil {
			return nil, fmt.Errorf("cost history of %s/%s: %w", supplier, ch.Code, err)
		}
		up.Applied = append(up.Applied, ch.Code)
		if ev == "" {
			moved = append(moved, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, ev := range events {
		logHoldEvent(c.log, ev)
		c.holdEvent(supplier, ev.Event)
	}
	return moved, nil
}
