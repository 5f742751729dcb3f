package suppliers

import (
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"time"
)

// Sim runs a supplier's simulator for `syncd demo` and `syncd bench`, so
// that neither names a supplier: each loops over the registered
// descriptors that have one.
type Sim struct {
	// Demo prepares the simulator of the supplier's demo catalog, with
	// made-up credentials.
	Demo func() *SimRun
	// Bench prepares the simulator of a generated catalog of groups games
	// of per offers each (seed picks the catalog), taking any credentials
	// and asking for no client-side rate limit.
	Bench func(groups, per int, seed int64) *SimRun
}

// SimRun is a prepared simulator. Values come first (syncd's
// configuration needs them), Start once syncd's address is known.
type SimRun struct {
	// Values are the settings that point syncd at the simulator served at
	// base, with the credentials it takes; they override the environment.
	Values func(base string) Values
	// Adjust, when set, changes the supplier's settings once parsed (the
	// demo lets loopback post webhooks, beside what is configured).
	Adjust func(v Values)
	// Start builds the simulator; webhookURL is where syncd takes the
	// supplier's webhooks (/v1/webhooks/{supplier}), if it posts any.
	Start func(webhookURL string) (http.Handler, error)
	// Drift moves a few prices the way a market does; the demo calls it
	// every 20 seconds once started. Nil: prices stay.
	Drift func(ctx context.Context, log *slog.Logger)
	// Change raises the cost of a share of the offers (every 1/share-th),
	// for the benchmark's re-sync, and says how many it changed.
	Change func(share float64) (int, error)
	// Guide is what the demo's printed guide says of this supplier: lines
	// to try, where {addr} stands for syncd's address.
	Guide string
	// Close stops what the started simulator runs in the background.
	Close func()
	// Upset, when set, makes the next order the started simulator is sent
	// end in trouble t, the way the real supplier's would: the demo's
	// simulated storefront uses it to show a fallback and a reconciled
	// order without naming a supplier.
	Upset func(t Trouble)
}

// Trouble is what goes wrong with an order at a simulator (SimRun.Upset).
type Trouble int

const (
	// Refusal is a clear refusal of the order (orders.ErrNotTaken): syncd
	// falls back to the next supplier.
	Refusal Trouble = iota + 1
	// LostReply drops the connection without a reply (an unknown outcome,
	// orders.ErrUnknownOutcome): syncd reconciles the order at the
	// supplier. Whether the order landed is the simulator's choice: it
	// must be one syncd can settle without an operator, as the supplier's
	// API allows (a webhook that tells, or a resend that is taken).
	LostReply
)

// DemoDelay is how long an order stays in flight at a demo simulator.
const DemoDelay = 3 * time.Second

// Drift moves a price by up to ±3%, never to nothing, for Drift hooks.
func Drift(p int64) int64 {
	d := p * int64(mrand.N(7)-3) / 100
	if p+d <= 0 {
		return p
	}
	return p + d
}

// ChangeShare raises by 7 the price of every 1/share-th of codes, for
// Change hooks; price and set are the simulator's.
func ChangeShare(codes []string, share float64, price func(string) (int64, bool), set func(string, int64) error) (int, error) {
	if share <= 0 || share > 1 {
		return 0, fmt.Errorf("share %g is not in (0, 1]", share)
	}
	n, step := 0, int(1/share)
	for i := 0; i < len(codes); i += step {
		if p, ok := price(codes[i]); ok {
			if err := set(codes[i], p+7); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
