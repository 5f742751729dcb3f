package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/dbtest"
)

// TestReadyStages walks readiness through start-up: no snapshot, then
// start-up syncs pending, then ready; and not ready while another process
// holds the database's write lock.
func TestReadyStages(t *testing.T) {
	sp, ip := startSims(t)
	dbPath := dbtest.DSN(t)
	env := map[string]string{
		"SYNCD_DB":        dbPath,
		"SENPAY_BASE_URL": sp, "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s",
		"ISIPAY_BASE_URL": ip, "ISIPAY_API_TOKEN": "t",
	}
	cfg, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if a.elector != nil {
		// The only instance on its database leads at its first campaign,
		// and so owes the start-up syncs readiness waits for.
		a.elector.Campaign(ctx)
	}
	t.Cleanup(func() {
		if a.elector != nil {
			a.elector.Resign()
		}
		a.sched.shutdown()
		a.catalog.Close()
		a.db.Close()
	})

	wantNotReady := func(stage, reason string) {
		t.Helper()
		err := a.ready(ctx)
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Fatalf("%s: got %v, want not ready: %s", stage, err, reason)
		}
	}
	wantNotReady("before the first snapshot", "catalog snapshot not built")
	if _, err := a.catalog.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	wantNotReady("before the start-up syncs", "start-up sync not finished: [isipay senpay]")
	a.sched.start()
	waitFor(t, "the start-up syncs", func() bool { return len(a.sched.pendingFirstRuns()) == 0 })
	if err := a.ready(ctx); err != nil {
		t.Fatalf("after the start-up syncs: got %v, want ready", err)
	}

	// Another process holding the write lock past the probe's deadline:
	// SQLite's one write lock, or on PostgreSQL the lock of the row the
	// probe writes.
	driver, hold := "sqlite", ""
	if dbtest.Postgres() {
		driver, hold = "pgx", `UPDATE meta SET value = value WHERE key = 'ready_probe'`
	} else {
		dbPath = "file:" + dbPath + "?_txlock=immediate"
	}
	other, err := sql.Open(driver, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if hold != "" {
		if _, err := tx.Exec(hold); err != nil {
			t.Fatal(err)
		}
	}
	wantNotReady("with the write lock held elsewhere", "database not writable")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := a.ready(ctx); err != nil {
		t.Fatalf("after the lock is released: got %v, want ready", err)
	}
}

// TestReadyzWaitsForStartupSync serves with a supplier whose first reply
// is held back: /readyz is 503 until its sync has finished, while
// /healthz answers throughout.
func TestReadyzWaitsForStartupSync(t *testing.T) {
	sp, ip := startSims(t)
	spURL, err := url.Parse(sp)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(spURL)
	release := make(chan struct{})
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(held.Close)
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // runs before held.Close, which waits for handlers

	r := startServe(t, map[string]string{
		"SENPAY_BASE_URL": held.URL, "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s",
		"ISIPAY_BASE_URL": ip, "ISIPAY_API_TOKEN": "t",
	})
	base := "http://" + r.at.API
	waitFor(t, "isipay's start-up sync", func() bool {
		return len(r.app.sched.pendingFirstRuns()) == 1
	})
	resp, body := get(t, base+"/readyz", "")
	if resp.StatusCode != 503 || !strings.Contains(string(body), "start-up sync not finished: [senpay]") {
		t.Fatalf("/readyz while senpay's first sync runs: got %d %s, want 503 naming senpay", resp.StatusCode, body)
	}
	if resp, _ := get(t, base+"/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("/healthz: got %d, want 200", resp.StatusCode)
	}
	open()
	r.waitReady(t)
}
