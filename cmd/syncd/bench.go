package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/gcfloor"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
)

// runBench measures the catalog sync the way BENCHMARKS.md reports it: a
// generated catalog per registered supplier with a simulator, served by
// the simulators (in a child process) over loopback HTTP, synced into a file database, against the SQLite floor
// measured in the same run; then the merged catalog and, with -http, the
// storefront reads.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	groups := fs.Int("groups", 500, "games (providers, products) per supplier")
	per := fs.Int("per", 100, "offers per game")
	changed := fs.Float64("changed", 0.01, "share of costs changed before the re-sync")
	firstProfile := fs.String("firstprofile", "", "write a CPU profile of the first full sync to this file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the re-sync to this file")
	syncOnly := fs.Bool("synconly", false, "measure the syncs and the SQLite floor only (no catalog, rules or -http)")
	refreshProfile := fs.String("refreshprofile", "", "write a CPU profile of the catalog refreshes to this file")
	httpFor := fs.Duration("http", 0, "also load GET /v1/games/{game} and GET /v1/catalog for this long per run (0: skip)")
	conc := fs.Int("conc", 64, "concurrent connections for -http")
	httpProfile := fs.String("httpprofile", "", "write a CPU profile of the -http runs to this file")
	withRules := fs.Bool("rules", true, "also measure margin rules: full reprice, a one-game rule edit, a global preview")
	pgURL := fs.String("pg", "", "also time the first sync into PostgreSQL at this URL (postgres://…), in a schema of its own dropped after")
	pgProfile := fs.String("pgprofile", "", "write a CPU profile of the first sync into PostgreSQL to this file")
	gcFloor := fs.String("gc-floor", "64MiB", "SYNCD_GC_FLOOR as serve has it: heap size below which the garbage collector does not run (0: Go's default)")
	memProfile := fs.String("memprofile", "", "write a heap profile at the end of each phase to PREFIX-NN-phase.pb.gz, and one of its largest live heap to PREFIX-NN-phase-peak.pb.gz")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	heapFloor, err := gcfloor.ParseSize(*gcFloor)
	if err != nil {
		return fmt.Errorf("-gc-floor: %w", err)
	}
	defer startGCFloor(heapFloor, log)()

	sims, err := startSimsProcess(*groups, *per)
	if err != nil {
		return err
	}
	defer sims.stop()

	dir, err := os.MkdirTemp("", "syncd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := syncd.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	syncer := offers.NewSyncer(db, log)
	// No client-side rate limit (the simulators' settings ask for none):
	// the point is syncd's own cost, and the simulators on loopback need
	// no protecting.
	var names []string
	srcs := map[string]offers.Source{}
	for _, d := range benchSims() {
		ad, err := d.Open(sims.values[d.Name], suppliers.Hooks{})
		if err != nil {
			return fmt.Errorf("open %s: %w", d.Name, err)
		}
		names = append(names, d.Name)
		srcs[d.Name] = ad.Source
	}

	stopProfile, err := startProfile(*firstProfile)
	if err != nil {
		return err
	}
	mem := newMemMeter(*memProfile)
	end := mem.phase("first sync")
	full, fullRes, err := syncAll(ctx, syncer, srcs)
	stopProfile()
	if err != nil {
		return fmt.Errorf("first sync: %w", err)
	}
	if err := end(); err != nil {
		return err
	}
	offers := 0
	for _, r := range fullRes {
		offers += r.Seen
	}
	// The same first sync into PostgreSQL, from the same simulators before
	// any cost changes, so the two databases are timed on one catalog in
	// one run (and under one machine load).
	var (
		pgFull time.Duration
		pgDB   *syncd.DB
	)
	if *pgURL != "" {
		stopProfile, err := startProfile(*pgProfile)
		if err != nil {
			return err
		}
		var drop func()
		pgFull, pgDB, drop, err = pgFirstSync(ctx, *pgURL, log, srcs, offers)
		stopProfile()
		if err != nil {
			return err
		}
		defer drop()
	}

	// Change a share of costs at every simulator, spread across the catalog.
	want, err := sims.change(*changed)
	if err != nil {
		return err
	}
	stopProfile, err = startProfile(*cpuprofile)
	if err != nil {
		return err
	}
	mark := time.Now()
	end = mem.phase("re-sync")
	re, reRes, err := syncAll(ctx, syncer, srcs)
	stopProfile()
	if err != nil {
		return fmt.Errorf("re-sync: %w", err)
	}
	if err := end(); err != nil {
		return err
	}
	rssSyncs := mem.peakRSS()
	written := 0
	for _, r := range reRes {
		written += r.Added + r.Changed + r.Removed
	}
	var rowsTouched int
	if err := db.Read.GetContext(ctx, &rowsTouched, `SELECT count(*) FROM offers WHERE updated_at >= ?`, syncd.FormatTime(mark)); err != nil {
		return err
	}
	checkWrites := func() error {
		if written != want || rowsTouched != want {
			return fmt.Errorf("re-sync wrote %d rows (touched %d), want exactly the %d changed", written, rowsTouched, want)
		}
		return nil
	}
	if *syncOnly {
		floor, err := sqliteFloor(ctx, filepath.Join(dir, "floor.db"), offers)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		printSyncs(tw, len(srcs), *groups**per, offers, full, re, floor, want, written, rowsTouched)
		printPostgres(tw, full, pgFull)
		fmt.Fprintf(tw, "peak RSS of syncd after the syncs (simulators in another process)\t%d MB\n", rssSyncs>>20)
		tw.Flush()
		return checkWrites()
	}

	// The merged catalog over the same 100,000 offers: the first refresh
	// links every offer (matching, item rows), later ones only load, choose
	// and encode.
	merged := catalog.NewCatalog(db, log, suppliers.CatalogConfig(catalog.Config{StaleAfter: time.Hour, Suppliers: names}, registered...))
	if *refreshProfile != "" {
		f, err := os.Create(*refreshProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0 := time.Now()
	end = mem.phase("first refresh")
	if _, err := merged.Refresh(ctx); err != nil {
		return fmt.Errorf("first catalog refresh: %w", err)
	}
	firstRefresh := time.Since(t0)
	if err := end(); err != nil {
		return err
	}
	t0 = time.Now()
	end = mem.phase("refresh")
	snap, err := merged.Refresh(ctx)
	if err != nil {
		return fmt.Errorf("catalog refresh: %w", err)
	}
	// Counted now, not held: a snapshot kept past the next refresh would
	// be counted in every later phase's memory.
	items, games := snap.ItemCount(), len(snap.GameList())
	snap = nil
	refresh := time.Since(t0)
	pprof.StopCPUProfile()
	if err := end(); err != nil {
		return err
	}
	rssCatalog := mem.peakRSS()
	var rulesOut strings.Builder
	if *withRules {
		if err := benchRules(ctx, &rulesOut, merged, mem); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
	}

	end = mem.phase("SQLite floor")
	floor, err := sqliteFloor(ctx, filepath.Join(dir, "floor.db"), offers)
	if err != nil {
		return err
	}
	if err := end(); err != nil {
		return err
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	printSyncs(tw, len(srcs), *groups**per, offers, full, re, floor, want, written, rowsTouched)
	printPostgres(tw, full, pgFull)
	fmt.Fprintf(tw, "catalog: first refresh (match and link %d offers, choose, encode)\t%s\t(%d items, %d games)\n", offers, firstRefresh.Round(time.Millisecond), items, games)
	fmt.Fprintf(tw, "catalog: refresh (load, choose, encode)\t%s\n", refresh.Round(time.Millisecond))
	fmt.Fprintf(tw, "catalog: peak Go heap during first refresh / refresh\t%d MB / %d MB\t(objects, live and not yet collected)\n", mem.heapOf("first refresh")>>20, mem.heapOf("refresh")>>20)
	fmt.Fprintf(tw, "peak RSS of syncd after the syncs (simulators in another process)\t%d MB\n", rssSyncs>>20)
	fmt.Fprintf(tw, "peak RSS after the catalog refreshes\t%d MB\n", rssCatalog>>20)
	fmt.Fprintf(tw, "peak RSS at the end\t%d MB\n", mem.peakRSS()>>20)
	tw.Flush()
	fmt.Fprint(stdout, rulesOut.String())
	mem.write(stdout)
	if *httpFor > 0 {
		if *httpProfile != "" {
			f, err := os.Create(*httpProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if err := benchHTTP(ctx, stdout, db, log, merged, *conc, *httpFor); err != nil {
			return err
		}
		if pgDB != nil {
			// The same reads over a catalog built from PostgreSQL: they are
			// served from the in-memory snapshot and should not differ.
			pgCat := catalog.NewCatalog(pgDB, log, suppliers.CatalogConfig(catalog.Config{StaleAfter: time.Hour, Suppliers: names}, registered...))
			defer pgCat.Close()
			if _, err := pgCat.Refresh(ctx); err != nil {
				return fmt.Errorf("catalog refresh on PostgreSQL: %w", err)
			}
			fmt.Fprintln(stdout, "storefront reads, catalog built from PostgreSQL:")
			if err := benchHTTP(ctx, stdout, pgDB, log, pgCat, *conc, *httpFor); err != nil {
				return err
			}
		}
	}
	return checkWrites()
}

// printSyncs writes the sync rows of the report.
func printSyncs(tw io.Writer, sources, per, offers int, full, re, floor time.Duration, want, written, rowsTouched int) {
	fmt.Fprintf(tw, "catalog\t%d suppliers x %d offers (%d in all), loopback HTTP, file database\n", sources, per, offers)
	fmt.Fprintf(tw, "first full sync of all\t%s\n", full.Round(time.Millisecond))
	fmt.Fprintf(tw, "re-sync, %d costs changed\t%s\t(rows written %d, offer rows touched %d)\n", want, re.Round(time.Millisecond), written, rowsTouched)
	fmt.Fprintf(tw, "SQLite floor: %d prepared upserts, one tx\t%s\n", offers, floor.Round(time.Millisecond))
	fmt.Fprintf(tw, "first sync / floor\t%.2fx\n", float64(full)/float64(floor))
	fmt.Fprintf(tw, "re-sync / floor\t%.2fx\n", float64(re)/float64(floor))
}

// startProfile starts a CPU profile into path (none if path is empty);
// stop ends it and closes the file.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// syncAll syncs every source at once, as the scheduler does.
func syncAll(ctx context.Context, syncer *offers.Syncer, srcs map[string]offers.Source) (time.Duration, map[string]offers.SyncResult, error) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		res  = map[string]offers.SyncResult{}
		errs []error
	)
	start := time.Now()
	for name, src := range srcs {
		wg.Go(func() {
			r, err := syncer.Sync(ctx, name, src)
			mu.Lock()
			defer mu.Unlock()
			res[name] = r
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return 0, nil, errs[0]
	}
	return time.Since(start), res, nil
}

// sqliteFloor times the least a sync could do: n prepared upserts into the
// offers table in one transaction, nothing fetched, nothing compared.
func sqliteFloor(ctx context.Context, path string, n int) (time.Duration, error) {
	db, err := syncd.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	const q = `INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, process_duration, first_seen, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, '', ?, ?)
		ON CONFLICT (supplier, code) DO UPDATE SET cost = excluded.cost, updated_at = excluded.updated_at`
	start := time.Now()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return 0, err
	}
	now := syncd.FormatTime(start)
	for i := range n {
		code := fmt.Sprintf("GAME%d_ITEM_%d", i/100, i)
		if _, err := stmt.ExecContext(ctx, "floor", code, "GAME", "86 Diamonds", 1000+i, "1000", now, now); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
