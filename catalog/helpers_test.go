package catalog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
)

// sourceFunc adapts a function to offers.Source, so a test states a
// catalog exactly.
type sourceFunc func(ctx context.Context) (*offers.SupplierCatalog, error)

func (f sourceFunc) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) { return f(ctx) }

func fixed(cat *offers.SupplierCatalog) offers.Source {
	return sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) { return cat, nil })
}

// discardLog is the logger of tests that read no log.
var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestSyncer(t *testing.T, opts ...offers.SyncerOption) (*offers.Syncer, *syncd.DB, *clock) {
	t.Helper()
	db, err := syncd.Open(context.Background(), dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	return offers.NewSyncer(db, discardLog, append([]offers.SyncerOption{offers.WithClock(c.now)}, opts...)...), db, c
}

func clone(cat *offers.SupplierCatalog) *offers.SupplierCatalog {
	c := &offers.SupplierCatalog{Games: append([]offers.SupplierGame(nil), cat.Games...)}
	c.Offers = append(c.Offers, cat.Offers...)
	return c
}
