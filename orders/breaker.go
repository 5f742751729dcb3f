package orders

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// A circuit breaker per supplier on the order path. A supplier whose order
// endpoint keeps failing (unreachable, 5xx, timeouts, unreadable replies)
// is routed past for new orders for a cool-down, instead of making every
// order wait for its failure; then one order probes it, and an answer
// closes the circuit again.
//
// The breaker only changes where a new routing step looks first. It never
// moves an order away from a supplier that may have it: an unknown
// outcome is reconciled at its supplier whatever the circuit says.
//
// Its state is in this process's memory: a restart closes every circuit,
// and several instances would each keep their own.

// BreakerConfig tunes the order path's circuit breakers.
type BreakerConfig struct {
	// Failures is how many consecutive failures of a supplier's order
	// endpoint open its circuit; 0 turns the breaker off.
	Failures int
	// Cooldown is how long an open circuit routes new orders past its
	// supplier before one order is let through to probe it; also how
	// long a probe may go unanswered before another order may probe.
	Cooldown time.Duration
}

// BreakerState is where a supplier's circuit stands.
type BreakerState string

// The circuit states.
const (
	// BreakerClosed: orders go to the supplier as routing decides.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen: new orders go to another supplier that can deliver;
	// to this one only when none can.
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen: the cool-down is over; one order probes the
	// supplier, the others are routed as when open.
	BreakerHalfOpen BreakerState = "half_open"
)

// BreakerStates lists the states, for metrics.
var BreakerStates = []BreakerState{BreakerClosed, BreakerOpen, BreakerHalfOpen}

// Breaker is one supplier's circuit as operators see it.
type Breaker struct {
	Supplier string       `json:"supplier"`
	State    BreakerState `json:"state"`
	// Since is when the circuit reached its state; nil for a circuit
	// closed since syncd started.
	Since *time.Time `json:"since"`
	// Failures counts the consecutive failures of the supplier's order
	// endpoint; Threshold is how many open the circuit.
	Failures  int `json:"consecutive_failures"`
	Threshold int `json:"failures_to_open"`
	// ProbeAt is when an open circuit lets an order probe the supplier;
	// nil unless open.
	ProbeAt *time.Time `json:"probe_at"`
	// Probe is the supplier reference of the order attempt probing a
	// half-open circuit; "" if none is in flight.
	Probe string `json:"probe"`
	// LastFailure is the last failure of the order endpoint, and when.
	LastFailure   string     `json:"last_failure"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	// Skipped counts the routing steps that went past the supplier since
	// its circuit last opened; Opened how often it opened since start.
	Skipped int64 `json:"skipped"`
	Opened  int64 `json:"opened"`
}

// ErrUnreachable: the purchase never reached the supplier (connection
// refused, no route, a name that does not resolve). An adapter wraps it
// beside ErrNotTaken, so routing may try the next supplier while the
// breaker counts a failure of the supplier's order endpoint.
var ErrUnreachable = errors.New("supplier could not be reached")

// breakerFailure says whether a send's result shows the supplier's order
// endpoint unreachable or broken. Any answer (taken, refused for a
// business reason, refused for credentials or rate) shows it working.
func breakerFailure(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrUnreachable):
		return true
	case errors.Is(err, ErrNotTaken), errors.Is(err, ErrTaken):
		return false
	}
	// An unknown outcome: a timeout, a reset, a 5xx, an unreadable reply.
	return true
}

// breakers are the circuits of every supplier.
type breakers struct {
	cfg     BreakerConfig
	log     *slog.Logger
	observe func(event, supplier, outcome string)

	mu sync.Mutex
	by map[string]*circuit
}

type circuit struct {
	state         BreakerState
	since         time.Time
	failures      int
	lastFailure   string
	lastFailureAt time.Time
	probe         string // the probing attempt's supplier reference
	probeSent     time.Time
	skipped       int64
	opened        int64
}

func newBreakers(cfg BreakerConfig, log *slog.Logger, observe func(event, supplier, outcome string)) *breakers {
	return &breakers{cfg: cfg, log: log, observe: observe, by: map[string]*circuit{}}
}

func (b *breakers) on() bool { return b.cfg.Failures > 0 }

// get returns a supplier's circuit, closed if new; b.mu held.
func (b *breakers) get(supplier string) *circuit {
	c := b.by[supplier]
	if c == nil {
		c = &circuit{state: BreakerClosed}
		b.by[supplier] = c
	}
	return c
}

// gate is what a circuit lets routing do with its supplier now.
type gate int

const (
	gatePass  gate = iota // closed: route as usual
	gateProbe             // half-open and free: this step may probe
	gateSkip              // open, or a probe is in flight: route elsewhere
)

// admit says what the circuit of supplier lets a routing step do at now,
// and why when it is not closed. An open circuit whose cool-down is over
// becomes half-open here. It claims nothing: see probe.
func (b *breakers) admit(supplier string, now time.Time) (gate, string) {
	if !b.on() {
		return gatePass, ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(supplier)
	if c.state == BreakerOpen && !now.Before(c.since.Add(b.cfg.Cooldown)) {
		b.move(supplier, c, BreakerHalfOpen, now, "cool-down over: the next order probes "+supplier)
	}
	switch c.state {
	case BreakerOpen:
		return gateSkip, fmt.Sprintf("%s circuit open since %s, %s; an order probes it from %s",
			supplier, clock(c.since), failures(c.failures), clock(c.since.Add(b.cfg.Cooldown)))
	case BreakerHalfOpen:
		if c.probe != "" && now.Before(c.probeSent.Add(b.cfg.Cooldown)) {
			return gateSkip, fmt.Sprintf("%s circuit half-open since %s: order attempt %s is probing it",
				supplier, clock(c.since), c.probe)
		}
		return gateProbe, fmt.Sprintf("%s circuit half-open since %s, after %s: this order probes it",
			supplier, clock(c.since), failures(c.failures))
	}
	return gatePass, ""
}

// probe records that the attempt ref probes supplier's half-open circuit.
// A probe whose answer never comes (the step's transaction rolled back,
// the send hangs) frees the circuit for another after a cool-down.
func (b *breakers) probe(supplier, ref string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(supplier)
	if c.state != BreakerHalfOpen {
		return
	}
	c.probe, c.probeSent = ref, now
	b.log.Info("order circuit probe", "supplier", supplier, "attempt", ref)
	b.event("breaker_route", supplier, "probe")
}

// skipped counts a routing step that went past supplier for its circuit.
func (b *breakers) skipped(supplier, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(supplier)
	c.skipped++
	if c.skipped == 1 {
		// One line per opening, not one per order: the count is in the
		// metrics, /v1/suppliers and each order's routing.
		b.log.Info("routing orders past supplier", "supplier", supplier, "why", why)
	}
	b.event("breaker_route", supplier, "skipped")
}

// forced counts an order sent to supplier with its circuit open, because
// no other supplier could deliver it.
func (b *breakers) forced(supplier string) {
	b.event("breaker_route", supplier, "only_supplier")
}

// record learns what a send (or a reconciling resend) of attempt ref to
// supplier showed: a purchase the adapter refused to send shows nothing;
// any answer closes the circuit; a failure counts, opens a closed circuit
// at the threshold, and reopens a half-open one.
func (b *breakers) record(supplier, ref string, err error, now time.Time) {
	if !b.on() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.get(supplier)
	if c.probe == ref {
		c.probe = ""
	}
	if errors.Is(err, ErrNotSent) {
		// The supplier was not asked: its circuit stays as it was, and a
		// half-open one is free for the next order to probe.
		return
	}
	if !breakerFailure(err) {
		c.failures = 0
		if c.state != BreakerClosed {
			b.move(supplier, c, BreakerClosed, now, fmt.Sprintf("%s answered order attempt %s", supplier, ref))
		}
		return
	}
	c.failures++
	c.lastFailure, c.lastFailureAt = clipMessage(err), now
	switch {
	case c.state == BreakerClosed && c.failures >= b.cfg.Failures:
		b.move(supplier, c, BreakerOpen, now, fmt.Sprintf("%s in a row, the last: %s", failures(c.failures), c.lastFailure))
	case c.state == BreakerHalfOpen:
		b.move(supplier, c, BreakerOpen, now, fmt.Sprintf("order attempt %s failed while half-open: %s", ref, c.lastFailure))
	}
}

// move changes a circuit's state; b.mu held.
func (b *breakers) move(supplier string, c *circuit, to BreakerState, now time.Time, why string) {
	from := c.state
	c.state, c.since = to, now
	switch to {
	case BreakerOpen:
		c.opened++
		c.probe = ""
		b.log.Warn("order circuit open: new orders go to other suppliers", "supplier", supplier, "from", from,
			"failures", c.failures, "probe_at", now.Add(b.cfg.Cooldown), "why", why)
	case BreakerClosed:
		b.log.Info("order circuit closed", "supplier", supplier, "from", from, "skipped", c.skipped, "why", why)
		c.skipped, c.probe = 0, ""
	default:
		b.log.Info("order circuit half-open", "supplier", supplier, "from", from, "why", why)
	}
	b.event("breaker", supplier, string(to))
}

func (b *breakers) event(event, supplier, outcome string) {
	if b.observe != nil {
		b.observe(event, supplier, outcome)
	}
}

// list reports every known circuit and, closed, every supplier named.
func (b *breakers) list(suppliers []string) []Breaker {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := slices.Clone(suppliers)
	for name := range b.by {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]Breaker, 0, len(names))
	for _, name := range names {
		out = append(out, b.view(name))
	}
	return out
}

// view is one circuit as operators see it; b.mu held.
func (b *breakers) view(supplier string) Breaker {
	v := Breaker{Supplier: supplier, State: BreakerClosed, Threshold: b.cfg.Failures}
	c := b.by[supplier]
	if c == nil {
		return v
	}
	v.State, v.Failures, v.LastFailure, v.Probe, v.Skipped, v.Opened = c.state, c.failures, c.lastFailure, c.probe, c.skipped, c.opened
	if !c.since.IsZero() {
		t := c.since
		v.Since = &t
	}
	if !c.lastFailureAt.IsZero() {
		t := c.lastFailureAt
		v.LastFailureAt = &t
	}
	if c.state == BreakerOpen {
		t := c.since.Add(b.cfg.Cooldown)
		v.ProbeAt = &t
	}
	return v
}

func failures(n int) string {
	if n == 1 {
		return "1 failure"
	}
	return fmt.Sprintf("%d failures", n)
}

// clock is a time of day for routing reasons, in UTC like every stored
// time.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }
