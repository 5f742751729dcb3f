package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/syncd/syncd/offers"
)

// scheduler runs one gocron job per supplier: first at start, then every
// interval, never two at once for one supplier.
type scheduler struct {
	log    *slog.Logger
	cron   gocron.Scheduler
	jobs   map[string]gocron.Job
	syncer *offers.Syncer

	// afterSync, when set, runs after every sync attempt with its result.
	afterSync func(ctx context.Context, res offers.SyncResult)

	mu      sync.Mutex
	pending map[string]bool // suppliers whose first sync has not finished
}

func newScheduler(log *slog.Logger, syncer *offers.Syncer, srcs map[string]offers.Source, interval time.Duration, opts ...gocron.SchedulerOption) (*scheduler, error) {
	cron, err := gocron.NewScheduler(append([]gocron.SchedulerOption{gocron.WithStopTimeout(20 * time.Second)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s := &scheduler{log: log, cron: cron, jobs: map[string]gocron.Job{}, syncer: syncer, pending: map[string]bool{}}
	for name, src := range srcs {
		job, err := cron.NewJob(
			gocron.DurationJob(interval),
			// A closure, not NewTask's parameters: gocron checks those by
			// reflection and refuses any Source that is not a struct or a
			// pointer to one (a func adapter, say) as the wrong type.
			gocron.NewTask(func(ctx context.Context) { s.syncTask(ctx, name, src) }),
			gocron.WithName("sync "+name),
			gocron.WithStartAt(gocron.WithStartImmediately()),
			// A slow sync must not pile up runs behind it.
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
		)
		if err != nil {
			return nil, fmt.Errorf("schedule sync of %s: %w", name, err)
		}
		s.jobs[name] = job
		s.pending[name] = true
	}
	return s, nil
}

// syncTask is one scheduled sync. gocron passes a context it cancels on
// shutdown; a cancelled sync rolls back and is recorded as failed.
func (s *scheduler) syncTask(ctx context.Context, name string, src offers.Source) {
	defer s.firstRunDone(name)
	defer func() {
		// A panicking job would kill the process: log it and carry on.
		if v := recover(); v != nil {
			s.log.Error("sync panicked", "supplier", name, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	res, err := s.syncer.Sync(ctx, name, src)
	if errors.Is(err, offers.ErrSyncRunning) {
		// Another sync of this supplier holds it (one started outside the
		// scheduler): nothing was attempted, nothing changed.
		s.log.Warn("sync skipped", "supplier", name, "err", err)
		return
	}
	if s.afterSync != nil {
		s.afterSync(ctx, res)
	}
	if err != nil {
		s.log.Error("sync failed", "supplier", name, "duration", res.Duration, "err", err)
		return
	}
	s.log.Info("sync done", "supplier", name, "duration", res.Duration,
		"seen", res.Seen, "added", res.Added, "changed", res.Changed, "removed", res.Removed)
}

func (s *scheduler) firstRunDone(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, name)
}

func (s *scheduler) pendingFirstRuns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.pending {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// every adds a job that runs task first at start, then every interval,
// never two runs at once. It is for work beside the syncs (order polls,
// balance checks): it has no first run readiness waits for.
func (s *scheduler) every(name string, interval time.Duration, task func(ctx context.Context)) (gocron.Job, error) {
	job, err := s.cron.NewJob(
		gocron.DurationJob(interval),
		gocron.NewTask(func(ctx context.Context) {
			defer func() {
				if v := recover(); v != nil {
					s.log.Error("job panicked", "job", name, "panic", v, "stack", string(debug.Stack()))
				}
			}()
			task(ctx)
		}),
		gocron.WithName(name),
		gocron.WithStartAt(gocron.WithStartImmediately()),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
	)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", name, err)
	}
	return job, nil
}

func (s *scheduler) start() { s.cron.Start() }

func (s *scheduler) shutdown() {
	if err := s.cron.Shutdown(); err != nil {
		s.log.Error("scheduler shutdown", "err", err)
	}
}

// syncAll runs every supplier's job now: a new leader syncs at once
// rather than an interval after the last one's runs were skipped.
func (s *scheduler) syncAll() {
	for name, job := range s.jobs {
		if err := job.RunNow(); err != nil {
			s.log.Error("sync on taking the lead", "supplier", name, "err", err)
		}
	}
}

// trigger runs a supplier's job now, outside its schedule.
func (s *scheduler) trigger(name string) error {
	job, ok := s.jobs[name]
	if !ok {
		return fmt.Errorf("no sync job for %s", name)
	}
	return job.RunNow()
}
