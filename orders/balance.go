package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// ErrInsufficientBalance: the supplier refused a purchase because the
// reseller's deposit cannot pay it. Adapters wrap it beside ErrNotTaken;
// routing then lowers the estimate below the cost and asks for the
// balance to be read again (BalanceConfig.Recheck).
var ErrInsufficientBalance = errors.New("supplier balance cannot pay")

// BalanceConfig is how the service watches its suppliers' deposits. The
// estimate (supplier_balances.balance) is the last balance read, less what
// was bought since, plus what failed purchases refunded; every change is
// passed to the catalog, which stops pricing items from offers the deposit
// cannot pay.
type BalanceConfig struct {
	// Low are the low-balance thresholds by supplier; the "" entry is
	// every other supplier whose balance syncd knows. None: no warnings.
	Low map[string]LowBalance
	// Margin ends a warning: the estimate must be back above the threshold
	// it crossed plus Margin, so a balance hovering at the threshold warns
	// once.
	Margin int64
	// Recheck, when set, asks for supplier's balance to be read again now:
	// it refused a purchase for want of deposit. It must not block.
	Recheck func(supplier string)
	// Alerts, when set, tells the operator of every crossing.
	Alerts *Alerts
	// OnLow, when set, learns every crossing (for metrics): low true when
	// the estimate fell below the threshold, false when it came back.
	OnLow func(supplier string, low bool)
}

// LowBalance is a low-balance threshold: a fixed amount, or enough for a
// while at the rate of spend of the last hour.
type LowBalance struct {
	Amount int64         // rupiah; used when For is zero
	For    time.Duration // the balance should last this long at the last hour's rate
}

// String is the threshold as configured: "500000" or "2h0m0s of spend".
func (l LowBalance) String() string {
	if l.For > 0 {
		return l.For.String() + " of spend"
	}
	return strconv.FormatInt(l.Amount, 10)
}

// spendWindow is what "the rate of spend" is measured over.
const spendWindow = time.Hour

// LowWarning is a low-balance warning in force.
type LowWarning struct {
	Since     time.Time `json:"since"`
	Threshold int64     `json:"threshold"` // the threshold the estimate fell below
}

// RecordBalanceRead stores a balance read from supplier, asked at asked:
// the estimate becomes the read less what was bought since it was asked
// (those purchases lowered the estimate the read replaces; the supplier
// may not have counted them yet). A zero asked subtracts nothing.
func (s *Service) RecordBalanceRead(ctx context.Context, supplier string, read int64, asked time.Time) error {
	now := syncd.FormatTime(s.cfg.Now())
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Another instance's purchase must not land between counting
		// what was spent and writing the estimate, or the write would
		// undo its spend: its booking (spendBalance) waits on this row.
		if err := lockBalance(ctx, tx, supplier); err != nil {
			return err
		}
		var spent int64
		if !asked.IsZero() {
			var err error
			if spent, err = spentSince(ctx, tx, supplier, asked); err != nil {
				return fmt.Errorf("spent at %s since %s: %w", supplier, asked, err)
			}
		}
		return storeBalanceRead(ctx, tx, supplier, read-spent, read, now)
	})
	if err != nil {
		return err
	}
	s.balanceMoved(supplier)
	return nil
}

// balanceMoved schedules supplier's estimate to be passed on to the
// catalog and judged against its threshold, in the background: an order
// does not wait for a reprice. Moves that arrive meanwhile are passed on
// together.
func (s *Service) balanceMoved(supplier string) {
	q := &s.balanceQueue
	q.mu.Lock()
	if q.dirty == nil {
		q.dirty = map[string]bool{}
	}
	q.dirty[supplier] = true
	if q.running || !s.begin() {
		q.mu.Unlock()
		return
	}
	q.running = true
	q.mu.Unlock()
	go func() {
		defer s.work.Done()
		for {
			q.mu.Lock()
			dirty := q.dirty
			q.dirty = nil
			if len(dirty) == 0 {
				q.running = false
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			for sup := range dirty {
				if err := s.passBalance(context.Background(), sup); err != nil {
					s.log.Error("balance change not applied", "supplier", sup, "err", err)
				}
			}
		}
	}()
}

// balanceQueue gathers the suppliers whose estimate moved.
type balanceQueue struct {
	mu      sync.Mutex
	dirty   map[string]bool
	running bool
}

// SyncBalances passes every stored estimate to the catalog and judges it
// against its threshold now: at start, before orders are taken, and in
// tests.
func (s *Service) SyncBalances(ctx context.Context) error {
	suppliers, err := balanceSuppliers(ctx, s.db.Read)
	if err != nil {
		return err
	}
	var errs []error
	for _, sup := range suppliers {
		errs = append(errs, s.passBalance(ctx, sup))
	}
	return errors.Join(errs...)
}

// passBalance reads supplier's estimate, gives it to the catalog and
// judges it against the supplier's low-balance threshold.
func (s *Service) passBalance(ctx context.Context, supplier string) error {
	row, ok, err := getEstimate(ctx, s.r(), supplier)
	if err != nil || !ok {
		return err // never read: unknown, which the catalog never takes for empty
	}
	if s.cat != nil {
		if err := s.cat.SetBalance(ctx, supplier, catalog.SupplierBalance{Known: row.Balance.Valid, Estimate: row.Balance.Int64}); err != nil {
			return err
		}
	}
	if !row.Balance.Valid {
		return nil
	}
	return s.judgeLow(ctx, supplier, row)
}

// judgeLow starts a low-balance warning when the estimate falls below
// the supplier's threshold, and ends it when the estimate is back above
// the threshold it crossed plus the margin. Each crossing is recorded,
// logged and alerted once: the row's low_since decides, in the same
// transaction as the alert.
func (s *Service) judgeLow(ctx context.Context, supplier string, row estimateRow) error {
	est := row.Balance.Int64
	if row.LowSince.Valid {
		if est < row.LowThreshold.Int64+s.cfg.Balance.Margin {
			return nil
		}
		return s.crossed(ctx, supplier, false, est, row.LowThreshold.Int64)
	}
	rule, ok := s.lowRule(supplier)
	if !ok {
		return nil
	}
	threshold, err := s.threshold(ctx, supplier, rule)
	if err != nil || threshold <= 0 || est >= threshold {
		return err
	}
	return s.crossed(ctx, supplier, true, est, threshold)
}

// lowRule is supplier's configured threshold, if any.
func (s *Service) lowRule(supplier string) (LowBalance, bool) {
	if l, ok := s.cfg.Balance.Low[supplier]; ok {
		return l, true
	}
	l, ok := s.cfg.Balance.Low[""]
	return l, ok
}

// threshold is a rule's amount now. A rate is read at most every half
// minute per supplier: it moves slowly, and estimates move with every
// purchase.
func (s *Service) threshold(ctx context.Context, supplier string, rule LowBalance) (int64, error) {
	if rule.For <= 0 {
		return rule.Amount, nil
	}
	now := s.cfg.Now()
	s.spendMu.Lock()
	defer s.spendMu.Unlock()
	if r, ok := s.spendRates[supplier]; ok && now.Sub(r.at) < 30*time.Second {
		return r.per(rule.For), nil
	}
	spent, err := spentSince(ctx, s.db.Read, supplier, now.Add(-spendWindow))
	if err != nil {
		return 0, fmt.Errorf("spend of %s: %w", supplier, err)
	}
	if s.spendRates == nil {
		s.spendRates = map[string]spendRate{}
	}
	r := spendRate{spent: spent, at: now}
	s.spendRates[supplier] = r
	return r.per(rule.For), nil
}

// spendRate is what a supplier was sent over the last spendWindow.
type spendRate struct {
	spent int64
	at    time.Time
}

// per is the spend over d at this rate, rounded up to whole rupiah.
func (r spendRate) per(d time.Duration) int64 {
	v := decimal.NewFromInt(r.spent).Mul(decimal.NewFromInt(int64(d))).DivRound(decimal.NewFromInt(int64(spendWindow)), 2).Ceil()
	if !v.IsInteger() || v.GreaterThan(decimal.NewFromInt(1<<53)) {
		return 1 << 53
	}
	return v.IntPart()
}

// crossed records a crossing of the threshold, once: the update only
// matches a row on the other side that still holds the estimate est, so a
// second judge of the same estimate, or a late judge of an older one,
// finds nothing to do.
func (s *Service) crossed(ctx context.Context, supplier string, low bool, est, threshold int64) error {
	now := s.cfg.Now()
	event := "supplier.balance_ok"
	if low {
		event = "supplier.balance_low"
	}
	rule, _ := s.lowRule(supplier)
	body, err := json.Marshal(BalanceAlert{Event: event, Supplier: supplier, Balance: est, Threshold: threshold,
		Rule: rule.String(), At: now.UTC()})
	if err != nil {
		return err
	}
	done := false
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		changed, err := markLow(ctx, tx, supplier, low, now, threshold, est)
		if err != nil || !changed {
			return err
		}
		done = true
		return s.cfg.Balance.Alerts.Enqueue(ctx, tx, event, body)
	})
	if err != nil || !done {
		return err
	}
	if low {
		s.log.Warn("supplier balance low", "supplier", supplier, "balance", est, "threshold", threshold, "rule", rule.String())
	} else {
		s.log.Info("supplier balance recovered", "supplier", supplier, "balance", est, "threshold", threshold)
	}
	s.cfg.Balance.Alerts.Kick()
	if s.cfg.Balance.OnLow != nil {
		s.cfg.Balance.OnLow(supplier, low)
	}
	return nil
}

// BalanceAlert is the body of an operator alert about a supplier's
// balance (X-Syncd-Event supplier.balance_low or supplier.balance_ok).
type BalanceAlert struct {
	Event     string    `json:"event"`
	Supplier  string    `json:"supplier"`
	Balance   int64     `json:"balance"`   // the estimate when it crossed
	Threshold int64     `json:"threshold"` // the threshold it crossed
	Rule      string    `json:"rule"`      // the threshold as configured: "500000" or "2h0m0s of spend"
	At        time.Time `json:"at"`
}

// Threshold is supplier's low-balance threshold now and its rule; false
// when none is configured.
func (s *Service) Threshold(ctx context.Context, supplier string) (int64, LowBalance, bool, error) {
	rule, ok := s.lowRule(supplier)
	if !ok {
		return 0, LowBalance{}, false, nil
	}
	th, err := s.threshold(ctx, supplier, rule)
	return th, rule, true, err
}
