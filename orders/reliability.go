package orders

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
)

// ReliabilityConfig is reliability-weighted routing: among the candidates
// whose cost is within the tolerance of the cheapest that may be tried,
// the order goes to the supplier whose recent orders succeeded more often
// (then faster). Off unless Amount or Percent is set. Only candidates
// that leave the guards' minimum margin at the order's price are ever
// weighed: reliability never routes at a loss.
type ReliabilityConfig struct {
	// Amount is the tolerance in rupiah over the cheapest cost; Percent a
	// share of it, in percent. At most one is set.
	Amount  int64
	Percent decimal.Decimal
	// MinSamples is how many finished attempts in the window each of two
	// suppliers needs before their records are compared, so that one
	// failure does not flip routing.
	MinSamples int
	// Window is how far back the attempts counted go.
	Window time.Duration
	// CacheFor is how long a supplier's figures are reused before they are
	// read again (default 5s): the order path does not query per order.
	CacheFor time.Duration
}

// On reports whether reliability weighs on routing.
func (c ReliabilityConfig) On() bool { return c.Amount > 0 || c.Percent.IsPositive() }

// tolerance is how far above cost another supplier may be and still be
// weighed.
func (c ReliabilityConfig) tolerance(cost int64) decimal.Decimal {
	if c.Amount > 0 {
		return decimal.NewFromInt(c.Amount)
	}
	return decimal.NewFromInt(cost).Mul(c.Percent).Div(decimal.NewFromInt(100))
}

func (c ReliabilityConfig) String() string {
	if c.Amount > 0 {
		return fmt.Sprintf("%d rupiah", c.Amount)
	}
	return c.Percent.String() + "%"
}

// Reliability is a supplier's recent record, as routing weighed it: its
// attempts that finished in the window (succeeded, failed, refused, or
// left with an unknown outcome), how many succeeded, and the median time
// from send to success.
type Reliability struct {
	Samples     int    `json:"samples"`
	Succeeded   int    `json:"succeeded"`
	SuccessRate string `json:"success_rate"` // Succeeded/Samples, 4 decimals
	// MedianMillis is the median time to success; 0 without a success.
	MedianMillis int64 `json:"median_time_to_success_ms"`
}

// rate is the success rate, exact.
func (r Reliability) rate() decimal.Decimal {
	if r.Samples == 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(int64(r.Succeeded)).Div(decimal.NewFromInt(int64(r.Samples)))
}

// better reports whether r is a better record than o: a higher success
// rate, or the same and a shorter median time to success.
func (r Reliability) better(o Reliability) bool {
	if c := r.rate().Cmp(o.rate()); c != 0 {
		return c > 0
	}
	return r.Succeeded > 0 && o.Succeeded > 0 && r.MedianMillis < o.MedianMillis
}

// ReliabilityNote is what reliability-weighted routing made of a routing
// decision, stored in its route event.
type ReliabilityNote struct {
	Tolerance  string `json:"tolerance"`
	Window     string `json:"window"`
	MinSamples int    `json:"min_samples"`
	// Changed is true when the order went to a more reliable supplier
	// than the cheapest that could deliver.
	Changed bool   `json:"changed"`
	Why     string `json:"why"`
}

// reliability reads and briefly keeps the suppliers' records.
type reliability struct {
	mu    sync.Mutex
	cache map[string]cachedReliability // by supplier
}

type cachedReliability struct {
	at time.Time
	r  Reliability
}

// reliabilityOf returns supplier's record as of now, from the cache when fresh.
func (s *Service) reliabilityOf(ctx context.Context, supplier string, now time.Time) (Reliability, error) {
	cfg := s.cfg.Reliability
	s.rel.mu.Lock()
	c, ok := s.rel.cache[supplier]
	s.rel.mu.Unlock()
	if ok && now.Sub(c.at) < cfg.CacheFor && !now.Before(c.at) {
		return c.r, nil
	}
	r, err := readReliability(ctx, s.r(), supplier, now.Add(-cfg.Window))
	if err != nil {
		return Reliability{}, err
	}
	s.rel.mu.Lock()
	if s.rel.cache == nil {
		s.rel.cache = map[string]cachedReliability{}
	}
	s.rel.cache[supplier] = cachedReliability{at: now, r: r}
	s.rel.mu.Unlock()
	return r, nil
}

// preferReliable weighs the candidates that may be tried (the pick at
// index at, and the spares after it) by their suppliers' records, and
// returns the candidate to try: the pick, or a spare within the tolerance
// of its cost whose supplier's record is better. Decisions gain the
// figures and the verdicts move with the choice. Spares passed every
// check the pick did (the guards' floor at the order's price, the
// balance), so a switch never routes at a loss; a spare's circuit is
// asked before it is chosen.
func (s *Service) preferReliable(ctx context.Context, out []Decision, cands []catalog.Candidate, at int,
	now time.Time) (int, *ReliabilityNote, error) {
	cfg := s.cfg.Reliability
	note := &ReliabilityNote{Tolerance: cfg.String(), Window: cfg.Window.String(), MinSamples: cfg.MinSamples}
	pick := &cands[at]
	tol := cfg.tolerance(pick.Cost)
	var within []int
	for i := at + 1; i < len(out); i++ {
		if out[i].Verdict != "spare" || out[i].Supplier == pick.Supplier {
			continue
		}
		if decimal.NewFromInt(cands[i].Cost - pick.Cost).GreaterThan(tol) {
			continue
		}
		within = append(within, i)
	}
	if len(within) == 0 {
		note.Why = fmt.Sprintf("no other supplier's cost is within %s of %s's %d", note.Tolerance, pick.Supplier, pick.Cost)
		return at, note, nil
	}
	figures := map[string]Reliability{}
	for _, i := range append([]int{at}, within...) {
		sup := out[i].Supplier
		r, ok := figures[sup]
		if !ok {
			var err error
			if r, err = s.reliabilityOf(ctx, sup, now); err != nil {
				return at, nil, err
			}
			figures[sup] = r
		}
		out[i].Reliability = &r
	}
	mine := figures[pick.Supplier]
	if mine.Samples < cfg.MinSamples {
		note.Why = fmt.Sprintf("%s has %d finished attempts in the last %s, fewer than the %d needed to judge it: cheapest first",
			pick.Supplier, mine.Samples, note.Window, cfg.MinSamples)
		return at, note, nil
	}
	best := at
	for _, i := range within {
		r := figures[out[i].Supplier]
		if r.Samples >= cfg.MinSamples && r.better(figures[out[best].Supplier]) {
			best = i
		}
	}
	if best == at {
		note.Why = fmt.Sprintf("%s (%s succeeded of %d) is as reliable as any supplier within %s of its cost: cheapest first",
			pick.Supplier, mine.SuccessRate, mine.Samples, note.Tolerance)
		if few := slices.IndexFunc(within, func(i int) bool { return figures[out[i].Supplier].Samples < cfg.MinSamples }); few >= 0 {
			note.Why += fmt.Sprintf("; %s has too few finished attempts to judge", out[within[few]].Supplier)
		}
		return at, note, nil
	}
	if g, why := s.breakers.admit(out[best].Supplier, now); g != gatePass {
		note.Why = fmt.Sprintf("%s is more reliable but its circuit is not closed (%s): cheapest first", out[best].Supplier, why)
		return at, note, nil
	}
	theirs := figures[out[best].Supplier]
	note.Changed = true
	note.Why = fmt.Sprintf("%s succeeded %s of %d recent attempts against %s's %s of %d, at %d more than %s's cost (tolerance %s)",
		out[best].Supplier, theirs.SuccessRate, theirs.Samples, pick.Supplier, mine.SuccessRate, mine.Samples,
		cands[best].Cost-pick.Cost, pick.Supplier, note.Tolerance)
	out[at].Verdict, out[at].Why = "spare", "cheapest, but "+out[best].Supplier+" is more reliable"
	out[best].Verdict, out[best].Why = "tried", "more reliable, within "+note.Tolerance+" of the cheapest"
	return best, note, nil
}
