package offers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
)

// Errors a sync can end with. Each leaves the stored catalog untouched.
var (
	ErrSyncRunning     = fault.New(fault.SyncRunning, "a sync of this supplier is already running")
	ErrEmptyCatalog    = errors.New("supplier returned an empty catalog")
	ErrShrunkenCatalog = errors.New("supplier catalog shrank beyond the safety limit")
	ErrInvalidCatalog  = errors.New("supplier catalog is invalid")
	// ErrFenced: the sync's write was refused because this instance no
	// longer leads (WithFence). It is not recorded as the supplier's
	// failure: the supplier did nothing wrong, and the new leader syncs.
	ErrFenced = errors.New("sync refused: this instance no longer leads")
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
	guard     CostGuard
	fence     func(ctx context.Context, tx sqlx.QueryerContext) error

	mu      sync.Mutex
	running map[string]bool
}

// SyncerOption configures a Syncer.
type SyncerOption func(*Syncer)

// WithMaxShrink sets the share (0..1] of active offers a sync may remove or
// deactivate before it is refused.
func WithMaxShrink(f float64) SyncerOption { return func(s *Syncer) { s.maxShrink = f } }

// WithCostGuard sets the limits beyond which a cost move is held until a
// later sync confirms it (default DefaultCostGuard). catalog.Catalog must
// have the same (Config.CostGuard): webhooks pass through it there.
func WithCostGuard(g CostGuard) SyncerOption { return func(s *Syncer) { s.guard = g } }

// WithFence makes every sync's write transaction ask fence first, and
// write nothing unless it passes: with several instances on PostgreSQL,
// the leader's epoch (leader.Elector.Fence), so a sync a deposed leader
// was running when another took over stores nothing, and a takeover waits
// for a write the fence let through.
func WithFence(fence func(ctx context.Context, tx sqlx.QueryerContext) error) SyncerOption {
	return func(s *Syncer) { s.fence = fence }
}

// WithClock replaces time.Now, for tests of staleness.
func WithClock(now func() time.Time) SyncerOption { return func(s *Syncer) { s.now = now } }

// NewSyncer returns a Syncer writing to db.
func NewSyncer(db *syncd.DB, log *slog.Logger, opts ...SyncerOption) *Syncer {
	s := &Syncer{db: db, log: log, now: time.Now, maxShrink: DefaultMaxShrink, guard: DefaultCostGuard(), running: map[string]bool{}}
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
	// holdEvents are what the sync did to cost holds, told to the
	// guard's OnEvent once committed.
	holdEvents []CostHoldEvent
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
	if errors.Is(err, ErrFenced) {
		s.log.Warn("sync refused: another instance leads", "supplier", supplier, "err", err)
		return SyncResult{Supplier: supplier, Started: res.Started, Duration: res.Duration, Err: err}, fmt.Errorf("sync %s: %w", supplier, err)
	}
	if err != nil {
		// The transaction rolled back: nothing was added or changed.
		res.Added, res.Changed, res.Removed, res.CostChanged, res.GamesChanged, res.holdEvents = 0, 0, 0, nil, 0, nil
		// Record the failure even if ctx was cancelled mid-sync: an
		// operator must see it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := s.recordRun(rctx, s.db.Write, &res); rerr != nil {
			s.log.Error("record failed sync", "supplier", supplier, "err", rerr)
		}
		return res, fmt.Errorf("sync %s: %w", supplier, err)
	}
	for _, ev := range res.holdEvents {
		logHoldEvent(s.log, ev)
		if s.guard.OnEvent != nil {
			s.guard.OnEvent(supplier, ev.Event)
		}
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
