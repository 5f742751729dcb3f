package orders

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// A purchase the adapter refused to send tells the circuit nothing: a
// half-open circuit stays half-open and free for the next order to probe,
// and a closed one keeps its count of failures. A refusal the supplier
// sent is an answer, and closes the circuit.
func TestBreakerIgnoresAPurchaseNeverSent(t *testing.T) {
	cfg := BreakerConfig{Failures: 2, Cooldown: 30 * time.Second}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	unsent := fmt.Errorf("isipay place X ref r: %w, %w: no value for {zone}", ErrNotTaken, ErrNotSent)
	failed := fmt.Errorf("isipay place X ref r: %w: http 502", ErrUnknownOutcome)
	refused := fmt.Errorf("isipay place X ref r: %w: product inactive", ErrNotTaken)

	b := newBreakers(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), func(string, string, string) {})
	b.record("isipay", "o-1", failed, now)
	b.record("isipay", "o-2", unsent, now)
	if c := b.get("isipay"); c.state != BreakerClosed || c.failures != 1 {
		t.Fatalf("after a failure and a purchase never sent: %s with %d failures, want closed with 1", c.state, c.failures)
	}
	b.record("isipay", "o-3", failed, now)
	if c := b.get("isipay"); c.state != BreakerOpen {
		t.Fatalf("after two failures: %s, want open", c.state)
	}

	now = now.Add(cfg.Cooldown)
	if g, why := b.admit("isipay", now); g != gateProbe {
		t.Fatalf("after the cool-down: gate %d (%s), want a probe", g, why)
	}
	b.probe("isipay", "o-4", now)
	b.record("isipay", "o-4", unsent, now)
	if c := b.get("isipay"); c.state != BreakerHalfOpen {
		t.Fatalf("after a probe never sent: %s, want still half-open", c.state)
	}
	if g, why := b.admit("isipay", now); g != gateProbe {
		t.Fatalf("after a probe never sent: gate %d (%s), want the next order to probe", g, why)
	}
	b.probe("isipay", "o-5", now)
	b.record("isipay", "o-5", refused, now)
	if c := b.get("isipay"); c.state != BreakerClosed || c.failures != 0 {
		t.Fatalf("after the supplier refused the probe: %s with %d failures, want closed with none", c.state, c.failures)
	}
}
