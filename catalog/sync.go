package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
)

// Errors a sync can end with. Each leaves the stored catalog untouched.
var (
	ErrSyncRunning     = errors.New("a sync of this supplier is already running")
	ErrEmptyCatalog    = errors.New("supplier returned an empty catalog")
	ErrShrunkenCatalog = errors.New("supplier catalog shrank beyond the safety limit")
	ErrInvalidCatalog  = errors.New("supplier catalog is invalid")
)

// DefaultMaxShrink is the largest share of a supplier's active offers that
// one sync may take away. Suppliers do not retire half their catalog between
// two syncs; a reply that says so is far likelier a broken reply.
const DefaultMaxShrink = 0.5

// Syncer pulls supplier catalogs into SQLite. It is safe for concurrent use;
// syncs of one supplier never overlap.
type Syncer struct {
	db        *syncd.DB
	log       *slog.Logger
	now       func() time.Time
	maxShrink float64

	mu      sync.Mutex
	running map[string]bool
}

// SyncerOption configures a Syncer.
type SyncerOption func(*Syncer)

// WithMaxShrink sets the share (0..1] of active offers a sync may remove or
// deactivate before it is refused.
func WithMaxShrink(f float64) SyncerOption { return func(s *Syncer) { s.maxShrink = f } }

// WithClock replaces time.Now, for tests of staleness.
func WithClock(now func() time.Time) SyncerOption { return func(s *Syncer) { s.now = now } }

// NewSyncer returns a Syncer writing to db.
func NewSyncer(db *syncd.DB, log *slog.Logger, opts ...SyncerOption) *Syncer {
	s := &Syncer{db: db, log: log, now: time.Now, maxShrink: DefaultMaxShrink, running: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SyncResult reports one sync of one supplier.
type SyncResult struct {
	Supplier string        `json:"supplier"`
	Started  time.Time     `json:"started_at"`
	Duration time.Duration `json:"-"`
	Seen     int           `json:"seen"`
	Added    int           `json:"added"`
	Changed  int           `json:"changed"`
	Removed  int           `json:"removed"`
	// CostChanged lists offers whose cost, activity or presence changed:
	// the offers whose items need repricing.
	CostChanged []int64 `json:"-"`
	// GamesChanged counts supplier games added, changed or removed: their
	// forms and activity reach every item of the game.
	GamesChanged int   `json:"-"`
	Err          error `json:"-"`
}

// Sync fetches src's catalog and stores what changed, in one transaction.
// On any failure (fetch error, empty or shrunken or invalid catalog) nothing
// in the catalog changes; the failed attempt is recorded.
func (s *Syncer) Sync(ctx context.Context, supplier string, src Source) (SyncResult, error) {
	if !s.begin(supplier) {
		return SyncResult{Supplier: supplier}, fmt.Errorf("sync %s: %w", supplier, ErrSyncRunning)
	}
	defer s.end(supplier)

	res := SyncResult{Supplier: supplier, Started: s.now()}
	err := s.syncSafely(ctx, supplier, src, &res)
	res.Duration = s.now().Sub(res.Started)
	res.Err = err
	if err != nil {
		// The transaction rolled back: nothing was added or changed.
		res.Added, res.Changed, res.Removed, res.CostChanged, res.GamesChanged = 0, 0, 0, nil, 0
		// Record the failure even if ctx was cancelled mid-sync: an
		// operator must see it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := s.recordRun(rctx, s.db.Write, &res); rerr != nil {
			s.log.Error("record failed sync", "supplier", supplier, "err", rerr)
		}
		return res, fmt.Errorf("sync %s: %w", supplier, err)
	}
	return res, nil
}

// syncSafely turns a panic in a source (a supplier adapter's bug) into a
// failed sync, so it is recorded and shown to operators like any other.
func (s *Syncer) syncSafely(ctx context.Context, supplier string, src Source, res *SyncResult) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return s.sync(ctx, supplier, src, res)
}

func (s *Syncer) begin(supplier string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[supplier] {
		return false
	}
	s.running[supplier] = true
	return true
}

func (s *Syncer) end(supplier string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, supplier)
}

func (s *Syncer) sync(ctx context.Context, supplier string, src Source, res *SyncResult) error {
	// Read what is stored while the supplier is being fetched: the read
	// comes off the critical path and out of the write lock, which the
	// other supplier's sync and the webhooks need. The write below checks
	// that nothing it read has changed since, and rereads if it has.
	type loaded struct {
		state stored
		err   error
	}
	loadc := make(chan loaded, 1)
	go func() {
		st, err := loadStored(ctx, s.db.Read, supplier)
		loadc <- loaded{st, err}
	}()
	cat, err := src.FetchCatalog(ctx)
	l := <-loadc
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if l.err != nil {
		return l.err
	}
	if cat == nil || len(cat.Offers) == 0 {
		return ErrEmptyCatalog
	}
	offers, err := normalise(cat)
	if err != nil {
		return err
	}
	res.Seen = len(offers)
	gameActive := map[string]bool{}
	for _, g := range cat.Games {
		gameActive[g.Code] = g.Active
	}

	if err := s.checkShrink(l.state, offers, gameActive); err != nil {
		return err
	}
	err = s.write(ctx, supplier, cat.Games, offers, l.state, res)
	if errors.Is(err, errConcurrentWrite) {
		// Someone wrote this supplier's offers between the read and the
		// write. Reread under the write lock, where nothing can move.
		*res = SyncResult{Supplier: res.Supplier, Started: res.Started, Seen: res.Seen}
		err = s.writeLocked(ctx, supplier, cat.Games, offers, gameActive, res)
	}
	return err
}

// errConcurrentWrite: a row changed between the sync's read and its write.
var errConcurrentWrite = errors.New("offers changed during the sync")

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
	now := syncd.FormatTime(s.now())
	if err := writeGames(ctx, tx, supplier, games, state.games, now, res); err != nil {
		return err
	}
	if err := writeOffers(ctx, tx, supplier, offers, state.offers, now, res); err != nil {
		return err
	}
	return s.recordRun(ctx, tx, res)
}

// fetchedOffer is an Offer with its cost rounded for storage.
type fetchedOffer struct {
	Offer
	cost int64
}

// normalise validates a fetched catalog and rounds costs up to whole rupiah:
// an under-estimated cost could sell at a loss, an over-estimate by less
// than one rupiah cannot.
func normalise(cat *SupplierCatalog) (map[string]fetchedOffer, error) {
	out := make(map[string]fetchedOffer, len(cat.Offers))
	maxCost := decimal.NewFromInt(1 << 53)
	for _, o := range cat.Offers {
		switch {
		case o.Code == "":
			return nil, fmt.Errorf("%w: offer without a code", ErrInvalidCatalog)
		case o.Cost.IsNegative() || o.Cost.GreaterThan(maxCost):
			return nil, fmt.Errorf("%w: offer %s has cost %s", ErrInvalidCatalog, o.Code, o.Cost)
		}
		if _, dup := out[o.Code]; dup {
			return nil, fmt.Errorf("%w: offer %s listed twice", ErrInvalidCatalog, o.Code)
		}
		raw := o.CostRaw
		if raw == "" {
			raw = o.Cost.String()
		}
		o.CostRaw = raw
		out[o.Code] = fetchedOffer{Offer: o, cost: o.Cost.Ceil().IntPart()}
	}
	return out, nil
}

// checkShrink refuses a catalog that takes away more than maxShrink of the
// currently active offers, by removal or deactivation.
func (s *Syncer) checkShrink(state stored, fetched map[string]fetchedOffer, gameActive map[string]bool) error {
	games := state.games
	var before, gone int
	for code, o := range state.offers {
		if o.RemovedAt.Valid || !o.Active {
			continue
		}
		if g, ok := games[o.GameCode]; ok && !g.Active {
			continue
		}
		before++
		f, ok := fetched[code]
		if active, known := gameActive[f.GameCode]; !ok || !f.Active || (known && !active) {
			gone++
		}
	}
	if before > 0 && float64(gone) > s.maxShrink*float64(before) {
		return fmt.Errorf("%w: %d of %d active offers would go (limit %.0f%%)",
			ErrShrunkenCatalog, gone, before, s.maxShrink*100)
	}
	return nil
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
	RemovedAt       sql.NullString `db:"removed_at"`
}

func loadOffers(ctx context.Context, tx sqlx.QueryerContext, supplier string) (map[string]storedOffer, error) {
	// NOT INDEXED: reading most of the table through the (supplier, code)
	// index costs a table lookup per row; a sequential scan is 2x faster.
	const q = `SELECT id, code, game_code, name, cost, cost_raw, active, process_duration, updated_at, removed_at
		FROM offers NOT INDEXED WHERE supplier = ?`
	rows, err := tx.QueryContext(ctx, q, supplier)
	if err != nil {
		return nil, fmt.Errorf("load offers %s: %w", supplier, err)
	}
	defer rows.Close()
	out := map[string]storedOffer{}
	for rows.Next() {
		var o storedOffer
		if err := rows.Scan(&o.ID, &o.Code, &o.GameCode, &o.Name, &o.Cost, &o.CostRaw, &o.Active, &o.ProcessDuration, &o.UpdatedAt, &o.RemovedAt); err != nil {
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

func writeOffers(ctx context.Context, tx *sqlx.Tx, supplier string, fetched map[string]fetchedOffer, stored map[string]storedOffer, now string, res *SyncResult) error {
	// Each write is guarded by what the diff read: an offer inserted or
	// updated since (by a webhook) makes the write affect no row, and the
	// sync rereads under the lock instead of overwriting newer data.
	const insert = `INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, process_duration, first_seen, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (supplier, code) DO NOTHING`
	const update = `UPDATE offers SET game_code = ?, name = ?, cost = ?, cost_raw = ?, active = ?,
		process_duration = ?, updated_at = ?, removed_at = NULL WHERE id = ? AND updated_at = ?`
	const remove = `UPDATE offers SET removed_at = ?, updated_at = ? WHERE id = ? AND updated_at = ?`
	const history = `INSERT INTO cost_history (offer_id, old_cost, new_cost, raw, source, at)
		VALUES (?, ?, ?, ?, 'sync', ?)`

	ins, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, update)
	if err != nil {
		return err
	}
	defer upd.Close()
	hist, err := tx.PrepareContext(ctx, history)
	if err != nil {
		return err
	}
	defer hist.Close()

	// In code order, so a first sync gives offers the same ids every time.
	codes := make([]string, 0, len(fetched))
	for code := range fetched {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		f := fetched[code]
		old, exists := stored[code]
		switch {
		case !exists:
			r, err := ins.ExecContext(ctx, supplier, code, f.GameCode, f.Name, f.cost, f.CostRaw, f.Active, f.ProcessDuration, now, now)
			if err != nil {
				return fmt.Errorf("insert offer %s/%s: %w", supplier, code, err)
			}
			if err := oneRow(r); err != nil {
				return err
			}
			id, err := r.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := hist.ExecContext(ctx, id, nil, f.cost, f.CostRaw, now); err != nil {
				return fmt.Errorf("cost history %s/%s: %w", supplier, code, err)
			}
			res.Added++
			res.CostChanged = append(res.CostChanged, id)
		case old.GameCode != f.GameCode || old.Name != f.Name || old.Cost != f.cost || old.CostRaw != f.CostRaw ||
			old.Active != f.Active || old.ProcessDuration != f.ProcessDuration || old.RemovedAt.Valid:
			r, err := upd.ExecContext(ctx, f.GameCode, f.Name, f.cost, f.CostRaw, f.Active, f.ProcessDuration, now, old.ID, old.UpdatedAt)
			if err != nil {
				return fmt.Errorf("update offer %s/%s: %w", supplier, code, err)
			}
			if err := oneRow(r); err != nil {
				return err
			}
			if old.Cost != f.cost || old.CostRaw != f.CostRaw {
				if _, err := hist.ExecContext(ctx, old.ID, old.Cost, f.cost, f.CostRaw, now); err != nil {
					return fmt.Errorf("cost history %s/%s: %w", supplier, code, err)
				}
			}
			if old.Cost != f.cost || old.Active != f.Active || old.RemovedAt.Valid || old.GameCode != f.GameCode {
				res.CostChanged = append(res.CostChanged, old.ID)
			}
			res.Changed++
		}
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
		(supplier, started_at, finished_at, ok, duration_ms, seen, added, changed, removed, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	const prune = `DELETE FROM sync_runs WHERE supplier = ? AND started_at < ?`
	finished := s.now()
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	if _, err := db.ExecContext(ctx, q, res.Supplier, syncd.FormatTime(res.Started), syncd.FormatTime(finished),
		res.Err == nil, finished.Sub(res.Started).Milliseconds(), res.Seen, res.Added, res.Changed, res.Removed, errText); err != nil {
		return fmt.Errorf("record sync run %s: %w", res.Supplier, err)
	}
	if _, err := db.ExecContext(ctx, prune, res.Supplier, syncd.FormatTime(finished.Add(-runRetention))); err != nil {
		return fmt.Errorf("prune sync runs %s: %w", res.Supplier, err)
	}
	return nil
}
