package orders

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
)

// Notification defaults (NotifyConfig's zero values).
const (
	notifyTimeout     = 10 * time.Second
	notifyBaseDelay   = 2 * time.Second
	notifyMaxDelay    = 10 * time.Minute
	notifyMaxAttempts = 20
	// notifyPoll is Run's backstop: a Kick lost to a crash between commit
	// and Kick, or a delivery enqueued by another process, waits no longer.
	notifyPoll = 5 * time.Second
	// notifyBatch bounds the due deliveries read at once.
	notifyBatch = 100
	// notifySnippetMax bounds the part of a refusal's body kept in
	// last_error.
	notifySnippetMax = 200
)

// States of a delivery, and DeliveryRetry, the outcome of an attempt that
// will be tried again.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // given up after MaxAttempts
	DeliveryRetry     = "retry"
)

// ErrDeliveryFilter is a DeliveryFilter with an unknown state.
var ErrDeliveryFilter = fault.New(fault.BadRequest, "invalid delivery filter")

// NotifyConfig configures the storefront notifications. Zero values take
// the defaults.
type NotifyConfig struct {
	URL    string // "" disables notifications: Enqueue stores nothing
	Secret string // signs every body; "" sends no signature
	// Client sends the POSTs; nil is a client with a 10 s timeout that
	// does not follow redirects (a redirected POST arrives as a GET
	// without its body, and would count as delivered).
	Client      *http.Client
	BaseDelay   time.Duration // first retry delay, default 2 s; doubles each attempt, ±20% jitter
	MaxDelay    time.Duration // cap on a retry delay, default 10 min
	MaxAttempts int           // default 20; then the delivery is failed
	Now         func() time.Time
	// OnAttempt, if set, is called after every attempt with its outcome:
	// "delivered", "retry" or "failed" (for metrics).
	OnAttempt func(outcome string)
}

// Notifier tells the storefront about order status changes. Each change
// is stored in notify_outbox by the transaction that makes it (Enqueue),
// so no change is announced that did not happen and none is lost to a
// crash; a sender (Run) then POSTs it until the storefront answers 2xx or
// MaxAttempts is spent.
//
// Delivery is at least once: a crash between the storefront's 2xx and
// recording it resends the same delivery, so receivers deduplicate on
// X-Syncd-Delivery. One order's deliveries go in the order they were
// enqueued: a later status waits until the earlier one is delivered or
// given up, so a storefront never sees success and then processing.
type Notifier struct {
	db     *syncd.DB
	log    *slog.Logger
	cfg    NotifyConfig
	poll   time.Duration
	jitter func() float64 // in [0, 1)
	kick   chan struct{}

	// mu lets one pass send at a time: two would send the same delivery
	// twice. Passes of other instances are kept off by claim.
	mu sync.Mutex
}

// NewNotifier returns the notifier over db's notify_outbox.
func NewNotifier(db *syncd.DB, log *slog.Logger, cfg NotifyConfig) *Notifier {
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout:       notifyTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = notifyBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = notifyMaxDelay
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = notifyMaxAttempts
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{db: db, log: log, cfg: cfg, poll: notifyPoll, jitter: mathrand.Float64, kick: make(chan struct{}, 1)}
}

// Sign is the X-Syncd-Signature of body under secret: "sha256=" and the
// hex HMAC-SHA256. A receiver recomputes it over the bytes it received and
// compares with hmac.Equal.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Enqueue stores the announcement that order orderID is now status, with
// body the exact JSON to send, in tx: the transaction that changes the
// order's status, so the two commit or roll back together. It is due at
// once; call Kick after tx commits. It returns the delivery id, or ""
// when notifications are disabled.
func (n *Notifier) Enqueue(ctx context.Context, tx *sqlx.Tx, orderID, status string, body []byte) (string, error) {
	if n.cfg.URL == "" {
		return "", nil
	}
	if !json.Valid(body) {
		return "", fmt.Errorf("notify order %s %s: body is not JSON", orderID, status)
	}
	id := newDeliveryID()
	now := syncd.FormatTime(n.cfg.Now())
	if err := insertDelivery(ctx, tx, id, orderID, status, body, now); err != nil {
		return "", err
	}
	return id, nil
}

func newDeliveryID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return "dlv_" + hex.EncodeToString(b[:])
}

// Kick wakes Run to send what was just enqueued. It never blocks.
func (n *Notifier) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx is done: at start (what a restart left
// pending), on Kick, when the next retry is due, and every few seconds as
// a backstop. Cancelling ctx lets the delivery in progress finish and be
// recorded; Run returns after it.
func (n *Notifier) Run(ctx context.Context) {
	if n.cfg.URL == "" {
		<-ctx.Done()
		return
	}
	for {
		wait := n.poll
		if _, err := n.DeliverDue(ctx); ctx.Err() != nil {
			return
		} else if err != nil {
			n.log.Error("notifications not sent", "error", err)
		} else if next, ok, err := n.nextDue(ctx); err != nil {
			n.log.Error("notifications not sent", "error", err)
		} else if ok {
			// A floor keeps a clock stepping backwards from spinning.
			wait = min(max(next.Sub(n.cfg.Now()), 10*time.Millisecond), n.poll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// outboxRow is a delivery as the sender reads it.
type outboxRow struct {
	ID       int64  `db:"id"`
	Delivery string `db:"delivery_id"`
	Order    string `db:"order_id"`
	Status   string `db:"status"`
	Body     string `db:"body"`
	Attempts int    `db:"attempts"`
}

// DeliverDue sends, once each, the deliveries due now that are the oldest
// pending of their order, oldest first; one whose earlier delivery is
// delivered or given up during the pass is sent in the same pass. It
// returns how many the storefront took. A failed attempt is an outcome,
// recorded with its next try, not an error; the error is the database's,
// or ctx's, checked between deliveries.
func (n *Notifier) DeliverDue(ctx context.Context) (int, error) {
	if n.cfg.URL == "" {
		return 0, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Due as of the pass's start: a retry is scheduled after it, so the
	// loop ends; the set guards against a clock stepping backwards.
	now := syncd.FormatTime(n.cfg.Now())
	tried := map[int64]bool{}
	delivered := 0
	for {
		rows, err := dueDeliveries(ctx, n.db.Read, now, notifyBatch)
		if err != nil {
			return delivered, err
		}
		fresh := 0
		for _, r := range rows {
			if tried[r.ID] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return delivered, err
			}
			tried[r.ID] = true
			fresh++
			ok, err := n.attempt(ctx, r, now)
			if err != nil {
				return delivered, err
			}
			if ok {
				delivered++
			}
		}
		if fresh == 0 {
			return delivered, nil
		}
	}
}

// nextDue is when the next sendable delivery is due; false if none is
// pending.
func (n *Notifier) nextDue(ctx context.Context) (time.Time, bool, error) {
	next, err := nextDelivery(ctx, n.db.Read)
	if err != nil {
		return time.Time{}, false, err
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := syncd.ParseTime(next.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due notification: next_at %q: %w", next.String, err)
	}
	return t, true, nil
}

// attempt sends r once and records the outcome, reporting whether the
// storefront took it. It is not cut short by ctx: a send interrupted
// would be recorded as a failure of the storefront's, or not recorded.
func (n *Notifier) attempt(ctx context.Context, r outboxRow, due string) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	tx, ok, err := claimDelivery(ctx, n.db, &r, due)
	if err != nil || !ok {
		return false, err // another instance sends it, or has
	}
	var rec sqlx.ExecerContext = n.db.Write
	if tx != nil {
		defer tx.Rollback()
		rec = tx
	}
	attempt := r.Attempts + 1
	log := n.log.With("delivery", r.Delivery, "order", r.Order, "status", r.Status, "attempt", attempt)
	after, sendErr := n.send(ctx, r)
	now := n.cfg.Now()
	var outcome string
	switch {
	case sendErr == nil:
		outcome = DeliveryDelivered
		err = recordDelivery(ctx, rec, r.ID, attempt, outcome, syncd.FormatTime(now), "")
		log.Info("notification delivered")
	case attempt >= n.cfg.MaxAttempts:
		outcome = DeliveryFailed
		msg := n.redact(sendErr.Error())
		err = recordDelivery(ctx, rec, r.ID, attempt, outcome, syncd.FormatTime(now), msg)
		log.Error("notification given up", "error", msg)
	default:
		outcome = DeliveryRetry
		msg := n.redact(sendErr.Error())
		next := now.Add(n.delay(attempt, after))
		err = recordDelivery(ctx, rec, r.ID, attempt, outcome, syncd.FormatTime(next), msg)
		log.Warn("notification not delivered", "error", msg, "next_at", next)
	}
	if err == nil && tx != nil {
		err = tx.Commit()
	}
	if err != nil {
		return false, fmt.Errorf("record notification %s attempt %d: %w", r.Delivery, attempt, err)
	}
	if n.cfg.OnAttempt != nil {
		n.cfg.OnAttempt(outcome)
	}
	return sendErr == nil, nil
}

// send POSTs r as an order.status delivery.
func (n *Notifier) send(ctx context.Context, r outboxRow) (time.Duration, error) {
	return post(ctx, n.cfg, r.Delivery, "order.status", r.Body)
}

// post sends one delivery of event to cfg.URL, signed with cfg.Secret.
// Any 2xx is delivered; anything else is an error worth retrying, a 4xx
// too (the receiver may fix its endpoint), with the delay the receiver
// asked for in Retry-After, if any.
func post(ctx context.Context, cfg NotifyConfig, delivery, event, body string) (time.Duration, error) {
	if cfg.Client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, notifyTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, strings.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid notify URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "syncd")
	req.Header.Set("X-Syncd-Delivery", delivery)
	req.Header.Set("X-Syncd-Event", event)
	if cfg.Secret != "" {
		req.Header.Set("X-Syncd-Signature", Sign(cfg.Secret, []byte(body)))
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		// Not the *url.Error's text: the URL may carry a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, notifySnippetMax+1))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	err = fmt.Errorf("HTTP %d", resp.StatusCode)
	if s := notifySnippet(head); s != "" {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, s)
	}
	return retryAfter(resp.Header.Get("Retry-After"), cfg.Now()), err
}

// delay is the wait before the attempt after attempt (1 for the first
// failure).
func (n *Notifier) delay(attempt int, asked time.Duration) time.Duration {
	return backoff(n.cfg, attempt, asked, n.jitter())
}

// backoff is BaseDelay doubled per attempt, capped at MaxDelay, ±20%
// jitter (j in [0, 1)) so a receiver coming back is not hit by every
// delivery at once, and no shorter than the receiver asked (still capped).
func backoff(cfg NotifyConfig, attempt int, asked time.Duration, j float64) time.Duration {
	d := cfg.BaseDelay
	for i := 1; i < attempt && d < cfg.MaxDelay; i++ {
		if d > cfg.MaxDelay/2 {
			d = cfg.MaxDelay
			break
		}
		d *= 2
	}
	d = min(d, cfg.MaxDelay)
	d = time.Duration(float64(d) * (0.8 + 0.4*j))
	return min(max(d, asked), cfg.MaxDelay)
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date; 0
// if absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// redact keeps the secret out of what is stored and logged, even if a
// storefront echoes it back.
func (n *Notifier) redact(msg string) string { return redact(n.cfg.Secret, msg) }

func redact(secret, msg string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[secret]")
}

// notifySnippet is the start of a refusal's body on one printable line.
func notifySnippet(b []byte) string {
	cut := len(b) > notifySnippetMax
	if cut {
		b = b[:notifySnippetMax]
	}
	s := strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || r == 0xfffd:
			return '?'
		}
		return r
	}, strings.ToValidUTF8(string(b), "\ufffd"))
	s = strings.TrimSpace(s)
	if cut {
		s += "…"
	}
	return s
}
