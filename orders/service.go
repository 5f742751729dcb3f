package orders

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/keylock"
	"github.com/syncd/syncd/offers"
)

// Config is how orders are routed and tracked.
type Config struct {
	// Suppliers that can take orders, by name. A candidate offer of a
	// supplier not here is skipped.
	Suppliers map[string]Supplier
	// RerouteWindow is how long after intake a new supplier may still be
	// tried (after a clear rejection, or a failure after acceptance).
	// After it, an order nobody delivered fails.
	RerouteWindow time.Duration
	// ReconcileTimeout is how long an unknown outcome is reconciled
	// before the order goes to attention for an operator.
	ReconcileTimeout time.Duration
	// StuckAfter is how long an accepted purchase may stay in flight at
	// its supplier before the order goes to attention.
	StuckAfter time.Duration
	// PollBase and PollMax bound the backoff of status checks.
	PollBase, PollMax time.Duration
	// DispatchWait is how long Create waits for the first routing step
	// before answering with the order as it stands.
	DispatchWait time.Duration
	// Breaker is the order path's circuit breaker per supplier; zero
	// Failures: none.
	Breaker BreakerConfig
	// Observe, when set, learns each routing event: "attempt" with
	// outcome accepted|rejected|unknown|taken, "fallback", "status" with
	// the new status, "breaker" with the state a supplier's circuit
	// moved to, "breaker_route" with skipped|probe|only_supplier. For
	// metrics: it must not block, nor call back into the Service.
	Observe func(event, supplier, outcome string)
	// Balance is how suppliers' deposits are estimated, passed to the
	// catalog and warned about (balance.go).
	Balance BalanceConfig
	// Reliability, when on, lets a supplier's recent record outweigh a
	// small difference in cost (reliability.go).
	Reliability ReliabilityConfig
	// Instance names this process among the syncd instances sharing the
	// database, as the owner of the orders it routes (lease.go). Default:
	// "local" on SQLite; on PostgreSQL the host, pid and a random part.
	// Two running instances must never share a name; a restarted one may
	// take its previous name back to resume its orders at once.
	Instance string
	// Lease is how long an instance owns an order it routes without
	// renewing it (default 30 s): how long an order of an instance that
	// died waits before another resumes it.
	Lease time.Duration
	Now   func() time.Time
}

func (c *Config) defaults() {
	if c.RerouteWindow == 0 {
		c.RerouteWindow = 10 * time.Minute
	}
	if c.ReconcileTimeout == 0 {
		c.ReconcileTimeout = 15 * time.Minute
	}
	if c.StuckAfter == 0 {
		c.StuckAfter = 2 * time.Hour
	}
	if c.Reliability.CacheFor == 0 {
		c.Reliability.CacheFor = 5 * time.Second
	}
	if c.Reliability.Window == 0 {
		c.Reliability.Window = time.Hour
	}
	if c.PollBase == 0 {
		c.PollBase = 5 * time.Second
	}
	if c.PollMax == 0 {
		c.PollMax = 5 * time.Minute
	}
	if c.DispatchWait == 0 {
		c.DispatchWait = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Lease <= 0 {
		c.Lease = defaultLease
	}
	if c.Breaker.Failures > 0 && c.Breaker.Cooldown <= 0 {
		c.Breaker.Cooldown = 30 * time.Second
	}
}

// Service takes, routes and tracks orders. Any number of Services, in as
// many processes, may share a PostgreSQL database: each routes an order
// only under its lease (lease.go). On SQLite, one process.
type Service struct {
	db     *syncd.DB
	cat    *catalog.Catalog
	log    *slog.Logger
	cfg    Config
	notify *Notifier // nil: no storefront notifications

	breakers *breakers
	rel      reliability // suppliers' records, when Config.Reliability is on

	stmts    stmts
	explains explains // price explanations built and stored (explain.go)
	qFence   string   // fence's statement in the database's dialect
	warm     sync.Once
	orders   keylock.Map // one routing step per order at a time
	work     sync.WaitGroup
	mu       sync.Mutex
	closed   bool
	stop     chan struct{} // closed by Close: background work ends its step

	balanceQueue balanceQueue         // estimates to pass on (balance.go)
	spendMu      sync.Mutex           // guards spendRates
	spendRates   map[string]spendRate // by supplier
}

// New returns a Service. notify may be nil.
func New(db *syncd.DB, cat *catalog.Catalog, log *slog.Logger, notify *Notifier, cfg Config) *Service {
	cfg.defaults()
	if cfg.Instance == "" {
		cfg.Instance = defaultInstance(db.Dialect())
	}
	return &Service{db: db, cat: cat, log: log, cfg: cfg, notify: notify, stop: make(chan struct{}),
		breakers: newBreakers(cfg.Breaker, log, cfg.Observe), qFence: fenceQuery(db.Dialect())}
}

// Breakers reports the order circuit of every supplier syncd orders
// from. The state is this process's own.
func (s *Service) Breakers() []Breaker {
	names := make([]string, 0, len(s.cfg.Suppliers))
	for name := range s.cfg.Suppliers {
		names = append(names, name)
	}
	return s.breakers.list(names)
}

// Create takes a storefront's order. References are the storefront's own:
// the same reference from the same storefront with the same request
// returns the order already taken (created false); with a different
// request it is ErrReferenceReused. A new order is committed with its
// first attempt (or, with no supplier able to deliver, as failed) before
// any supplier is called, then routed in the background; Create waits up
// to DispatchWait for that step to finish, so the storefront usually
// learns at once whether a supplier took it.
func (s *Service) Create(ctx context.Context, req Request, storefront string) (o *Order, created bool, err error) {
	hash := req.hash()
	// Most replays are answered from the reader, without the writer.
	if row, err := orderByReference(ctx, s.r(), storefront, req.Reference); err != nil {
		return nil, false, err
	} else if row != nil {
		return replay(row, hash)
	}
	var row, failed *orderRow
	var first *attemptRow
	// Read and judged before the transaction, off the writer (see
	// prepareIn): the item's offers, and the request against the catalog.
	// An unknown item is refused by admit.
	cands, cerr := s.cat.Candidates(ctx, req.Item)
	adm, admErr := s.admit(req, hash, storefront)
	// The new order's lock, before it exists: its first routing step
	// takes it over (handoff), so nothing moves the order in between.
	var unlock func()
	if admErr == nil {
		unlock = s.orders.Lock(adm.row.ID)
		defer func() {
			if unlock != nil {
				unlock()
			}
		}()
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Checked again under the reference's lock: two requests racing
		// past the reader, on this instance or another, land here one
		// after the other, and the second finds the first's order. The
		// unique (storefront, reference) is the backstop.
		if err := syncd.LockTx(ctx, tx, referenceKey(storefront, req.Reference)); err != nil {
			return err
		}
		existing, err := orderByReference(ctx, s.w(tx), storefront, req.Reference)
		if err != nil || existing != nil {
			row = existing
			return err
		}
		// admit's verdict counts only now: a replay is answered as one
		// even when the request would no longer be admitted (its price
		// moved since).
		if admErr != nil {
			return admErr
		}
		if err := adm.store(ctx, s, tx, actorOr(storefront)); err != nil {
			return err
		}
		row = adm.row
		created = true
		if first, failed, err = s.prepareIn(ctx, tx, row, nil, cands, cerr); err != nil || first == nil {
			return err
		}
		// The step that sends the attempt owns the order from the start,
		// so no other instance's poller resends it meanwhile.
		_, err = takeLease(ctx, s.w(tx), row.ID, s.cfg.Instance, s.cfg.Now(), s.cfg.Lease)
		return err
	})
	if errors.Is(err, errReferenceTaken) {
		// The backstop: another request took the reference between our
		// check and our insert (LockTx makes that all but impossible).
		// Its order is committed; answer with it, as for any replay.
		existing, rerr := orderByReference(ctx, s.w(nil), storefront, req.Reference)
		if rerr != nil {
			return nil, false, rerr
		}
		if existing != nil {
			return replay(existing, hash)
		}
	}
	if err != nil {
		return nil, false, err
	}
	if !created {
		return replay(row, hash)
	}
	if adm.explained {
		// Committed: later orders priced alike need not store it again.
		s.explains.markStored(adm.explain.hash)
	}
	s.changed(failed)
	if first != nil {
		h := &handoff{unlock: unlock, row: row, first: first}
		unlock = nil // the step's now, whatever happens
		if d := s.dispatch(row.ID, h); d != nil {
			select {
			case <-d.done:
				// The order as the step's last transaction left it: what
				// reading it back would find, unless a webhook moved it
				// since, which the storefront's next read shows.
				if d.last != nil {
					o, err = d.last.view()
					return o, created, err
				}
			case <-time.After(s.cfg.DispatchWait):
			case <-ctx.Done():
			}
		}
	}
	o, err = s.Get(context.WithoutCancel(ctx), row.ID, "")
	return o, created, err
}

// referenceKey names a storefront's reference for LockTx. The length
// prefix keeps ("ab", "c") and ("a", "bc") apart without a separator
// byte: PostgreSQL's text, which the lock's key becomes, cannot hold NUL.
func referenceKey(storefront, reference string) string {
	return fmt.Sprintf("order %d:%s%s", len(storefront), storefront, reference)
}

func replay(row *orderRow, hash string) (*Order, bool, error) {
	if row.RequestHash != hash {
		return nil, false, fmt.Errorf("reference %q: %w", row.Reference, ErrReferenceReused)
	}
	o, err := row.view()
	return o, false, err
}

// admission is an order admitted against the catalog, ready to store.
type admission struct {
	row       *orderRow
	explain   explanation // the price's explanation, which the order names
	explained bool        // false: the snapshot could not explain the price
	version   int64       // the catalog version it was priced in
	at        time.Time
	event     map[string]any
}

// admit validates req against the catalog as it stands and makes the
// pending order to store. It reads only the snapshot, so intake runs it
// before its transaction: on SQLite every moment inside one holds the
// writer that every other order's commit waits for.
func (s *Service) admit(req Request, hash, storefront string) (*admission, error) {
	snap := s.cat.Snapshot()
	if snap == nil {
		return nil, ErrNotReady
	}
	it, ok := snap.Item(req.Item)
	if !ok {
		return nil, invalid("item", "no such item: "+clip(req.Item))
	}
	if !snap.HasTier(req.Tier) {
		return nil, invalid("tier", "no such price tier: "+clip(req.Tier))
	}
	game, ok := snap.Game(it.GameID)
	if !ok {
		return nil, invalid("item", "the item's game is gone")
	}
	if err := checkFields(game.Form, game.CheckAnswer, req.Fields); err != nil {
		return nil, err
	}
	price := it.PriceIn(req.Tier)
	if price.Amount == nil {
		why := it.Reason
		if price.Blocked != "" {
			why = price.Blocked
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrUnavailable, it.ID, why)
	}
	if *price.Amount != req.ExpectedPrice {
		return nil, &PriceChangedError{Expected: req.ExpectedPrice, Current: price.Amount}
	}
	fields, _ := json.Marshal(req.Fields)
	explain, explained := s.explains.explain(snap, it, req.Tier)
	now := s.cfg.Now()
	row := &orderRow{
		ID: newOrderID(now), Reference: req.Reference, RequestHash: hash, Storefront: storefront,
		ItemID: it.ID, GameID: it.GameID, ItemName: it.Name, Tier: req.Tier, Fields: string(fields),
		Price: req.ExpectedPrice, Status: Pending, Version: 1,
		CreatedAt: syncd.FormatTime(now), UpdatedAt: syncd.FormatTime(now),
		SettleBy: syncd.FormatTime(now.Add(s.cfg.RerouteWindow)),
	}
	return &admission{row: row, explain: explain, explained: explained, version: snap.Version, at: now, event: map[string]any{
		"price": row.Price, "tier": row.Tier, "catalog_version": snap.Version, "chosen": supplierOf(it)}}, nil
}

// store inserts the admitted order, its price's explanation unless it is
// known to be stored, and its "created" event, inside tx.
func (a *admission) store(ctx context.Context, s *Service, tx *sqlx.Tx, actor string) error {
	hash := ""
	if a.explained {
		hash = a.explain.hash
		if !s.explains.isStored(hash) {
			if err := storeExplain(ctx, s.w(tx), a.explain); err != nil {
				return err
			}
		}
	}
	if err := insertOrder(ctx, s.w(tx), a.row, hash, a.version); err != nil {
		return err
	}
	return addEvent(ctx, s.w(tx), a.row.ID, "created", actor, a.at, a.event)
}

func supplierOf(it *catalog.Item) string {
	if it.Chosen == nil {
		return ""
	}
	return it.Chosen.Supplier
}

func actorOr(name string) string {
	if name == "" {
		return "storefront"
	}
	return name
}

// checkFields holds the buyer's answers to the game's canonical form:
// every field answered, dropdowns with one of their options, nothing the
// form does not ask (a misspelt key must not be dropped silently), and no
// text value the game's settings refuse (checkAnswer: a character of a
// template that joins the values into one string for a supplier, as
// "{server}|x" for a user id would change what that supplier reads). The
// check is the game's whichever supplier ends up selling, so an order is
// judged the same either way.
func checkFields(form []catalog.FormField, checkAnswer func(string) error, values map[string]string) error {
	fe := map[string]string{}
	known := map[string]bool{}
	for _, f := range form {
		known[f.Key] = true
		v := strings.TrimSpace(values[f.Key])
		switch {
		case v == "":
			fe["fields."+f.Key] = "required (" + f.Label + ")"
		case f.Type == "dropdown" && !slices.ContainsFunc(f.Options, func(o offers.Option) bool { return o.Code == values[f.Key] }):
			fe["fields."+f.Key] = "must be one of the form's options"
		default:
			// A text answer; a dropdown's codes are the suppliers' own.
			if err := checkAnswer(values[f.Key]); err != nil {
				fe["fields."+f.Key] = err.Error()
			}
		}
	}
	for k := range values {
		if !known[k] {
			fe["fields."+clip(k)] = "not a field of this game's form"
		}
	}
	if len(fe) > 0 {
		return ErrInvalid.WithFields(fe)
	}
	return nil
}

// idEpoch is when order ids' clock starts; 40 bits of milliseconds from it
// last until 2058.
var idEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// newOrderID is "ord_" and 16 base32hex characters, lower case (80 bits):
// 40 bits of milliseconds since idEpoch at now, then 40 random bits.
//
// Time first, in an alphabet that sorts as its bits do, so new ids
// increase: the b-trees keyed by an order's id (the orders' own, its
// attempts', events', outbox's and lease's, the supplier references
// derived from it) take a new order's rows at their right-hand edge, in
// pages the orders before it just wrote. With 80 random bits each order
// landed in a page of its own in each of them: about a dozen pages more
// for every commit to write to the WAL, and to read back (issue 17, row
// 5). Forty random bits keep ids made in one millisecond apart (a
// thousand of them share one with a chance of one in two million), and
// the orders' primary key refuses a duplicate all the same: the request
// fails, nothing is bought, and its retry with the same reference gets a
// new id.
func newOrderID(now time.Time) string {
	var b [10]byte
	ms := max(now.Sub(idEpoch).Milliseconds(), 0)
	for i := 4; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[5:])
	return "ord_" + strings.ToLower(base32.HexEncoding.EncodeToString(b[:]))
}

// supplierRef is the reference of attempt seq of an order: deterministic,
// so a resend after a crash reuses it, and letters and digits only, which
// any supplier accepts ("SD" + the order id's 16 characters + seq).
func supplierRef(orderID string, seq int) string {
	return fmt.Sprintf("SD%s%02d", strings.ToUpper(strings.TrimPrefix(orderID, "ord_")), seq)
}

// Get returns an order. A storefront sees only its own orders: with
// storefront set, another storefront's order is ErrNotFound; "" (an
// operator) sees every order.
func (s *Service) Get(ctx context.Context, id, storefront string) (*Order, error) {
	row, err := getOrder(ctx, s.r(), id)
	if err != nil {
		return nil, err
	}
	if storefront != "" && row.Storefront != storefront {
		return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	return row.view()
}

// ByReference returns the orders with a reference: a storefront's one
// (zero or one), or with storefront "" every storefront's.
func (s *Service) ByReference(ctx context.Context, storefront, ref string) ([]*Order, error) {
	rows, err := ordersByReference(ctx, s.db.Read, storefront, ref)
	if err != nil {
		return nil, err
	}
	out := make([]*Order, 0, len(rows))
	for i := range rows {
		o, err := rows[i].view()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// change is a status change and what comes with it.
type change struct {
	to       Status
	reason   string
	supplier string
	cost     *int64
	sn       string
}

// move changes an order's status inside tx, forward only, and queues the
// storefront's notification in the same transaction. Moving to the status
// it has is a no-op (nil row), as is any move backwards.
func (s *Service) move(ctx context.Context, tx *sqlx.Tx, row *orderRow, ch change, actor string, now time.Time) (*orderRow, error) {
	if !canMove(row.Status, ch.to) {
		return nil, nil
	}
	up := *row
	up.Status, up.Reason, up.Version, up.UpdatedAt = ch.to, ch.reason, row.Version+1, syncd.FormatTime(now)
	if ch.supplier != "" {
		up.Supplier = ch.supplier
	}
	if ch.cost != nil {
		up.Cost = sql.NullInt64{Int64: *ch.cost, Valid: true}
	}
	if ch.sn != "" {
		up.SN = ch.sn
	}
	if err := moveOrder(ctx, s.w(tx), row, &up); err != nil {
		return nil, err
	}
	// The reports' roll-up folds orders by their final event's id: it
	// must not read past one whose transaction has not committed.
	if ch.to.Final() {
		if err := syncd.LockTxShared(ctx, tx, syncd.FinalEventsKey); err != nil {
			return nil, err
		}
	}
	if err := addEvent(ctx, s.w(tx), row.ID, "status", actor, now, map[string]any{"from": row.Status, "to": ch.to, "reason": ch.reason}); err != nil {
		return nil, err
	}
	if s.notify != nil {
		view, err := up.view()
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(view)
		if err != nil {
			return nil, fmt.Errorf("notification of order %s: %w", row.ID, err)
		}
		if _, err := s.notify.Enqueue(ctx, tx, row.ID, string(ch.to), body); err != nil {
			return nil, err
		}
	}
	return &up, nil
}

// changed runs after a status change committed.
func (s *Service) changed(row *orderRow) {
	if row == nil {
		return
	}
	if s.notify != nil {
		s.notify.Kick()
	}
	s.observe("status", row.Supplier, string(row.Status))
	s.log.Info("order status", "order", row.ID, "reference", row.Reference, "status", row.Status,
		"supplier", row.Supplier, "reason", row.Reason)
}

func (s *Service) observe(event, supplier, outcome string) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(event, supplier, outcome)
	}
}

var errClosed = errors.New("orders: service closed")
