package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/pricing"
)

// balanceConfig is how the order service watches deposits: the configured
// thresholds and margin, alerts to the operator, crossings counted, and a
// refusal for want of deposit answered by reading the balance again.
func (a *app) balanceConfig(alerts *orders.Alerts) orders.BalanceConfig {
	return orders.BalanceConfig{
		Low:     a.cfg.LowBalance,
		Margin:  a.cfg.BalanceMargin,
		Alerts:  alerts,
		OnLow:   a.metrics.BalanceLow,
		Recheck: a.balanceJobs.runNow,
	}
}

// balanceJobs are the scheduled balance checks by supplier, so that a
// refusal for want of deposit can run one at once. A check already
// running is not doubled (gocron's singleton mode): it is a fresh read.
type balanceJobs struct {
	mu   sync.Mutex
	jobs map[string]gocron.Job
}

func (b *balanceJobs) add(supplier string, j gocron.Job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs == nil {
		b.jobs = map[string]gocron.Job{}
	}
	b.jobs[supplier] = j
}

// runNow reads supplier's balance now; a supplier without a balance
// endpoint has no job, and nothing happens.
func (b *balanceJobs) runNow(supplier string) {
	b.mu.Lock()
	j := b.jobs[supplier]
	b.mu.Unlock()
	if j != nil {
		j.RunNow() // an error means the scheduler is stopping
	}
}

// checkBalance reads supplier's balance with read and records it, or
// records the failure, after which routing stops trusting the last known
// balance (the catalog keeps its estimate: a failed check pays nothing).
func (a *app) checkBalance(ctx context.Context, supplier string, read func(context.Context) (decimal.Decimal, error)) {
	var balance int64
	asked := time.Now()
	amount, err := read(ctx)
	if ctx.Err() != nil {
		return // shutting down
	}
	if err == nil {
		// Whole rupiah, rounded down: never more than there is. A balance
		// no int64 holds is a broken reply, not a fortune.
		balance, err = pricing.Rupiah(amount.Floor())
	}
	if err != nil {
		a.metrics.BalanceCheckFailed(supplier)
		a.log.Warn("balance check failed", "supplier", supplier, "err", err)
		if err := a.orders.RecordBalance(ctx, supplier, 0, err); err != nil && ctx.Err() == nil {
			a.log.Error("record balance", "supplier", supplier, "err", err)
		}
		return
	}
	// Purchases made while the balance was asked may not be in it.
	if err := a.orders.RecordBalanceRead(ctx, supplier, balance, asked); err != nil && ctx.Err() == nil {
		a.log.Error("record balance", "supplier", supplier, "err", err)
	}
}

// parseLowBalance reads SYNCD_LOW_BALANCE: comma-separated thresholds,
// each "supplier=value" (a supplier named in known) or a bare value for every
// supplier whose balance syncd knows; a value is whole rupiah ("2000000")
// or a duration of spend at the last hour's rate ("2h", "90m").
func parseLowBalance(v string, known []string) (map[string]orders.LowBalance, error) {
	out := map[string]orders.LowBalance{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, named := strings.Cut(part, "=")
		if !named {
			name, value = "", part
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if named && !slices.Contains(known, name) {
			return nil, fmt.Errorf("%q: no supplier %q (suppliers: %s)", part, name, strings.Join(known, ", "))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%q: a threshold for %s is already set", part, cmp.Or(name, "every supplier"))
		}
		var l orders.LowBalance
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			if n <= 0 || n > 1_000_000_000_000 {
				return nil, fmt.Errorf("%q: an amount must be from 1 to 1000000000000 rupiah", part)
			}
			l.Amount = n
		} else if d, err := time.ParseDuration(value); err == nil {
			if d < time.Minute || d > 30*24*time.Hour {
				return nil, fmt.Errorf("%q: a duration of spend must be from 1m to 720h", part)
			}
			l.For = d
		} else {
			return nil, fmt.Errorf("%q is neither whole rupiah (2000000) nor a duration of spend (2h)", part)
		}
		out[name] = l
	}
	return out, nil
}

// lowBalanceText is the thresholds for the log.
func lowBalanceText(low map[string]orders.LowBalance) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(low)) {
		parts = append(parts, cmp.Or(name, "*")+"="+low[name].String())
	}
	return strings.Join(parts, ",")
}
