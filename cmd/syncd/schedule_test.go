package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
)

// schedWait bounds every wait on the scheduler's goroutines and on a
// started syncd. It only ever matters when something is broken; a passing
// run waits milliseconds, or seconds on a loaded CI machine whose start-up
// syncs both suppliers and writes durably.
const schedWait = 30 * time.Second

// shutdownWait bounds a shutdown that must not wait out gocron's 20 s stop
// timeout: it stays below it.
const shutdownWait = 15 * time.Second

// sourceOf adapts a function to offers.Source.
type sourceOf func(ctx context.Context) (*offers.SupplierCatalog, error)

func (f sourceOf) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) { return f(ctx) }

// countedSource serves a one-offer catalog and counts its fetches.
func countedSource(n *atomic.Int64) offers.Source {
	return sourceOf(func(context.Context) (*offers.SupplierCatalog, error) {
		n.Add(1)
		return &offers.SupplierCatalog{
			Games: []offers.SupplierGame{{Code: "MLBB", Name: "Mobile Legends", Active: true}},
			Offers: []offers.Offer{{
				Code: "MLBB_5", GameCode: "MLBB", Name: "5 Diamonds",
				Cost: decimal.NewFromInt(1425), CostRaw: "1425", Active: true,
			}},
		}, nil
	})
}

// logBuffer collects log output written from the scheduler's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type schedFixture struct {
	sched  *scheduler
	syncer *offers.Syncer
	db     *syncd.DB
	log    *logBuffer
}

// startScheduler starts a scheduler of srcs over a fresh database. It is
// shut down before the database closes.
func startScheduler(t *testing.T, srcs map[string]offers.Source, interval time.Duration) *schedFixture {
	t.Helper()
	db := testenv.NewDB(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	syncer := offers.NewSyncer(db, log)
	sched, err := newScheduler(log, syncer, srcs, interval)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.shutdown) // a second shutdown is harmless
	if got, want := sched.pendingFirstRuns(), slices.Sorted(maps.Keys(srcs)); !slices.Equal(got, want) {
		t.Fatalf("pending first runs before start: got %v, want %v", got, want)
	}
	sched.start()
	return &schedFixture{sched: sched, syncer: syncer, db: db, log: logs}
}

// waitFor polls cond until it holds, failing the test after schedWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(schedWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", schedWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *schedFixture) firstRunsDone() bool { return len(f.sched.pendingFirstRuns()) == 0 }

func (f *schedFixture) runs(t *testing.T, supplier string) (ok, failed int) {
	t.Helper()
	const q = `SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok) FROM sync_runs WHERE supplier = ?`
	if err := f.db.Read.QueryRow(q, supplier).Scan(&ok, &failed); err != nil {
		t.Fatal(err)
	}
	return ok, failed
}

func TestSchedulerSyncsEverySupplierAtStart(t *testing.T) {
	var sp, ip atomic.Int64
	f := startScheduler(t, map[string]offers.Source{"senpay": countedSource(&sp), "isipay": countedSource(&ip)}, time.Hour)
	waitFor(t, "the first syncs", f.firstRunsDone)
	for _, name := range []string{"senpay", "isipay"} {
		if ok, failed := f.runs(t, name); ok != 1 || failed != 0 {
			t.Errorf("%s runs: got %d ok and %d failed, want 1 ok", name, ok, failed)
		}
	}
	if sp.Load() != 1 || ip.Load() != 1 {
		t.Errorf("fetches: got senpay=%d isipay=%d, want 1 each", sp.Load(), ip.Load())
	}
}

func TestTriggerRunsSyncOutsideSchedule(t *testing.T) {
	var fetches atomic.Int64
	// An hour apart: any run after the first comes from the trigger.
	f := startScheduler(t, map[string]offers.Source{"senpay": countedSource(&fetches)}, time.Hour)
	waitFor(t, "the first sync", f.firstRunsDone)
	if ok, _ := f.runs(t, "senpay"); ok != 1 {
		t.Fatalf("runs after start: got %d, want 1", ok)
	}

	// A singleton job skips a run that finds it busy, and the first run's
	// job may count as busy for a moment after its task returned: trigger
	// until a second run is recorded, as an operator would.
	deadline := time.Now().Add(schedWait)
	for ok, _ := f.runs(t, "senpay"); ok < 2; ok, _ = f.runs(t, "senpay") {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for a triggered sync", schedWait)
		}
		if err := f.sched.trigger("senpay"); err != nil && !errors.Is(err, gocron.ErrJobRunNowFailed) {
			t.Fatalf("trigger: got %v, want nil", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := fetches.Load(); n < 2 {
		t.Errorf("fetches: got %d, want at least 2", n)
	}

	if err := f.sched.trigger("nosuch"); err == nil {
		t.Error("trigger of an unknown supplier: got nil, want an error")
	}
}

func TestShutdownCancelsRunningSync(t *testing.T) {
	started := make(chan struct{})
	seen := make(chan error, 1) // the error the source's ctx ended with
	blocking := sourceOf(func(ctx context.Context) (*offers.SupplierCatalog, error) {
		close(started)
		<-ctx.Done()
		seen <- ctx.Err()
		return nil, ctx.Err()
	})
	f := startScheduler(t, map[string]offers.Source{"senpay": blocking}, time.Hour)
	select {
	case <-started:
	case <-time.After(schedWait):
		t.Fatalf("gave up after %v waiting for the sync to start", schedWait)
	}
	if got := f.sched.pendingFirstRuns(); !slices.Equal(got, []string{"senpay"}) {
		t.Errorf("pending while the first sync runs: got %v, want [senpay]", got)
	}

	done := make(chan struct{})
	go func() {
		f.sched.shutdown()
		close(done)
	}()
	// Were the sync's ctx not cancelled, shutdown would wait out gocron's
	// 20 s stop timeout.
	select {
	case <-done:
	case <-time.After(shutdownWait):
		t.Fatalf("shutdown still waiting after %v", shutdownWait)
	}
	select {
	case err := <-seen:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("sync's ctx: got %v, want context.Canceled", err)
		}
	default:
		t.Fatal("shutdown returned before the running sync saw its ctx end")
	}

	// Shutdown waited for the sync, so its failure is already recorded.
	var ok bool
	var msg string
	if err := f.db.Read.QueryRow(`SELECT ok, error FROM sync_runs WHERE supplier = 'senpay'`).Scan(&ok, &msg); err != nil {
		t.Fatalf("recorded run: %v", err)
	}
	if ok || !strings.Contains(msg, context.Canceled.Error()) {
		t.Errorf("recorded run: got ok=%v error=%q, want a failure naming %q", ok, msg, context.Canceled)
	}
	if !f.firstRunsDone() {
		t.Errorf("pending after a failed first sync: got %v, want none", f.sched.pendingFirstRuns())
	}
	if logs := f.log.String(); strings.Contains(logs, "scheduler shutdown") {
		t.Errorf("shutdown logged an error:\n%s", logs)
	}
}

func TestPanickingSourceIsContained(t *testing.T) {
	var fetches atomic.Int64
	panicky := sourceOf(func(context.Context) (*offers.SupplierCatalog, error) {
		panic("decoder bug")
	})
	f := startScheduler(t, map[string]offers.Source{"senpay": panicky, "isipay": countedSource(&fetches)}, time.Hour)
	waitFor(t, "the first syncs", f.firstRunsDone)

	// The syncer turns the panic into a failed sync, logged and recorded.
	if logs := f.log.String(); !strings.Contains(logs, `msg="sync failed" supplier=senpay`) || !strings.Contains(logs, "panic: decoder bug") {
		t.Errorf("log: got\n%s\nwant the panic logged as a failed sync of senpay", logs)
	}
	if _, failed := f.runs(t, "senpay"); failed != 1 {
		t.Errorf("senpay failed runs: got %d, want 1 recorded", failed)
	}
	// The other supplier is not held up.
	if ok, _ := f.runs(t, "isipay"); ok != 1 {
		t.Errorf("isipay runs: got %d ok, want 1", ok)
	}
	// The panicking sync released its supplier: the next one may run.
	ctx := context.Background()
	st, err := f.syncer.Status(ctx, "senpay", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running {
		t.Error("status after the panic: got running=true, want false")
	}
	if _, err := f.syncer.Sync(ctx, "senpay", countedSource(&fetches)); err != nil {
		t.Errorf("sync after the panic: got %v, want success", err)
	}
}
