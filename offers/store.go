package offers

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
)

// All of offers' SQL is here and in store_sync.go (the sync's diff and
// write): the rest of the package decides, these files talk to the
// database. Public methods open their transaction; helpers take the
// transaction or pool they run in.

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
	return s.StoreCostBatches(ctx, []CostBatch{{Supplier: supplier, Changes: changes, At: at, Update: up}})
}

// CostBatch is one delivery's cost changes for StoreCostBatches: a
// supplier's changes true as of At, and where to say what became of each.
type CostBatch struct {
	Supplier string
	Changes  []CostChange
	At       time.Time
	Update   *CostUpdate
}

// StoreCostBatches writes several deliveries' cost changes in one
// transaction, each as StoreCosts would have in its own, one after the
// other in the order given (of two changes to one offer, the later
// delivery's is judged against the earlier's). It returns the ids of the
// offers whose cost or hold moved, in all of them.
func (s *Store) StoreCostBatches(ctx context.Context, batches []CostBatch) ([]int64, error) {
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if s.db.Dialect() == syncd.Postgres {
		if err := lockCostRows(ctx, tx, batches); err != nil {
			return nil, err
		}
	}
	st, err := prepareCostStmts(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer st.close()
	now := s.now()
	var moved []int64
	var events []CostHoldEvent
	for _, b := range batches {
		if moved, events, err = s.storeCosts(ctx, tx, st, b, now, moved, events); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, ev := range events {
		logHoldEvent(s.log, ev)
		s.holdEvent(ev.Supplier, ev.Event)
	}
	return moved, nil
}

// lockCostRows takes the row locks of every offer the batches name, in
// one order (supplier, code) whatever the order of the changes: two
// transactions storing overlapping changes then wait for each other
// instead of deadlocking. SQLite needs none: its transaction holds the
// one write lock.
func lockCostRows(ctx context.Context, tx *sqlx.Tx, batches []CostBatch) error {
	type key struct{ supplier, code string }
	var keys []key
	for _, b := range batches {
		for _, ch := range b.Changes {
			keys = append(keys, key{b.Supplier, ch.Code})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.supplier, b.supplier), cmp.Compare(a.code, b.code))
	})
	keys = slices.Compact(keys)
	const q = `SELECT id FROM offers WHERE supplier = ? AND code = ? FOR UPDATE`
	for _, k := range keys {
		var id int64
		err := tx.QueryRowContext(ctx, q, k.supplier, k.code).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("lock offer %s/%s: %w", k.supplier, k.code, err)
		}
	}
	return nil
}

// costStmts are a cost write's statements, prepared once per batch: a
// batch runs each once per change, and parsing them again for each change
// was about a quarter of the write's time.
type costStmts struct{ get, set, history *sql.Stmt }

func prepareCostStmts(ctx context.Context, tx *sqlx.Tx) (*costStmts, error) {
	const get = `SELECT id, cost, cost_raw, cost_at, confirmed_cost, held_since, held_source FROM offers WHERE supplier = ? AND code = ?`
	const set = `UPDATE offers SET cost = ?, cost_raw = ?, cost_at = ?, updated_at = ?,
		confirmed_cost = ?, held_since = ?, held_source = ? WHERE id = ?`
	const history = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at) VALUES (?, ?, ?, ?, 'webhook', ?)`
	st := &costStmts{}
	var err error
	if st.get, err = tx.PrepareContext(ctx, get+syncd.ForUpdate(tx)); err == nil {
		if st.set, err = tx.PrepareContext(ctx, set); err == nil {
			st.history, err = tx.PrepareContext(ctx, history)
		}
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("prepare cost write: %w", err)
	}
	return st, nil
}

func (st *costStmts) close() {
	for _, s := range []*sql.Stmt{st.get, st.set, st.history} {
		if s != nil {
			s.Close()
		}
	}
}

// storeCosts writes one delivery's changes in tx, appending to moved the
// offers whose cost or hold moved and to events the cost guard's events.
func (s *Store) storeCosts(ctx context.Context, tx *sqlx.Tx, st *costStmts, b CostBatch, now time.Time, moved []int64, events []CostHoldEvent) ([]int64, []CostHoldEvent, error) {
	supplier, up := b.Supplier, b.Update
	atText, nowText := syncd.FormatTime(b.At), syncd.FormatTime(now)
	for _, ch := range b.Changes {
		var id, cost int64
		var raw, costAt string
		var hold holdColumns
		// Locked until commit: the cost_at comparison below decides
		// which of two concurrent deliveries has the last word.
		err := st.get.QueryRowContext(ctx, supplier, ch.Code).Scan(&id, &cost, &raw, &costAt, &hold.confirmed, &hold.since, &hold.source)
		if errors.Is(err, sql.ErrNoRows) {
			up.Unknown = append(up.Unknown, ch.Code)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cost of %s/%s: %w", supplier, ch.Code, err)
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
		h := hold.after(next, ev, sourceWebhook, nowText)
		if _, err := st.set.ExecContext(ctx, newCost, newRaw, atText, nowText, h.confirmed, h.since, h.source, id); err != nil {
			return nil, nil, fmt.Errorf("set cost of %s/%s: %w", supplier, ch.Code, err)
		}
		if ev != "" {
			e := was.event(ev, newCost, sourceWebhook, now)
			if _, err := recordHoldEvent(ctx, tx, id, e); err != nil {
				return nil, nil, err
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
		if _, err := st.history.ExecContext(ctx, id, cost, newCost, newRaw, nowText); err != nil {
			return nil, nil, fmt.Errorf("cost history of %s/%s: %w", supplier, ch.Code, err)
		}
		up.Applied = append(up.Applied, ch.Code)
		if ev == "" {
			moved = append(moved, id)
		}
	}
	return moved, events, nil
}

// CostHolds lists the offers whose cost is held, longest held first. It
// reads SQLite, not the snapshot: a hold a sync began is listed before
// the catalog is repriced.
func (s *Store) CostHolds(ctx context.Context) ([]HeldOffer, error) {
	const q = `SELECT id, supplier, code, name, item_id, cost, confirmed_cost, held_source, held_since
		FROM offers INDEXED BY offers_held WHERE confirmed_cost IS NOT NULL ORDER BY held_since, id`
	var rows []struct {
		ID        int64   `db:"id"`
		Supplier  string  `db:"supplier"`
		Code      string  `db:"code"`
		Name      string  `db:"name"`
		Item      *string `db:"item_id"`
		Cost      int64   `db:"cost"`
		Confirmed int64   `db:"confirmed_cost"`
		Source    string  `db:"held_source"`
		Since     string  `db:"held_since"`
	}
	if err := s.db.Read.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("cost holds: %w", err)
	}
	out := make([]HeldOffer, 0, len(rows))
	for _, r := range rows {
		h, err := NewCostHold(r.Confirmed, r.Cost, r.Source, r.Since)
		if err != nil {
			return nil, fmt.Errorf("cost hold of offer %d: %w", r.ID, err)
		}
		out = append(out, HeldOffer{Offer: r.ID, Supplier: r.Supplier, Code: r.Code, Name: r.Name, Item: r.Item, CostHold: *h})
	}
	return out, nil
}

// CostHoldEvents returns the latest limit entries of the guard's audit,
// newest first; offer > 0 keeps that offer's alone.
func (s *Store) CostHoldEvents(ctx context.Context, offer int64, limit int) ([]CostHoldEvent, error) {
	q := `SELECT e.id, e.offer_id, o.supplier, o.code, e.event, e.old_cost, e.new_cost, e.source, e.actor, e.note, e.at
		FROM cost_hold_events e JOIN offers o ON o.id = e.offer_id`
	args := []any{}
	if offer > 0 {
		q += ` WHERE e.offer_id = ?`
		args = append(args, offer)
	}
	q += ` ORDER BY e.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cost hold events: %w", err)
	}
	defer rows.Close()
	out := []CostHoldEvent{}
	for rows.Next() {
		var e CostHoldEvent
		var at string
		if err := rows.Scan(&e.ID, &e.Offer, &e.Supplier, &e.Code, &e.Event, &e.OldCost, &e.NewCost, &e.Source, &e.Actor, &e.Note, &at); err != nil {
			return nil, fmt.Errorf("cost hold events: %w", err)
		}
		if e.At, err = syncd.ParseTime(at); err != nil {
			return nil, fmt.Errorf("cost hold event %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AcceptCost releases the hold on an offer's cost on a merchandiser's
// word, as by: cost is the held cost they saw (if the supplier has named
// another since, nothing changes and the error says what is held now).
// The accept is audited with by, the old and new cost and the note (which
// the caller has checked), logged and told to the guard's OnEvent once
// committed.
func (s *Store) AcceptCost(ctx context.Context, offerID, cost int64, by, note string) (*CostHoldEvent, error) {
	const get = `SELECT supplier, code, cost, confirmed_cost FROM offers WHERE id = ?`
	const release = `UPDATE offers SET confirmed_cost = NULL, held_since = NULL, held_source = NULL, updated_at = ? WHERE id = ?`
	ev := &CostHoldEvent{Offer: offerID, Event: HoldAccepted, Source: sourceMerchandiser, Actor: by, Note: note, At: s.now()}
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var confirmed sql.NullInt64
	err = tx.QueryRowContext(ctx, get+syncd.ForUpdate(tx), offerID).Scan(&ev.Supplier, &ev.Code, &ev.NewCost, &confirmed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	case !confirmed.Valid:
		return nil, fmt.Errorf("offer %d: %w", offerID, ErrNotHeld)
	case ev.NewCost != cost:
		return nil, fmt.Errorf("offer %d: %w", offerID, &CostMovedError{Expected: cost, Current: ev.NewCost})
	}
	ev.OldCost = confirmed.Int64
	now := syncd.FormatTime(ev.At)
	if _, err := tx.ExecContext(ctx, release, now, offerID); err != nil {
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	}
	if ev.ID, err = recordHoldEvent(ctx, tx, offerID, *ev); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	}
	logHoldEvent(s.log, *ev)
	s.holdEvent(ev.Supplier, HoldAccepted)
	return ev, nil
}

// recordHoldEvent appends ev to the guard's audit.
func recordHoldEvent(ctx context.Context, tx sqlx.QueryerContext, offerID int64, ev CostHoldEvent) (int64, error) {
	const q = `INSERT INTO cost_hold_events (offer_id, event, old_cost, new_cost, source, actor, note, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	actor := ev.Actor
	if actor == "" {
		actor = "syncd"
	}
	var id int64
	err := tx.QueryRowxContext(ctx, q, offerID, string(ev.Event), ev.OldCost, ev.NewCost, ev.Source, actor, ev.Note, syncd.FormatTime(ev.At)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cost hold event of offer %d: %w", offerID, err)
	}
	return id, nil
}

// LoadHealth reads each supplier's last successful sync and whether its
// latest attempt failed, and why.
func LoadHealth(ctx context.Context, tx sqlx.QueryerContext) (map[string]Health, error) {
	out := map[string]Health{}
	var runs []struct {
		Supplier string         `db:"supplier"`
		LastOK   sql.NullString `db:"last_ok"`
		LatestOK bool           `db:"latest_ok"`
		Unauth   bool           `db:"unauthorized"`
	}
	const health = `SELECT r.supplier,
			(SELECT max(started_at) FROM sync_runs k WHERE k.supplier = r.supplier AND k.ok) AS last_ok,
			r.ok AS latest_ok, r.unauthorized
		FROM sync_runs r
		WHERE r.id = (SELECT max(id) FROM sync_runs m WHERE m.supplier = r.supplier)`
	if err := sqlx.SelectContext(ctx, tx, &runs, health); err != nil {
		return nil, fmt.Errorf("load supplier health: %w", err)
	}
	for _, r := range runs {
		h := Health{LastFailed: !r.LatestOK, Unauthorized: r.Unauth}
		if r.LastOK.Valid {
			t, err := syncd.ParseTime(r.LastOK.String)
			if err != nil {
				return nil, err
			}
			h.LastSuccess = t
		}
		out[r.Supplier] = h
	}
	return out, nil
}

type runRow struct {
	StartedAt  string `db:"started_at"`
	OK         bool   `db:"ok"`
	Unauth     bool   `db:"unauthorized"`
	DurationMS int64  `db:"duration_ms"`
	Seen       int    `db:"seen"`
	Added      int    `db:"added"`
	Changed    int    `db:"changed"`
	Removed    int    `db:"removed"`
	Error      string `db:"error"`
}

// syncRuns is what a supplier's status reads: its latest sync attempt
// and latest success (nil: none), and its offers stored.
type syncRuns struct {
	last, ok             *runRow
	offers, activeOffers int
}

// readSyncRuns reads supplier's syncRuns; with no attempt at all it reads
// nothing more.
func readSyncRuns(ctx context.Context, db sqlx.QueryerContext, supplier string) (syncRuns, error) {
	const lastRun = `SELECT started_at, ok, duration_ms, seen, added, changed, removed, error, unauthorized
		FROM sync_runs WHERE supplier = ? ORDER BY id DESC LIMIT 1`
	const lastOK = `SELECT started_at, ok, duration_ms, seen, added, changed, removed, error, unauthorized
		FROM sync_runs WHERE supplier = ? AND ok ORDER BY id DESC LIMIT 1`
	const counts = `SELECT count(*) AS offers,
		count(*) FILTER (WHERE active AND removed_at IS NULL) AS active_offers
		FROM offers WHERE supplier = ?`
	var out syncRuns
	var last, ok runRow
	err := sqlx.GetContext(ctx, db, &last, lastRun, supplier)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.last = &last
	err = sqlx.GetContext(ctx, db, &ok, lastOK, supplier)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return out, err
	default:
		out.ok = &ok
	}
	var c struct {
		Offers       int `db:"offers"`
		ActiveOffers int `db:"active_offers"`
	}
	if err := sqlx.GetContext(ctx, db, &c, counts, supplier); err != nil {
		return out, err
	}
	out.offers, out.activeOffers = c.Offers, c.ActiveOffers
	return out, nil
}
