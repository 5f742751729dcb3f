package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncd/syncd/metrics"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// openSuppliers opens an adapter for every enabled supplier, by name.
// One client per supplier serves its catalog syncs, its orders and its
// balance, so they share one rate limit. m, when set, learns each
// retried read and each wait for the rate limit.
func openSuppliers(c Config, m *metrics.Metrics) (map[string]*suppliers.Adapter, error) {
	out := map[string]*suppliers.Adapter{}
	for _, d := range c.enabled() {
		var h suppliers.Hooks
		if m != nil {
			name := d.Name
			h.OnRetry = func(string, error) { m.Retry(name) }
			h.OnWait = func(_ string, waited time.Duration) { m.RateLimitWait(name, waited) }
		}
		ad, err := d.Open(c.Supplier[d.Name], h)
		if err != nil {
			return nil, fmt.Errorf("open supplier %s: %w", d.Name, err)
		}
		out[d.Name] = ad
	}
	return out, nil
}

// sources builds a catalog source for every enabled supplier.
func sources(c Config, m *metrics.Metrics) (map[string]offers.Source, error) {
	adapters, err := openSuppliers(c, m)
	if err != nil {
		return nil, err
	}
	out := make(map[string]offers.Source, len(adapters))
	for name, ad := range adapters {
		out[name] = ad.Source
	}
	return out, nil
}

// orderConfig is the order router's configuration.
func orderConfig(c Config, adapters map[string]*suppliers.Adapter, m *metrics.Metrics) orders.Config {
	ordering := make(map[string]orders.Supplier, len(adapters))
	for name, ad := range adapters {
		ordering[name] = ad.Orders
	}
	return orders.Config{
		Suppliers:        ordering,
		RerouteWindow:    c.OrderRerouteWindow,
		ReconcileTimeout: c.OrderReconcileTimeout,
		StuckAfter:       c.OrderStuckAfter,
		PollBase:         c.OrderPollInterval,
		Breaker:          orders.BreakerConfig{Failures: c.BreakerFailures, Cooldown: c.BreakerCooldown},
		Reliability:      c.RouteReliability,
		Observe:          m.OrderEvent,
	}
}

// scheduleOrders adds the order jobs to the scheduler: the check of due
// attempts every poll interval, and the balance of every supplier that
// reports one every balance interval; all first at start.
func (a *app) scheduleOrders(adapters map[string]*suppliers.Adapter) error {
	if _, err := a.sched.every("order poll", a.cfg.OrderPollInterval, a.pollOrders); err != nil {
		return err
	}
	for _, name := range a.cfg.Suppliers() {
		read := adapters[name].Balance
		if read == nil {
			continue
		}
		job, err := a.sched.every("balance "+name, a.cfg.BalanceInterval, func(ctx context.Context) {
			a.checkBalance(ctx, name, read)
		})
		if err != nil {
			return err
		}
		a.balanceJobs.add(name, job)
	}
	return nil
}

// pollOrders checks the attempts that are due.
func (a *app) pollOrders(ctx context.Context) {
	// Not gocron's context, which shutdown cancels: a check in flight
	// finishes its supplier call and stores the answer. orders.Close
	// stops Poll between checks instead.
	n, err := a.orders.Poll(context.WithoutCancel(ctx))
	if err != nil {
		a.log.Error("order poll failed", "checked", n, "err", err)
		return
	}
	if n > 0 {
		a.log.Debug("orders polled", "checked", n)
	}
}

// orderGauges reads the order gauges at scrape time: orders by status
// (the orders_status index), known balances, and the notification outbox.
func orderGauges(svc *orders.Service, n *orders.Notifier, log *slog.Logger) func() (metrics.OrderState, bool) {
	return func() (metrics.OrderState, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		counts, err := svc.Counts(ctx)
		if err != nil {
			log.Warn("order metrics not read", "err", err)
			return metrics.OrderState{}, false
		}
		balances, err := svc.Balances(ctx)
		if err != nil {
			log.Warn("order metrics not read", "err", err)
			return metrics.OrderState{}, false
		}
		pending, failed, err := n.Stats(ctx)
		if err != nil {
			log.Warn("order metrics not read", "err", err)
			return metrics.OrderState{}, false
		}
		st := metrics.OrderState{Statuses: map[string]int{}, Balances: map[string]int64{},
			LowBalances: map[string]bool{}, Thresholds: map[string]int64{}, NotifyPending: pending, NotifyFailed: failed}
		for status, c := range counts {
			st.Statuses[string(status)] = c
		}
		for _, b := range balances {
			if b.Balance != nil {
				st.Balances[b.Supplier] = *b.Balance
				st.LowBalances[b.Supplier] = b.Low != nil
			}
			if b.Threshold != nil {
				st.Thresholds[b.Supplier] = *b.Threshold
			}
		}
		return st, true
	}
}
