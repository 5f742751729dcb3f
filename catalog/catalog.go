package catalog

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/rules"
)

// Config tunes how the merged catalog is chosen.
type Config struct {
	// StaleAfter: a supplier whose last successful sync is older than this
	// has no eligible offers (its data is kept, not sold). A failed sync
	// alone does not stop its offers being sold (the supplier is
	// degraded), unless the supplier refused syncd's credentials.
	StaleAfter time.Duration
	// Suppliers in order of preference, for ties on cost.
	Suppliers []string
	// PrefixedCodes are the suppliers whose product codes begin with their
	// game's code, which matching leaves out of the SKU it compares.
	PrefixedCodes map[string]bool
	// GameSettings are what each supplier needs per game beyond the
	// game's form, by supplier (its descriptor's): a supplier's offers in
	// a game whose settings fail their check are not eligible.
	GameSettings map[string][]GameSetting
	// SwitchMargin: keep an item's current supplier unless another
	// eligible offer is cheaper by at least this many rupiah. Zero always
	// takes the cheapest.
	SwitchMargin decimal.Decimal
	// History is how many snapshot versions the changes feed can span.
	History int
	// Floor is the global guard every price obeys besides the rules'
	// (DESIGN.md: default margin >= 0, which pricing always applies).
	Floor []pricing.Guard
	// OnPublish, when set, learns of every snapshot published: what caused
	// it ("sync", "rule:<id>", "window", "matching", "webhook",
	// "cost_accept", "stale") and how long the rebuild or reprice took. For
	// metrics; it must not block.
	OnPublish func(cause string, took time.Duration)
	// CostGuard holds supplier cost moves too large to believe on one
	// webhook; the Syncer must have the same (WithCostGuard). Nil: the
	// defaults, offers.DefaultCostGuard.
	CostGuard *offers.CostGuard
	// BalanceMargin is how far a supplier's estimated balance must rise
	// above an offer's cost before an offer skipped for want of deposit
	// prices its item again (SetBalance); it keeps items from flapping
	// while a balance hovers at a cost.
	BalanceMargin int64
	// Leads, when set, says whether this instance leads several on one
	// database: only the leader reprices when a rule window opens or
	// supplier data goes stale, since each instance doing so would publish
	// the same change as a version of its own; the others follow the
	// leader's. Nil: one instance, which always leads.
	Leads func() bool
	// Fence, when set, refuses in tx a version only the leader may
	// publish (one made in a Fenced context: after a sync, at a rule
	// window, when data went stale) unless this instance still leads, so
	// a deposed leader publishes nothing after its successor took over.
	Fence func(ctx context.Context, tx sqlx.QueryerContext) error
}

// Catalog is the merged catalog: it links offers to canonical items,
// chooses each item's offer, and publishes immutable snapshots that the
// API serves without touching SQLite.
type Catalog struct {
	db  *syncd.DB
	log *slog.Logger
	cfg Config
	now func() time.Time

	rules *rules.Store
	// offers stores webhook costs and accepted holds through the cost
	// guard, and reads the holds.
	offers *offers.Store

	costQueue  costQueue
	offerReads offerReads // currentOffers' statements
	costsDone  uint64     // the last cost batch repriced; under mu
	balances   balanceBook
	// rulesOwed: a rule change is stored but its reprice failed, so the
	// snapshot prices with older rules; the next rebuild is a full one.
	// Under mu.
	rulesOwed bool

	epoch string     // random per process, part of the ETags of the versions it publishes
	mu    sync.Mutex // one rebuild or rule change at a time
	// adopt, under mu, is the recorded version a rebuild catches up with:
	// it takes that version's number, time and epoch instead of a new one.
	adopt   *Version
	window  *time.Timer
	stale   *time.Timer // rebuilds when a sold supplier's data goes stale
	closed  bool        // Close was called: timers rebuild nothing
	current atomic.Pointer[Snapshot]
}

// NewCatalog returns a Catalog with no snapshot yet; Refresh builds one.
func NewCatalog(db *syncd.DB, log *slog.Logger, cfg Config) *Catalog {
	if cfg.History <= 0 {
		cfg.History = 256
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 15 * time.Minute
	}
	if cfg.CostGuard == nil {
		g := offers.DefaultCostGuard()
		cfg.CostGuard = &g
	}
	c := &Catalog{db: db, log: log, cfg: cfg, now: time.Now, epoch: rand.Text()[:8]}
	if db != nil { // nil only in benchmarks of the in-memory stages
		c.rules = rules.NewStore(db.Write, db.Read)
		// Through c.now at each call: tests move the catalog's clock.
		c.offers = offers.NewStore(db, log, *cfg.CostGuard, func() time.Time { return c.now() })
	}
	return c
}

// Snapshot returns the current snapshot, nil before the first Refresh.
func (c *Catalog) Snapshot() *Snapshot { return c.current.Load() }

// Refresh links new offers, rebuilds the snapshot from SQLite and
// publishes it. Readers keep the snapshot they hold; new reads see the new
// one at once.
func (c *Catalog) Refresh(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refreshLocked(ctx, "sync")
}

func (c *Catalog) refreshLocked(ctx context.Context, cause string) (*Snapshot, error) {
	start := c.now()
	var linked int
	if c.adopt == nil {
		// Catching up builds what the publisher linked; linking is the
		// publisher's, not every follower's at once.
		n, err := c.link(ctx)
		if err != nil {
			return nil, err
		}
		linked = n
	}
	in, err := c.load(ctx, nil)
	if err != nil {
		return nil, err
	}
	items, games := c.choose(in)
	review := deriveReview(in, items, games)
	if err := c.rememberChoices(ctx, in, items); err != nil {
		return nil, err
	}
	// The rows are read: let them go before the snapshot is priced and
	// encoded, the two stages that allocate most, while the one being
	// served is still alive.
	in.offers, in.items = nil, nil
	tiers, err := c.tiers(ctx)
	if err != nil {
		return nil, err
	}
	set, err := c.ruleSet(ctx)
	if err != nil {
		return nil, err
	}
	now := c.clock()
	c.price(items, tiers, set, now)
	snap, err := build(c.current.Load(), games, items, tiers, deactivatedGames(in))
	if err != nil {
		return nil, err
	}
	snap.rules, snap.pricedAt, snap.floor, snap.health = set, now, c.cfg.Floor, in.suppliers
	snap.review, snap.aliases = review, in.aliases
	if err := c.publish(ctx, snap, cause, start); err != nil {
		return nil, err
	}
	c.rulesOwed = false
	c.log.Info("catalog snapshot", "version", snap.Version, "games", len(snap.games), "items", snap.items,
		"cause", cause, "linked", linked, "review", snap.reviewCount(), "duration", c.now().Sub(start))
	return snap, nil
}

// publish versions snap against the current snapshot, swaps it in, records
// price changes and arms the timer for the next rule window. The version
// moves only when a storefront could see a difference, so a caching
// storefront keeps getting 304 for /v1/catalog across syncs that changed
// nothing it shows; merchandiser detail (reasons, freshness) is still
// replaced.
func (c *Catalog) publish(ctx context.Context, snap *Snapshot, cause string, start time.Time) error {
	prev := c.current.Load()
	ch := diff(prev, snap)
	var history []change
	switch {
	case c.adopt != nil:
		// Another instance published this version: serve it as its own.
		snap.seal(c.adopt.Version, c.adopt.BuiltAt, c.adopt.Epoch)
	case prev != nil && ch.empty():
		snap.Version, snap.BuiltAt, snap.epoch, snap.catalog = prev.Version, prev.BuiltAt, prev.epoch, prev.catalog
		history = prev.changes
	default:
		version, err := c.nextVersion(ctx)
		if err != nil {
			return err
		}
		snap.seal(version, c.now(), c.epoch)
		ch.Version, ch.Base = version, -1
		if prev != nil {
			ch.Base = prev.Version
		}
		if err := c.recordVersion(ctx, snap, ch); err != nil {
			return err
		}
		history = extendHistory(prev, ch, c.cfg.History)
	}
	if history == nil {
		var err error
		if history, err = c.loadHistory(ctx, snap.Version); err != nil {
			return err
		}
	}
	// The version being served is the feed's newest; the rows before it
	// are the changes of the versions before.
	if n := len(history); n > 0 && history[n-1].Version == snap.Version {
		snap.changes = history
	} else {
		snap.changes = append(history, change{Version: snap.Version, Base: -1})
	}
	c.current.Store(snap)
	if c.cfg.OnPublish != nil {
		c.cfg.OnPublish(cause, c.now().Sub(start))
	}
	c.armWindow(snap)
	c.armStale(snap)
	c.logHealth(prev, snap)
	if err := c.recordPrices(ctx, prev, snap, ch, cause); err != nil {
		// The new prices are served; only their history is incomplete.
		c.log.Error("record price history", "err", err)
	}
	return nil
}
