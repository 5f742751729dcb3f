package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/group"
	"github.com/syncd/syncd/internal/keylock"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// ErrInvalid is a body that is not a webhook syncd can take: one the
// supplier's parser refuses (not JSON, a member repeated or named in
// another case, an unknown type, a missing field, a negative or absurd
// price, a sent_at that is not a time), or one from a supplier that posts
// none. Nothing is stored and nothing changes.
var ErrInvalid = fault.New(fault.BadWebhook, "invalid webhook")

// DefaultRetention is how long a processed delivery is kept, and so how
// long a redelivery of the same body is recognised.
const DefaultRetention = 30 * 24 * time.Hour

// pruneEvery spaces the deletion of expired deliveries: webhook_inbox has
// no index on received_at, and a scan per delivery would cost more than
// the delivery.
const pruneEvery = time.Hour

// Outcome is what receiving a delivery came to, stored as JSON in
// webhook_inbox.outcome and answered to the supplier.
type Outcome struct {
	// Accepted is false for a delivery that was stored but that syncd
	// could not act on (a transaction it has no order for).
	Accepted bool   `json:"accepted"`
	Message  string `json:"message"` // the reply, in the supplier's wording
	// Costs is what a cost update did to each product it named.
	Costs *offers.CostUpdate `json:"costs,omitempty"`
}

// Result is a received delivery: its row in webhook_inbox and its outcome.
type Result struct {
	ID   int64
	Kind string // the supplier's type of the delivery (suppliers.Event.Type)
	// Duplicate: the same body was received before. It was not applied
	// again; Outcome is the first one's (or, if the first was stored but
	// never applied, what applying it now did).
	Duplicate bool
	Outcome
}

// Inbox receives supplier webhooks into webhook_inbox and applies them.
type Inbox struct {
	db        *syncd.DB
	cat       *catalog.Catalog
	log       *slog.Logger
	now       func() time.Time
	retention time.Duration
	// hooks are the webhook capabilities by supplier: how a delivery
	// parses and how the supplier words the answers.
	hooks map[string]*suppliers.Webhook
	// orders takes order status updates; nil refuses them all as
	// unknown transactions.
	orders func(ctx context.Context, u orders.Update) error
	// observe, when set, is told of each applied cost update.
	observe func(supplier string, up *offers.CostUpdate)

	// mu lets Replay run alone (it holds it exclusively; Receives share
	// it). Different deliveries are received and applied concurrently, so
	// the catalog can reprice a stream of them in batches; the same body
	// is serialised by its digest, so a redelivery racing the first waits
	// and is answered with its outcome.
	mu        sync.RWMutex
	keys      keylock.Map               // one body applied at a time
	stores    *group.Batcher[*storeJob] // the group commit of storing (batch.go)
	costs     *group.Batcher[*costJob]  // the group commit of cost updates
	claims    chan struct{}             // the claims held on PostgreSQL (claim.go), at most maxClaims
	pruneMu   sync.Mutex
	lastPrune time.Time

	// afterStore, in tests, stands for a crash between storing a
	// delivery and applying it: an error stops Receive there.
	afterStore func(id int64) error
	// In tests: beforeBatch is told of each batch a group commit runs
	// ("store" or "costs") and its size, before it runs; storeFails
	// stands for a body the database refuses to store.
	beforeBatch func(stage string, n int)
	storeFails  func(body []byte) error
}

// Option configures an Inbox.
type Option func(*Inbox)

// WithClock sets the receive time's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(in *Inbox) { in.now = now } }

// WithRetention sets how long processed deliveries are kept (default
// DefaultRetention).
func WithRetention(d time.Duration) Option { return func(in *Inbox) { in.retention = d } }

// WithOrders sends every order status update to apply: the order
// service's Apply, which returns an error wrapping orders.ErrNotFound for
// a transaction that is not one of syncd's orders. Without it every
// status update is answered as an unknown transaction.
func WithOrders(apply func(ctx context.Context, u orders.Update) error) Option {
	return func(in *Inbox) { in.orders = apply }
}

// WithCostObserver tells observe what each applied price webhook did
// with the products it named (its supplier and the update), for metrics.
func WithCostObserver(observe func(supplier string, up *offers.CostUpdate)) Option {
	return func(in *Inbox) { in.observe = observe }
}

// New returns the inbox over db, applying cost changes to cat. hooks are
// the webhook capabilities of every registered supplier that posts
// webhooks, enabled or not (its stored deliveries are replayed all the
// same); a delivery from any other supplier is refused.
func New(db *syncd.DB, cat *catalog.Catalog, log *slog.Logger, hooks map[string]*suppliers.Webhook, opts ...Option) *Inbox {
	in := &Inbox{db: db, cat: cat, log: log, now: time.Now, retention: DefaultRetention, hooks: hooks,
		claims: make(chan struct{}, maxClaims)}
	for _, o := range opts {
		o(in)
	}
	in.newBatchers()
	return in
}

// Receive takes one delivery of supplier's webhook, body exactly as sent,
// from remote (the sender's address, for the record). A body that does not
// parse is refused with ErrInvalid and stored nowhere. Otherwise the body
// is stored, then applied, then marked processed with its outcome; a body
// received before (same SHA-256) is answered with the stored outcome.
//
// A cost update is dated by its sent_at if it has one (never later than
// its receipt), otherwise by the moment it was received: then the order
// deliveries arrive in is the order their costs are believed in, and a
// cost a sync fetched after a delivery arrived wins over it.
//
// Deliveries received together are stored together, in one durable
// commit, and cost updates applied together (batch.go): each is answered
// once its batch is written.
//
// Once stored, a delivery is applied even if ctx is cancelled (the sender
// hung up): it is ours now. An error after storing leaves it pending for
// the sender's redelivery or for Replay at the next start.
func (in *Inbox) Receive(ctx context.Context, supplier string, body []byte, remote string) (Result, error) {
	ev, err := in.parse(supplier, body)
	if err != nil {
		return Result{}, err
	}
	in.mu.RLock()
	defer in.mu.RUnlock()
	// One body at a time: a redelivery racing the first waits, then
	// finds it processed. The batches then never hold one body twice.
	unlock := in.keys.Lock(supplier + "/" + digestOf(body))
	defer unlock()
	sj := &storeJob{supplier: supplier, kind: ev.Type, body: body, remote: remote}
	if err := in.stores.Do(sj); err != nil {
		return Result{}, err
	}
	if sj.err != nil {
		return Result{}, sj.err
	}
	d := sj.d
	res := Result{ID: d.id, Kind: ev.Type, Duplicate: d.duplicate}
	if d.processed {
		res.Outcome = d.outcome
		in.log.Info("webhook redelivered", "supplier", supplier, "kind", ev.Type, "inbox_id", d.id, "remote", remote)
		return res, nil
	}
	if in.afterStore != nil {
		if err := in.afterStore(d.id); err != nil {
			return res, err
		}
	}
	if ev.Order == nil {
		// A cost update: applied with the others of its batch.
		cj := &costJob{supplier: supplier, ev: ev, d: d}
		if err := in.costs.Do(cj); err != nil {
			return res, err
		}
		if cj.err != nil {
			return res, fmt.Errorf("webhook %s/%d: %w", supplier, d.id, cj.err)
		}
		res.Outcome = cj.out
		if cj.elsewhere {
			in.log.Info("webhook applied by another instance", "supplier", supplier, "kind", ev.Type, "inbox_id", d.id, "remote", remote)
			return res, nil
		}
		in.logOutcome(supplier, ev.Type, d.id, remote, cj.out)
		return res, nil
	}
	ctx = context.WithoutCancel(ctx)
	c, processed, out, err := in.claimDelivery(ctx, d)
	if err != nil {
		return res, err
	}
	defer c.release()
	if processed {
		// Another instance applied it since it was stored: its
		// Replay, or its Receive of the same body.
		res.Outcome = out
		in.log.Info("webhook applied by another instance", "supplier", supplier, "kind", ev.Type, "inbox_id", d.id, "remote", remote)
		return res, nil
	}
	if out, err = in.apply(ctx, supplier, ev, d.receivedAt); err != nil {
		return res, fmt.Errorf("webhook %s/%d: %w", supplier, d.id, err)
	}
	if err := c.finish(ctx, in, d.id, out); err != nil {
		return res, err
	}
	in.logOutcome(supplier, ev.Type, d.id, remote, out)
	res.Outcome = out
	return res, nil
}

// Replay applies every stored delivery that was never marked processed
// (a crash between storing and applying, or an apply that failed), in
// the order they were received, each dated by its receipt as Receive
// would have. Applying costs again is harmless: a change already stored
// finds its cost unchanged. Each is claimed first (claim.go): a delivery
// another instance is applying is left to it. It returns how many it
// applied.
func (in *Inbox) Replay(ctx context.Context) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	var after int64
	for {
		c, p, ok, err := in.claimNext(ctx, after)
		if err != nil || !ok {
			return n, err
		}
		after = p.ID
		out, err := in.replayOne(ctx, p)
		if err != nil {
			c.release()
			return n, err
		}
		if err := c.finish(ctx, in, p.ID, out); err != nil {
			return n, err
		}
		n++
		if out.Costs != nil && in.observe != nil {
			in.observe(p.Supplier, out.Costs)
		}
		in.log.Info("webhook replayed", "supplier", p.Supplier, "inbox_id", p.ID, "accepted", out.Accepted, "message", out.Message)
	}
}

// replayOne applies a stored delivery as Receive would have.
func (in *Inbox) replayOne(ctx context.Context, p pendingRow) (Outcome, error) {
	ev, err := in.parse(p.Supplier, []byte(p.Body))
	if err != nil {
		// Stored because it parsed when it came: only a change of
		// parser can refuse it now. Record why instead of retrying it
		// at every start.
		return Outcome{Message: "refused on replay: " + err.Error()}, nil
	}
	received, err := syncd.ParseTime(p.ReceivedAt)
	if err != nil {
		return Outcome{}, fmt.Errorf("webhook %s/%d: received_at %q: %w", p.Supplier, p.ID, p.ReceivedAt, err)
	}
	out, err := in.apply(ctx, p.Supplier, ev, received)
	if err != nil {
		return Outcome{}, fmt.Errorf("replay webhook %s/%d: %w", p.Supplier, p.ID, err)
	}
	return out, nil
}

func (in *Inbox) parse(supplier string, body []byte) (suppliers.Event, error) {
	hook := in.hooks[supplier]
	if hook == nil {
		return suppliers.Event{}, fmt.Errorf("%w: syncd takes no webhooks from %q", ErrInvalid, supplier)
	}
	ev, err := hook.Parse(body)
	if err != nil {
		return suppliers.Event{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return ev, nil
}

// delivery is a stored delivery as store found or made it.
type delivery struct {
	id         int64
	receivedAt time.Time
	duplicate  bool
	processed  bool
	outcome    Outcome
}

// digestOf is a body's SHA-256, in hex: a delivery's identity.
func digestOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// apply does what a delivery says, dated as of received.
func (in *Inbox) apply(ctx context.Context, supplier string, ev suppliers.Event, received time.Time) (Outcome, error) {
	words := in.hooks[supplier].Messages
	if ev.Order != nil {
		// A status for a transaction that is not syncd's is answered in
		// the supplier's words (the API answers it 400); the delivery
		// is kept all the same.
		unknown := Outcome{Message: words.UnknownOrder(ev.Order.Txn)}
		if in.orders == nil {
			return unknown, nil
		}
		err := in.orders(ctx, *ev.Order)
		if errors.Is(err, orders.ErrNotFound) {
			return unknown, nil
		}
		if err != nil {
			// Left pending: the sender's redelivery or Replay applies it.
			return Outcome{}, err
		}
		return Outcome{Accepted: true, Message: words.OrderApplied}, nil
	}
	at := received
	if !ev.SentAt.IsZero() && ev.SentAt.Before(at) {
		at = ev.SentAt
	}
	up, err := in.cat.ApplyCosts(ctx, supplier, ev.Costs, at)
	if errors.Is(err, catalog.ErrInvalid) {
		// The parser refuses whatever ApplyCosts would; if the two ever
		// disagree, the delivery is refused, not retried forever.
		return Outcome{Message: err.Error()}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Accepted: true, Message: words.CostsApplied, Costs: up}, nil
}

func (in *Inbox) logOutcome(supplier, kind string, id int64, remote string, out Outcome) {
	attrs := []any{"supplier", supplier, "kind", kind, "inbox_id", id, "remote", remote}
	if !out.Accepted {
		in.log.Warn("webhook not applied", append(attrs, "message", out.Message)...)
		return
	}
	if c := out.Costs; c != nil {
		if in.observe != nil {
			in.observe(supplier, c)
		}
		attrs = append(attrs, "applied", len(c.Applied), "unchanged", len(c.Unchanged), "stale", len(c.Stale),
			"unknown", len(c.Unknown), "version", c.Version)
		if len(c.Unknown) > 0 {
			// An offer the next sync will add; until then its price
			// cannot be stored.
			in.log.Warn("webhook names offers syncd does not have", "supplier", supplier, "inbox_id", id, "codes", first(c.Unknown, 20))
		}
		if len(c.Discrepancies) > 0 {
			in.log.Info("webhook old prices differ from syncd's", "supplier", supplier, "inbox_id", id, "discrepancies", first(c.Discrepancies, 20))
		}
	}
	in.log.Info("webhook applied", attrs...)
}

func first(s []string, n int) []string { return s[:min(len(s), n)] }
