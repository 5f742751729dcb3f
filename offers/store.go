package offers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
)

// Store writes what suppliers and merchandisers say of offers outside a
// sync (a price webhook's costs, an accepted hold) and reads the cost
// guard's holds and audit. Its guard must be the Syncer's: a cost move is
// judged the same whoever says it.
type Store struct {
	db    *syncd.DB
	log   *slog.Logger
	guard CostGuard
	now   func() time.Time
}

// NewStore returns a Store writing to db, judging cost moves by guard and
// reading the time from now.
func NewStore(db *syncd.DB, log *slog.Logger, guard CostGuard, now func() time.Time) *Store {
	return &Store{db: db, log: log, guard: guard, now: now}
}

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

// StoreCosts writes a supplier's cost changes, true as of at, in one
// transaction, through the cost guard, and says in up what it did with
// each. It returns the ids of the offers whose cost or hold moved: the
// offers whose items need repricing. Changes are checked by the caller.
func (s *Store) StoreCosts(ctx context.Context, supplier string, changes []CostChange, at time.Time, up *CostUpdate) ([]int64, error) {
	const get = `SELECT id, cost, cost_raw, cost_at, confirmed_cost, held_since, held_source FROM offers WHERE supplier = ? AND code = ?`
	const set = `UPDATE offers SET cost = ?, cost_raw = ?, cost_at = ?, updated_at = ?,
		confirmed_cost = ?, held_since = ?, held_source = ? WHERE id = ?`
	const history = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at) VALUES (?, ?, ?, ?, 'webhook', ?)`
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	atText, now := syncd.FormatTime(at), syncd.FormatTime(s.now())
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
		next, ev := s.guard.decide(was, newCost, sourceWebhook)
		h := hold.after(next, ev, sourceWebhook, now)
		if _, err := tx.ExecContext(ctx, set, newCost, newRaw, atText, now, h.confirmed, h.since, h.source, id); err != nil {
			return nil, fmt.Errorf("set cost of %s/%s: %w", supplier, ch.Code, err)
		}
		if ev != "" {
			e := was.event(ev, newCost, sourceWebhook, s.now())
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
		logHoldEvent(s.log, ev)
		s.holdEvent(supplier, ev.Event)
	}
	return moved, nil
}
