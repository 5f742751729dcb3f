package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
)

// offersDump is every stored offer's identity, cost and presence, in order:
// what one sync commits.
func offersDump(t *testing.T, db *syncd.DB) string {
	t.Helper()
	rows, err := db.Read.Query(`SELECT supplier, code, cost, active, removed_at IS NULL FROM offers ORDER BY supplier, code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var supplier, code string
		var cost int64
		var active, present bool
		if err := rows.Scan(&supplier, &code, &cost, &active, &present); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s/%s %d %v %v\n", supplier, code, cost, active, present)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func lastRun(t *testing.T, db *syncd.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Read.QueryRow(`SELECT coalesce(max(id), 0) FROM sync_runs`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestBackupDuringWrites backs up while syncs (with moving prices) and
// catalog rebuilds write to the database, and checks each backup holds
// exactly the offers the last sync it contains committed; then restores a
// backup taken at rest and serves the same catalog from it.
func TestBackupDuringWrites(t *testing.T) {
	sims := newSims(t)
	env := sims.env()
	env["SENPAY_RATE_LIMIT"], env["ISIPAY_RATE_LIMIT"] = "-1", "-1" // no client-side limit: more syncs per backup
	dir := t.TempDir()
	env["SYNCD_DB"] = filepath.Join(dir, "syncd.db")
	cfg, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := syncd.Open(ctx, cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	syncer := offers.NewSyncer(db, log)
	merged := catalog.NewCatalog(db, log, cfg.catalogConfig(catalog.Config{StaleAfter: cfg.StaleAfter, Suppliers: cfg.Preference}))
	defer merged.Close()
	srcs, err := sources(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The writer: sync both suppliers over and over, moving a price at the
	// simulator each time, and remember what each sync committed.
	var (
		mu        sync.Mutex
		committed = map[int64]string{} // sync_runs.id -> offers after it
		writeErr  error
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code := sims.senpayCodes[i%len(sims.senpayCodes)]
			if p, ok := sims.senpay.Price(code); ok {
				sims.senpay.SetPrice(code, p+1)
			}
			for _, name := range []string{"senpay", "isipay"} {
				res, err := syncer.Sync(ctx, name, srcs[name])
				if err == nil {
					_, err = merged.AfterSync(ctx, res)
				}
				if err != nil {
					mu.Lock()
					writeErr = err
					mu.Unlock()
					return
				}
				dump := offersDump(t, db) // only this goroutine writes offers
				mu.Lock()
				committed[lastRun(t, db)] = dump
				mu.Unlock()
			}
		}
	}()
	syncs := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(committed)
	}
	waitFor(t, "the first syncs", func() bool { return syncs() >= 2 })

	// Back up until the writer has committed a few syncs meanwhile.
	var backups []string
	before := syncs()
	for i := 0; i < 3 || syncs() < before+4; i++ {
		out := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		var stdout bytes.Buffer
		if err := run(ctx, []string{"backup", "-db", cfg.DB, out}, func(string) string { return "" }, &stdout, io.Discard); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if !strings.Contains(stdout.String(), "integrity ok") {
			t.Errorf("backup %d output: got %q, want its size and check", i, stdout.String())
		}
		backups = append(backups, out)
		if i > 1000 {
			t.Fatal("the writer made no progress during 1000 backups")
		}
	}
	close(stop)
	<-done
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}

	for _, path := range backups {
		b, err := syncd.Open(ctx, path)
		if err != nil {
			t.Fatalf("open backup %s: %v", path, err)
		}
		var check string
		if err := b.Read.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Errorf("%s: integrity_check got %q (%v), want ok", path, check, err)
		}
		run := lastRun(t, b)
		mu.Lock()
		want, ok := committed[run]
		mu.Unlock()
		if !ok {
			t.Errorf("%s: last sync run %d is not one the writer committed", path, run)
		} else if got := offersDump(t, b); got != want {
			t.Errorf("%s: offers differ from what sync run %d committed", path, run)
		}
		b.Close()
	}
	t.Logf("%d backups while %d syncs were committed", len(backups), syncs()-before)

	// Restore one taken at rest, as the README says, and serve it: the
	// same catalog, byte for byte, with no supplier configured.
	snap, err := merged.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := snap.Games(catalog.PublicTier)
	final := filepath.Join(dir, "final.db")
	if err := run(ctx, []string{"backup", "-db", cfg.DB, final}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "syncd.db")
	copyFile(t, final, restored)
	r := startServe(t, map[string]string{"SYNCD_DB": restored, "SYNCD_STALE_AFTER": cfg.StaleAfter.String()})
	r.waitReady(t)
	resp, got := get(t, "http://"+r.at.API+"/v1/games", testAdmin)
	if resp.StatusCode != 200 || !bytes.Equal(got, want.JSON) {
		t.Errorf("GET /v1/games from the restored backup: got %d\n%s\nwant the source's\n%s", resp.StatusCode, got, want.JSON)
	}
	for _, g := range snap.GameList() {
		want, _ := snap.GameBody(g.ID, catalog.PublicTier)
		resp, got := get(t, "http://"+r.at.API+"/v1/games/"+g.ID, testAdmin)
		if resp.StatusCode != 200 || !bytes.Equal(got, want.JSON) {
			t.Errorf("GET /v1/games/%s from the restored backup: got %d, differs from the source's", g.ID, resp.StatusCode)
		}
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "syncd.db")
	db, err := syncd.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	dst := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"backup", "-db", src, dst}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "will not overwrite") {
		t.Fatalf("backup over a file: got %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Errorf("existing file: got %q, want it untouched", b)
	}

	// A missing database is an error, not an empty backup.
	err = run(context.Background(), []string{"backup", "-db", filepath.Join(dir, "nope.db"), filepath.Join(dir, "b.db")},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("backup of a missing database: got nil, want an error")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "syncd.db" && e.Name() != "existing.db" && !strings.HasPrefix(e.Name(), "syncd.db-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBackupOnPostgresPointsAtPgDump: VACUUM INTO is SQLite's; on
// PostgreSQL backup copies nothing and says which tool does.
func TestBackupOnPostgresPointsAtPgDump(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "copy.db")
	env := map[string]string{"SYNCD_DB": "postgres://syncd:secret@db.example:5432/syncd"}
	var out, errOut strings.Builder
	err := runBackup(context.Background(), []string{dst}, func(k string) string { return env[k] }, &out, &errOut)
	if !errors.Is(err, errPostgresBackup) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("got %v, want the pg_dump advice", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the advice shows the password: %v", err)
	}
	if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
		t.Fatalf("backup on PostgreSQL wrote %s", dst)
	}
}
