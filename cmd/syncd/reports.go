package main

import (
	"context"
	"time"
)

// reportFoldInterval is how often orders that ended are folded into the
// report roll-up. Reports are exact without it; it keeps them fast (the
// orders not folded yet are read one by one).
const reportFoldInterval = time.Minute

// scheduleReports adds the roll-up's fold to the scheduler, first at start
// (a database from before reports folds its history then, in chunks).
func (a *app) scheduleReports() error {
	_, err := a.sched.every("report roll-up", reportFoldInterval, a.foldReports)
	return err
}

func (a *app) foldReports(ctx context.Context) {
	start := time.Now()
	n, err := a.reports.Fold(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("report roll-up failed", "folded", n, "err", err)
	case n > 0:
		a.log.Debug("report roll-up", "orders", n, "duration", time.Since(start))
	}
}
