package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/offers"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if len(cfg.Suppliers()) == 0 {
		log.Warn(noSupplier(cfg))
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.serve(ctx, func(at listening) {
		fmt.Fprintf(stdout, "syncd: listening on http://%s\n", at.API)
		fmt.Fprintf(stdout, "syncd: console on http://%s/console/ (sign in with a merchandiser or admin token)\n", at.API)
		if at.Metrics != "" {
			fmt.Fprintf(stdout, "syncd: metrics on http://%s/metrics\n", at.Metrics)
		}
	})
}

// noSupplier says that no supplier is enabled and what would enable each.
func noSupplier(c Config) string {
	ways := make([]string, len(c.Registered))
	for i, d := range c.Registered {
		ways[i] = d.EnabledBy()
	}
	return "no supplier enabled: set " + strings.Join(ways, " or ")
}

// runSync syncs every enabled supplier once and prints a summary. It fails
// if any supplier failed, so it can gate a deploy or a cron job.
func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("sync", args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	srcs, err := sources(cfg, nil)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return errors.New(noSupplier(cfg))
	}
	db, err := syncd.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	syncer := offers.NewSyncer(db, log, offers.WithMaxShrink(cfg.MaxShrink), offers.WithCostGuard(costGuard(cfg)))

	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUPPLIER\tRESULT\tSEEN\tADDED\tCHANGED\tREMOVED\tDURATION")
	var failed []string
	for _, n := range names {
		res, err := syncer.Sync(ctx, n, srcs[n])
		result := "ok"
		if err != nil {
			result = "FAILED: " + err.Error()
			failed = append(failed, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", n, result, res.Seen, res.Added, res.Changed, res.Removed,
			res.Duration.Round(time.Millisecond))
	}
	tw.Flush()
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %v", failed)
	}
	return nil
}
