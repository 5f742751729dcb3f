package testenv

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
)

// OpenDB opens (and migrates) the database dsn names (a path or, on
// PostgreSQL, a URL), closed when the test ends.
func OpenDB(t testing.TB, dsn string) *syncd.DB {
	t.Helper()
	db, err := syncd.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A Fixture is a database tests start from, made once per binary
// (sync.OnceValues) and copied for each test: migrating and syncing
// afresh for each test would dominate their time under -race. On SQLite
// it is the file, checkpointed into one; on PostgreSQL, which has no file
// to copy, it is the recipe, run again in each test's schema.
type Fixture struct {
	file  []byte
	build func(ctx context.Context, db *syncd.DB) error
}

// CopyDB makes a database for the test from fx and returns its DSN; a nil
// fx: an empty database.
func CopyDB(t testing.TB, fx *Fixture) string {
	t.Helper()
	dsn := dbtest.DSN(t)
	if fx == nil {
		return dsn
	}
	if fx.build != nil {
		db := OpenDB(t, dsn)
		if err := fx.build(context.Background(), db); err != nil {
			t.Fatalf("build the test database: %v", err)
		}
		db.Close()
		return dsn
	}
	if err := os.WriteFile(dsn, fx.file, 0o600); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// FileFixture is a SQLite database file as a fixture, for the tests of
// SQLite's own files (an older version's, to migrate).
func FileFixture(file []byte) *Fixture { return &Fixture{file: file} }

// DBFile is the fixture build makes.
func DBFile(build func(ctx context.Context, db *syncd.DB) error) (*Fixture, error) {
	if dbtest.Postgres() {
		return &Fixture{build: build}, nil
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "syncd-test")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "syncd.db")
	db, err := syncd.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := build(ctx, db); err != nil {
		return nil, err
	}
	// The database's background checkpoint (checkpoint.go) may be
	// running: a second checkpoint is then refused as busy at once, so
	// it is asked again.
	for try := 0; ; try++ {
		var busy, logged, moved int
		if err := db.Write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
			return nil, err
		}
		if busy == 0 {
			break
		}
		if try == 500 {
			return nil, errors.New("wal checkpoint: busy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &Fixture{file: file}, nil
}

// SyncedFile is the fixture holding the catalogs of the suppliers that
// newSuppliers makes, as their simulators serve them, synced in order
// and, when staleAfter is not zero, linked by a catalog refresh. Each
// build makes its own suppliers: on PostgreSQL every test runs the build
// again, in parallel with others, and simulators keep state.
func SyncedFile(staleAfter time.Duration, newSuppliers func() ([]Supplier, error)) (*Fixture, error) {
	return DBFile(func(ctx context.Context, db *syncd.DB) error {
		ss, err := newSuppliers()
		if err != nil {
			return err
		}
		sims := Start(0, ss...)
		defer sims.Close()
		log := slog.New(slog.DiscardHandler)
		if err := SyncAll(ctx, offers.NewSyncer(db, log), sims); err != nil {
			return err
		}
		if staleAfter == 0 {
			return nil
		}
		cat := catalog.NewCatalog(db, log, sims.CatalogConfig(staleAfter))
		defer cat.Close()
		_, err = cat.Refresh(ctx)
		return err
	})
}

// SyncAll syncs every supplier of sims, in their order, as the scheduler's
// start-up does.
func SyncAll(ctx context.Context, syncer *offers.Syncer, sims *Sims) error {
	for _, name := range sims.names {
		if _, err := syncer.Sync(ctx, name, sims.clients[name]); err != nil {
			return err
		}
	}
	return nil
}

// NewDB is an empty database, migrated, of the test's own.
func NewDB(t testing.TB) *syncd.DB {
	t.Helper()
	return OpenDB(t, CopyDB(t, nil))
}
