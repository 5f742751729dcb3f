package testenv

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
)

// Config is what a package's tests ask of the environment.
type Config struct {
	// Suppliers are the simulators to run, in the order of preference.
	Suppliers []Supplier
	// File is the database to start from (a SyncedFile made once per
	// binary); nil: an empty one.
	File *Fixture
	// StaleAfter is the catalog's; zero: an hour.
	StaleAfter time.Duration
	// Clock is the order service's; nil: one standing at the start.
	Clock *testclock.Clock
	// HTTPTimeout is when the clients give up on a call; zero: 5s.
	HTTPTimeout time.Duration
}

// Env is a database, the simulators and the catalog over them, all
// stopped when the test ends.
type Env struct {
	Path    string // the database's DSN: a file, or a PostgreSQL URL
	DB      *syncd.DB
	Sims    *Sims
	Syncer  *offers.Syncer
	Catalog *catalog.Catalog
	Clock   *testclock.Clock
	Log     *slog.Logger // discards
}

// New starts the simulators and opens the database and a catalog with no
// snapshot yet: Refresh builds one, SyncAll fetches the catalogs first.
func New(t testing.TB, cfg Config) *Env {
	t.Helper()
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = testclock.At(time.Now().UTC())
	}
	e := &Env{Sims: Start(cfg.HTTPTimeout, cfg.Suppliers...), Clock: cfg.Clock, Log: slog.New(slog.DiscardHandler)}
	t.Cleanup(e.Sims.Close)
	e.Path = CopyDB(t, cfg.File)
	e.DB = OpenDB(t, e.Path)
	e.Syncer = offers.NewSyncer(e.DB, e.Log)
	e.Catalog = catalog.NewCatalog(e.DB, e.Log, e.Sims.CatalogConfig(cfg.StaleAfter))
	t.Cleanup(e.Catalog.Close)
	return e
}

// Sync fetches one supplier's catalog from its simulator.
func (e *Env) Sync(t testing.TB, name string) {
	t.Helper()
	if _, err := e.Syncer.Sync(context.Background(), name, e.Sims.Client(name)); err != nil {
		t.Fatal(err)
	}
}

// SyncAll fetches every supplier's catalog, in order, and publishes a new
// snapshot, as the scheduler does after each sync.
func (e *Env) SyncAll(t testing.TB) *catalog.Snapshot {
	t.Helper()
	if err := SyncAll(context.Background(), e.Syncer, e.Sims); err != nil {
		t.Fatal(err)
	}
	return e.Refresh(t)
}

// Refresh builds and publishes the catalog's snapshot.
func (e *Env) Refresh(t testing.TB) *catalog.Snapshot {
	t.Helper()
	snap, err := e.Catalog.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// Orders is an order service over the env's database and catalog, closed
// when the test ends. Unless cfg says otherwise it routes to every
// simulator and reads the env's clock.
func (e *Env) Orders(t testing.TB, cfg orders.Config, n *orders.Notifier) *orders.Service {
	if cfg.Suppliers == nil {
		cfg.Suppliers = e.Sims.Orders()
	}
	if cfg.Now == nil {
		cfg.Now = e.Clock.Now
	}
	svc := orders.New(e.DB, e.Catalog, e.Log, n, cfg)
	t.Cleanup(svc.Close)
	return svc
}
