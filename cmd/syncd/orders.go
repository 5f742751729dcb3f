package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/metrics"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

// clients are the enabled suppliers' API clients, nil when disabled. One
// client per supplier serves both its catalog syncs and its orders, so
// the two share one rate limit.
type clients struct {
	senpay *senpay.Client
	isipay *isipay.Client
}

// newClients builds a client for every enabled supplier. m, when set,
// learns each retried read and each wait for the rate limit.
func newClients(c Config, m *metrics.Metrics) clients {
	retried := func(supplier string) func(op string, err error) {
		if m == nil {
			return nil
		}
		return func(string, error) { m.Retry(supplier) }
	}
	waited := func(supplier string) func(op string, d time.Duration) {
		if m == nil {
			return nil
		}
		return func(_ string, d time.Duration) { m.RateLimitWait(supplier, d) }
	}
	var cl clients
	if c.SenpayEnabled() {
		cl.senpay = senpay.New(senpay.Config{
			BaseURL: c.SenpayBaseURL, APIKey: c.SenpayAPIKey, SecretKey: c.SenpaySecretKey,
			RatePerSecond: c.SenpayRateLimit, OnRetry: retried("senpay"), OnWait: waited("senpay"),
		})
	}
	if c.IsipayEnabled() {
		cl.isipay = isipay.New(isipay.Config{
			BaseURL: c.IsipayBaseURL, APIToken: c.IsipayAPIToken,
			RatePerSecond: c.IsipayRateLimit, OnRetry: retried("isipay"), OnWait: waited("isipay"),
		})
	}
	return cl
}

// sources are the clients as catalog sources, by supplier.
func (cl clients) sources() map[string]catalog.Source {
	out := map[string]catalog.Source{}
	if cl.senpay != nil {
		out["senpay"] = cl.senpay
	}
	if cl.isipay != nil {
		out["isipay"] = cl.isipay
	}
	return out
}

// suppliers are the clients as the order router's suppliers.
func (cl clients) suppliers() map[string]orders.Supplier {
	out := map[string]orders.Supplier{}
	if cl.senpay != nil {
		out["senpay"] = cl.senpay
	}
	if cl.isipay != nil {
		out["isipay"] = cl.isipay
	}
	return out
}

// sources builds a catalog source for every enabled supplier.
func sources(c Config, m *metrics.Metrics) map[string]catalog.Source {
	return newClients(c, m).sources()
}

// orderConfig is the order router's configuration.
func orderConfig(c Config, cl clients, m *metrics.Metrics) orders.Config {
	return orders.Config{
		Suppliers:        cl.suppliers(),
		RerouteWindow:    c.OrderRerouteWindow,
		ReconcileTimeout: c.OrderReconcileTimeout,
		StuckAfter:       c.OrderStuckAfter,
		PollBase:         c.OrderPollInterval,
		Breaker:          orders.BreakerConfig{Failures: c.BreakerFailures, Cooldown: c.BreakerCooldown},
		Observe:          m.OrderEvent,
	}
}

// scheduleOrders adds the order jobs to the scheduler: the check of due
// attempts every poll interval, and Isipay's balance every balance
// interval; both first at start.
func (a *app) scheduleOrders(isi *isipay.Client) error {
	if _, err := a.sched.every("order poll", a.cfg.OrderPollInterval, a.pollOrders); err != nil {
		return err
	}
	if isi == nil {
		return nil
	}
	job, err := a.sched.every("balance "+isipay.Supplier, a.cfg.BalanceInterval, func(ctx context.Context) {
		a.checkBalance(ctx, isi)
	})
	if err != nil {
		return err
	}
	a.balanceJobs.add(isipay.Supplier, job)
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
