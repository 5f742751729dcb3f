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
	"github.com/syncd/syncd/offers"
)

// OpenDB opens (and migrates) the database at path, closed when the test
// ends.
func OpenDB(t testing.TB, path string) *syncd.DB {
	t.Helper()
	db, err := syncd.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// CopyDB writes file (a database DBFile made) into the test's directory
// and returns its path; nil file: a path for an empty database.
func CopyDB(t testing.TB, file []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "syncd.db")
	if file != nil {
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// DBFile is a database file made by build, checkpointed into one file.
// Tests make one per binary (sync.OnceValues) and copy it into each
// test's directory: migrating and syncing afresh for each test would
// dominate their time under -race.
func DBFile(build func(ctx context.Context, db *syncd.DB) error) ([]byte, error) {
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
	var busy, logged, moved int
	if err := db.Write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return nil, err
	}
	if busy != 0 {
		return nil, errors.New("wal checkpoint: busy")
	}
	return os.ReadFile(path)
}

// SyncedFile is DBFile holding the catalogs of the suppliers ss as their
// simulators serve them, synced in order and, when staleAfter is not
// zero, linked by a catalog refresh.
func SyncedFile(staleAfter time.Duration, ss ...Supplier) ([]byte, error) {
	sims := Start(0, ss...)
	defer sims.Close()
	return DBFile(func(ctx context.Context, db *syncd.DB) error {
		log := slog.New(slog.DiscardHandler)
		if err := SyncAll(ctx, offers.NewSyncer(db, log), sims); err != nil {
			return err
		}
		if staleAfter == 0 {
			return nil
		}
		cat := catalog.NewCatalog(db, log, sims.CatalogConfig(staleAfter))
		defer cat.Close()
		_, err := cat.Refresh(ctx)
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

// NewDB is an empty database, migrated, in the test's directory.
func NewDB(t testing.TB) *syncd.DB {
	t.Helper()
	return OpenDB(t, CopyDB(t, nil))
}
