package orders

import (
	"context"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// Alerts tells an operator what needs a person outside the console: a
// supplier's balance running low, and recovering. Like the storefront's
// notifications, each alert is stored in alert_outbox by the transaction
// that records what it announces, then POSTed to the operator's URL, signed
// the same way (X-Syncd-Signature: sha256=HMAC of the body under the
// secret), until a 2xx or MaxAttempts. Its URL, secret, client and retry
// settings are a NotifyConfig's; OnAttempt is not used.
type Alerts struct {
	db     *syncd.DB
	log    *slog.Logger
	cfg    NotifyConfig
	poll   time.Duration
	jitter func() float64
	kick   chan struct{}
	mu     sync.Mutex // one pass at a time; other instances' kept off by claim
}

// NewAlerts returns the operator alerts over db's alert_outbox; with no
// URL they are neither stored nor sent.
func NewAlerts(db *syncd.DB, log *slog.Logger, cfg NotifyConfig) *Alerts {
	n := NewNotifier(db, log, cfg) // for its defaults
	return &Alerts{db: db, log: n.log, cfg: n.cfg, poll: notifyPoll, jitter: mathrand.Float64, kick: make(chan struct{}, 1)}
}

// Enqueue stores an alert in tx. A nil Alerts, or one without a URL,
// stores nothing.
func (a *Alerts) Enqueue(ctx context.Context, tx *sqlx.Tx, event string, body []byte) error {
	if a == nil || a.cfg.URL == "" {
		return nil
	}
	now := syncd.FormatTime(a.cfg.Now())
	return insertAlert(ctx, tx, newDeliveryID(), event, body, now)
}

// Kick wakes Run to send what was just enqueued. It never blocks.
func (a *Alerts) Kick() {
	if a == nil {
		return
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run sends due alerts until ctx is done: at start, on Kick, when a retry
// is due, and every few seconds as a backstop.
func (a *Alerts) Run(ctx context.Context) {
	if a.cfg.URL == "" {
		<-ctx.Done()
		return
	}
	for {
		wait := a.poll
		if _, err := a.DeliverDue(ctx); ctx.Err() != nil {
			return
		} else if err != nil {
			a.log.Error("alerts not sent", "err", err)
		} else if next, ok, err := a.nextDue(ctx); err != nil {
			a.log.Error("alerts not sent", "err", err)
		} else if ok {
			wait = min(max(next.Sub(a.cfg.Now()), 10*time.Millisecond), a.poll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

type alertRow struct {
	ID       int64  `db:"id"`
	Delivery string `db:"delivery_id"`
	Event    string `db:"event"`
	Body     string `db:"body"`
	Attempts int    `db:"attempts"`
}

// DeliverDue sends each alert due now once, oldest first, and returns how
// many the operator's endpoint took.
func (a *Alerts) DeliverDue(ctx context.Context) (int, error) {
	if a.cfg.URL == "" {
		return 0, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := syncd.FormatTime(a.cfg.Now())
	rows, err := dueAlerts(ctx, a.db.Read, now, notifyBatch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return delivered, err
		}
		ok, err := a.attempt(ctx, r, now)
		if err != nil {
			return delivered, err
		}
		if ok {
			delivered++
		}
	}
	return delivered, nil
}

func (a *Alerts) nextDue(ctx context.Context) (time.Time, bool, error) {
	next, err := nextAlert(ctx, a.db.Read)
	if err != nil {
		return time.Time{}, false, err
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := syncd.ParseTime(next.String)
	return t, err == nil, err
}

// attempt sends r once and records the outcome, not cut short by ctx.
func (a *Alerts) attempt(ctx context.Context, r alertRow, due string) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	tx, ok, err := claimAlert(ctx, a.db, &r, due)
	if err != nil || !ok {
		return false, err // another instance sends it, or has
	}
	var rec sqlx.ExecerContext = a.db.Write
	if tx != nil {
		defer tx.Rollback()
		rec = tx
	}
	attempt := r.Attempts + 1
	log := a.log.With("delivery", r.Delivery, "event", r.Event, "attempt", attempt)
	after, sendErr := post(ctx, a.cfg, r.Delivery, r.Event, r.Body)
	now := a.cfg.Now()
	switch {
	case sendErr == nil:
		err = recordAlert(ctx, rec, r.ID, attempt, DeliveryDelivered, syncd.FormatTime(now), "")
		log.Info("alert delivered")
	case attempt >= a.cfg.MaxAttempts:
		msg := redact(a.cfg.Secret, sendErr.Error())
		err = recordAlert(ctx, rec, r.ID, attempt, DeliveryFailed, syncd.FormatTime(now), msg)
		log.Error("alert given up", "err", msg)
	default:
		msg := redact(a.cfg.Secret, sendErr.Error())
		next := now.Add(backoff(a.cfg, attempt, after, a.jitter()))
		err = recordAlert(ctx, rec, r.ID, attempt, DeliveryRetry, syncd.FormatTime(next), msg)
		log.Warn("alert not delivered", "err", msg, "next_at", next)
	}
	if err == nil && tx != nil {
		err = tx.Commit()
	}
	if err != nil {
		return false, fmt.Errorf("record alert %s attempt %d: %w", r.Delivery, attempt, err)
	}
	return sendErr == nil, nil
}

// Pending is how many alerts wait to be delivered.
func (a *Alerts) Pending(ctx context.Context) (int, error) {
	return pendingAlerts(ctx, a.db.Read)
}
