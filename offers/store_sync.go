package offers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// The sync's storage: reading a supplier's stored catalog, and writing the
// diff with every update guarded by what was read; and the record of each
// sync attempt.

// stored is a supplier's catalog as stored.
type stored struct {
	offers map[string]storedOffer
	games  map[string]storedGame
}

func loadStored(ctx context.Context, q sqlx.QueryerContext, supplier string) (stored, error) {
	offers, err := loadOffers(ctx, q, supplier)
	if err != nil {
		return stored{}, err
	}
	games, err := loadGames(ctx, q, supplier)
	if err != nil {
		return stored{}, err
	}
	return stored{offers: offers, games: games}, nil
}

// write applies the diff of offers against state in one transaction, with
// every update guarded by the row's updated_at as read.
func (s *Syncer) write(ctx context.Context, supplier string, games []SupplierGame, offers map[string]fetchedOffer, state stored, res *SyncResult) error {
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.apply(ctx, tx, supplier, games, offers, state, res); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeLocked rereads the stored catalog inside the write transaction, so
// the diff cannot go stale, and applies it.
func (s *Syncer) writeLocked(ctx context.Context, supplier string, games []SupplierGame, offers map[string]fetchedOffer, gameActive map[string]bool, res *SyncResult) error {
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	state, err := loadStored(ctx, tx, supplier)
	if err != nil {
		return err
	}
	if err := s.checkShrink(state, offers, gameActive); err != nil {
		return err
	}
	if err := s.apply(ctx, tx, supplier, games, offers, state, res); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Syncer) apply(ctx context.Context, tx *sqlx.Tx, supplier string, games []SupplierGame, offers map[string]fetchedOffer, state stored, res *SyncResult) error {
	if s.fence != nil {
		if err := s.fence(ctx, tx); err != nil {
			return fmt.Errorf("%w: %w", ErrFenced, err)
		}
	}
	t := s.now()
	now := syncd.FormatTime(t)
	if err := writeGames(ctx, tx, supplier, games, state.games, now, res); err != nil {
		return err
	}
	if err := s.writeOffers(ctx, tx, supplier, offers, state.offers, t, res); err != nil {
		return err
	}
	return s.recordRun(ctx, tx, res)
}

type storedOffer struct {
	ID              int64          `db:"id"`
	Code            string         `db:"code"`
	GameCode        string         `db:"game_code"`
	Name            string         `db:"name"`
	Cost            int64          `db:"cost"`
	CostRaw         string         `db:"cost_raw"`
	Active          bool           `db:"active"`
	ProcessDuration string         `db:"process_duration"`
	UpdatedAt       string         `db:"updated_at"`
	CostAt          string         `db:"cost_at"`
	RemovedAt       sql.NullString `db:"removed_at"`
	Hold            holdColumns
}

func loadOffers(ctx context.Context, tx sqlx.QueryerContext, supplier string) (map[string]storedOffer, error) {
	// NOT INDEXED: reading most of the table through the (supplier, code)
	// index costs a table lookup per row; a sequential scan is 2x faster.
	const q = `SELECT id, code, game_code, name, cost, cost_raw, active, process_duration, updated_at, cost_at, removed_at,
			confirmed_cost, held_since, held_source
		FROM offers NOT INDEXED WHERE supplier = ?`
	rows, err := tx.QueryContext(ctx, q, supplier)
	if err != nil {
		return nil, fmt.Errorf("load offers %s: %w", supplier, err)
	}
	defer rows.Close()
	out := map[string]storedOffer{}
	for rows.Next() {
		var o storedOffer
		if err := rows.Scan(&o.ID, &o.Code, &o.GameCode, &o.Name, &o.Cost, &o.CostRaw, &o.Active, &o.ProcessDuration, &o.UpdatedAt, &o.CostAt, &o.RemovedAt,
			&o.Hold.confirmed, &o.Hold.since, &o.Hold.source); err != nil {
			return nil, fmt.Errorf("load offers %s: %w", supplier, err)
		}
		out[o.Code] = o
	}
	return out, rows.Err()
}

type storedGame struct {
	Code      string         `db:"code"`
	Name      string         `db:"name"`
	Active    bool           `db:"active"`
	IconURL   string         `db:"icon_url"`
	Form      string         `db:"form"`
	RemovedAt sql.NullString `db:"removed_at"`
}

func loadGames(ctx context.Context, q sqlx.QueryerContext, supplier string) (map[string]storedGame, error) {
	const query = `SELECT code, name, active, icon_url, form, removed_at FROM supplier_games WHERE supplier = ?`
	var rows []storedGame
	if err := sqlx.SelectContext(ctx, q, &rows, query, supplier); err != nil {
		return nil, fmt.Errorf("load games %s: %w", supplier, err)
	}
	out := make(map[string]storedGame, len(rows))
	for _, g := range rows {
		out[g.Code] = g
	}
	return out, nil
}

func writeGames(ctx context.Context, tx *sqlx.Tx, supplier string, games []SupplierGame, stored map[string]storedGame, now string, res *SyncResult) error {
	const upsert = `INSERT INTO supplier_games (supplier, code, name, active, icon_url, form, first_seen, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (supplier, code) DO UPDATE SET
			name = excluded.name, active = excluded.active, icon_url = excluded.icon_url,
			form = excluded.form, updated_at = excluded.updated_at, removed_at = NULL`
	const remove = `UPDATE supplier_games SET removed_at = ?, updated_at = ? WHERE supplier = ? AND code = ?`
	seen := make(map[string]bool, len(games))
	for _, g := range games {
		if g.Code == "" || seen[g.Code] {
			return fmt.Errorf("%w: game code %q empty or listed twice", ErrInvalidCatalog, g.Code)
		}
		seen[g.Code] = true
		form := g.Form
		if form == nil {
			form = []Field{}
		}
		formJSON, err := json.Marshal(form)
		if err != nil {
			return fmt.Errorf("encode form of %s/%s: %w", supplier, g.Code, err)
		}
		if old, ok := stored[g.Code]; ok && !old.RemovedAt.Valid && old.Name == g.Name &&
			old.Active == g.Active && old.IconURL == g.IconURL && old.Form == string(formJSON) {
			continue
		}
		if _, err := tx.ExecContext(ctx, upsert, supplier, g.Code, g.Name, g.Active, g.IconURL, string(formJSON), now, now); err != nil {
			return fmt.Errorf("upsert game %s/%s: %w", supplier, g.Code, err)
		}
		res.GamesChanged++
	}
	for code, old := range stored {
		if !seen[code] && !old.RemovedAt.Valid {
			if _, err := tx.ExecContext(ctx, remove, now, now, supplier, code); err != nil {
				return fmt.Errorf("remove game %s/%s: %w", supplier, code, err)
			}
			res.GamesChanged++
		}
	}
	return nil
}

// writeOffers writes the diff of fetched against stored, each existing
// offer's cost through the cost guard: a move beyond its limits is stored
// and held, a held move this sync names again (or one back within the
// limits) is confirmed. A first sighting is never held.
func (s *Syncer) writeOffers(ctx context.Context, tx *sqlx.Tx, supplier string, fetched map[string]fetchedOffer, stored map[string]storedOffer, t time.Time, res *SyncResult) error {
	// Each write is guarded by what the diff read: an offer inserted or
	// updated since (by a webhook, or an accepted hold) makes the write
	// affect no row, and the sync rereads under the lock instead of
	// overwriting newer data.
	const update = `UPDATE offers SET game_code = ?, name = ?, cost = ?, cost_raw = ?, active = ?,
		process_duration = ?, updated_at = ?, removed_at = NULL,
		cost_at = CASE WHEN cost = ? AND cost_raw = ? THEN cost_at ELSE ? END,
		confirmed_cost = ?, held_since = ?, held_source = ?
		WHERE id = ? AND updated_at = ?`
	const remove = `UPDATE offers SET removed_at = ?, updated_at = ? WHERE id = ? AND updated_at = ?`

	upd, err := tx.PrepareContext(ctx, update)
	if err != nil {
		return err
	}
	defer upd.Close()

	// In code order, so a first sync gives offers the same ids every time.
	codes := make([]string, 0, len(fetched))
	for code := range fetched {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	// The fetch began no later than the sync did: its costs are true as of
	// then. A cost a webhook stored since is newer, and stays.
	costAt := syncd.FormatTime(res.Started)
	now := syncd.FormatTime(t)
	// A first sync adds every offer it fetched; a later one, few.
	added := make([]fetchedOffer, 0, max(len(fetched)-len(stored), 0))
	var history []costRecord
	for _, code := range codes {
		f := fetched[code]
		old, exists := stored[code]
		if !exists {
			added = append(added, f)
			continue
		}
		// What this sync's word does to the offer's hold: nothing, if a
		// webhook's newer word stands.
		var ev HoldEvent
		var was costState
		hold := old.Hold
		if old.CostAt > costAt {
			f.cost, f.CostRaw = old.Cost, old.CostRaw
		} else {
			var next costState
			was = old.Hold.state(old.Cost)
			next, ev = s.guard.decide(was, f.cost, sourceSync)
			hold = old.Hold.after(next, ev, sourceSync, now)
		}
		if old.GameCode == f.GameCode && old.Name == f.Name && old.Cost == f.cost && old.CostRaw == f.CostRaw &&
			old.Active == f.Active && old.ProcessDuration == f.ProcessDuration && !old.RemovedAt.Valid && ev == "" {
			continue
		}
		r, err := upd.ExecContext(ctx, f.GameCode, f.Name, f.cost, f.CostRaw, f.Active, f.ProcessDuration, now,
			f.cost, f.CostRaw, costAt, hold.confirmed, hold.since, hold.source, old.ID, old.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update offer %s/%s: %w", supplier, code, err)
		}
		if err := oneRow(r); err != nil {
			return err
		}
		if old.Cost != f.cost || old.CostRaw != f.CostRaw {
			history = append(history, costRecord{offer: old.ID, old: old.Cost, cost: f.cost, raw: f.CostRaw})
		}
		if ev != "" {
			e := was.event(ev, f.cost, sourceSync, t)
			if _, err := recordHoldEvent(ctx, tx, old.ID, e); err != nil {
				return err
			}
			e.Offer, e.Supplier, e.Code = old.ID, supplier, code
			res.holdEvents = append(res.holdEvents, e)
		}
		if old.Cost != f.cost || old.Active != f.Active || old.RemovedAt.Valid || old.GameCode != f.GameCode || ev != "" {
			res.CostChanged = append(res.CostChanged, old.ID)
		}
		res.Changed++
	}
	ids, err := insertOffers(ctx, tx, supplier, added, now, costAt)
	if err != nil {
		return err
	}
	res.Added += len(added)
	res.CostChanged = append(res.CostChanged, ids...)
	if err := insertHistory(ctx, tx, history, now); err != nil {
		return fmt.Errorf("cost history %s: %w", supplier, err)
	}
	if err := insertFirstCosts(ctx, tx, ids, now); err != nil {
		return fmt.Errorf("cost history %s: %w", supplier, err)
	}
	for code, old := range stored {
		if _, ok := fetched[code]; ok || old.RemovedAt.Valid {
			continue
		}
		r, err := tx.ExecContext(ctx, remove, now, now, old.ID, old.UpdatedAt)
		if err != nil {
			return fmt.Errorf("remove offer %s/%s: %w", supplier, code, err)
		}
		if err := oneRow(r); err != nil {
			return err
		}
		res.Removed++
		res.CostChanged = append(res.CostChanged, old.ID)
	}
	return nil
}

// insertOffers inserts offers seen for the first time, many to a
// statement, and returns their ids in the order given. An offer inserted
// by someone else since the diff's read conflicts, returns no row, and
// fails the write with errConcurrentWrite.
func insertOffers(ctx context.Context, tx *sqlx.Tx, supplier string, added []fetchedOffer, now, costAt string) ([]int64, error) {
	// RETURNING rather than LastInsertId, which PostgreSQL's driver lacks;
	// with the code, since neither database promises RETURNING's rows in
	// the order of VALUES.
	const head = `INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, process_duration, first_seen, updated_at, cost_at)
		VALUES `
	const tuple = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	const tail = ` ON CONFLICT (supplier, code) DO NOTHING RETURNING id, code`
	idOf := make(map[string]int64, len(added))
	// Values every row shares are boxed once, not once a row; each
	// returned row is scanned into the same two variables.
	var supplierArg, nowArg, costAtArg any = supplier, now, costAt
	var (
		id   int64
		code string
	)
	err := insertRows(ctx, tx, head, tuple, tail, nil, len(added), func(args []any, i int) []any {
		f := &added[i]
		return append(args, supplierArg, f.Code, f.GameCode, f.Name, f.cost, f.CostRaw, f.Active, f.ProcessDuration, nowArg, nowArg, costAtArg)
	}, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		idOf[code] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert offers %s: %w", supplier, err)
	}
	ids := make([]int64, len(added))
	for i, f := range added {
		id, ok := idOf[f.Code]
		if !ok {
			return nil, errConcurrentWrite
		}
		ids[i] = id
	}
	return ids, nil
}

// insertFirstCosts records the first cost of offers just inserted, as
// they were stored: one id a row to bind rather than five values.
func insertFirstCosts(ctx context.Context, tx *sqlx.Tx, ids []int64, now string) error {
	const head = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at)
		SELECT id, NULL, cost, cost_raw, 'sync', ? FROM offers WHERE id IN (`
	return insertRows(ctx, tx, head, "?", ")", []any{now}, len(ids), func(args []any, i int) []any {
		return append(args, ids[i])
	}, nil)
}

// costRecord is one row of cost_history a sync writes for a changed cost.
type costRecord struct {
	offer int64
	old   int64
	cost  int64
	raw   string
}

// insertHistory records the sync's cost changes, many to a statement.
func insertHistory(ctx context.Context, tx *sqlx.Tx, history []costRecord, now string) error {
	const head = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at) VALUES `
	const tuple = `(?, ?, ?, ?, 'sync', ?)`
	var nowArg any = now
	return insertRows(ctx, tx, head, tuple, "", nil, len(history), func(args []any, i int) []any {
		h := &history[i]
		return append(args, h.offer, h.old, h.cost, h.raw, nowArg)
	}, nil)
}

// oneRow turns a guarded write that matched no row into errConcurrentWrite.
func oneRow(r sql.Result) error {
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return errConcurrentWrite
	}
	return nil
}

// runRetention is how long sync attempts are kept for operators.
const runRetention = 30 * 24 * time.Hour

func (s *Syncer) recordRun(ctx context.Context, db sqlx.ExecerContext, res *SyncResult) error {
	const q = `INSERT INTO sync_runs
		(supplier, started_at, finished_at, ok, duration_ms, seen, added, changed, removed, error, unauthorized)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	const prune = `DELETE FROM sync_runs WHERE supplier = ? AND started_at < ?`
	finished := s.now()
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	if _, err := db.ExecContext(ctx, q, res.Supplier, syncd.FormatTime(res.Started), syncd.FormatTime(finished),
		res.Err == nil, finished.Sub(res.Started).Milliseconds(), res.Seen, res.Added, res.Changed, res.Removed, errText,
		errors.Is(res.Err, ErrUnauthorized)); err != nil {
		return fmt.Errorf("record sync run %s: %w", res.Supplier, err)
	}
	if _, err := db.ExecContext(ctx, prune, res.Supplier, syncd.FormatTime(finished.Add(-runRetention))); err != nil {
		return fmt.Errorf("prune sync runs %s: %w", res.Supplier, err)
	}
	return nil
}
