// Package leader elects which of several syncd instances on one
// PostgreSQL database runs the work that must happen once (syncs, polls,
// balance checks, the outbox, repricing at rule windows). The leader holds
// a session advisory lock on a connection of its own; each takeover raises
// an epoch in the database, so a leader that lost its connection finds
// itself deposed before it acts, and its fenced writes fail.
package leader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// lockClass is the first key of the leader's advisory lock; the second
// is the schema's name hashed, so databases sharing a server (tests, each
// in a schema) elect apart. It differs from syncd's other lock classes.
const lockClass = 0x6c656164 // "lead"

// ErrNotLeader is what IsLeader answers an instance that does not lead.
var ErrNotLeader = errors.New("not the leader")

// Elector campaigns for the lead and answers gocron's IsLeader.
type Elector struct {
	url string
	id  string
	log *slog.Logger

	mu      sync.Mutex
	conn    *pgx.Conn // the lock's session; nil when not connected
	epoch   int64     // this instance's epoch while it leads, else 0
	changed chan struct{}
}

// New returns an Elector for the database at url, campaigning as id (an
// instance name shown to operators). Run campaigns.
func New(url, id string, log *slog.Logger) *Elector {
	return &Elector{url: url, id: id, log: log, changed: make(chan struct{})}
}

// ID is the name this instance campaigns under.
func (e *Elector) ID() string { return e.id }

// Run campaigns every interval until ctx ends, then steps down: closing
// the session releases the lock at once, so a successor need not wait for
// the server to notice a dead connection.
func (e *Elector) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		e.Campaign(ctx)
		select {
		case <-ctx.Done():
			e.mu.Lock()
			e.dropLocked(errors.New("shutting down"))
			e.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// Resign steps down, if leading, and closes the lock's session: for an
// elector whose Run was never started.
func (e *Elector) Resign() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropLocked(errors.New("resigned"))
}

// State says whether this instance leads, and gives a channel closed at
// the next change.
func (e *Elector) State() (leading bool, changed <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.epoch > 0, e.changed
}

// Leads reports whether this instance leads, as of its last check.
func (e *Elector) Leads() bool {
	leading, _ := e.State()
	return leading
}

// Epoch is this instance's epoch while it leads, else 0.
func (e *Elector) Epoch() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.epoch
}

// IsLeader is gocron's check before every job run: nil only when the
// lock's session answers and the database's epoch is still this
// instance's. A leader whose connection broke or whose epoch moved steps
// down here, before the job acts.
func (e *Elector) IsLeader(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.epoch == 0 {
		return ErrNotLeader
	}
	if err := e.checkLocked(ctx); err != nil {
		e.dropLocked(err)
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	}
	return nil
}

// Campaign tries for the lead once, or checks it if held. Run calls it
// every interval; a starting instance calls it first to know at once.
func (e *Elector) Campaign(ctx context.Context) {
	e.mu.Lock()
	connected := e.conn != nil
	e.mu.Unlock()
	if !connected {
		// Dialled without the mutex: State and IsLeader (a metrics
		// scrape, a job) must not wait on a server that does not answer.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, e.url)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("leader election: connect", "err", err)
			}
			return
		}
		e.mu.Lock()
		e.conn = conn
		e.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.epoch > 0 {
		if err := e.checkLocked(ctx); err != nil {
			e.dropLocked(err)
		}
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var got bool
	if err := e.conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockClass).Scan(&got); err != nil {
		e.dropLocked(fmt.Errorf("try the lock: %w", err))
		return
	}
	if !got {
		return
	}
	// Taking office raises the epoch: from here on, whatever the last
	// leader fences finds it moved.
	var epoch int64
	if err := e.conn.QueryRow(qctx, `INSERT INTO leader (id, epoch, holder, since) VALUES (1, 1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET epoch = leader.epoch + 1, holder = excluded.holder, since = excluded.since
		RETURNING epoch`, e.id, time.Now().UTC().Format(time.RFC3339Nano)).Scan(&epoch); err != nil {
		e.dropLocked(fmt.Errorf("raise the epoch: %w", err))
		return
	}
	e.epoch = epoch
	e.log.Info("leading", "instance", e.id, "epoch", epoch)
	e.announceLocked()
}

// checkLocked asks the lock's own session for the epoch: an answer proves
// the session, and so the lock, alive; the epoch proves no one took over.
func (e *Elector) checkLocked(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var epoch int64
	if err := e.conn.QueryRow(ctx, `SELECT epoch FROM leader WHERE id = 1`).Scan(&epoch); err != nil {
		return fmt.Errorf("lock session: %w", err)
	}
	if epoch != e.epoch {
		return fmt.Errorf("deposed: epoch %d, this instance's %d", epoch, e.epoch)
	}
	return nil
}

// dropLocked steps down, if leading, and closes the session, which
// releases the lock if the server still holds it.
func (e *Elector) dropLocked(why error) {
	if e.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		e.conn.Close(ctx)
		cancel()
		e.conn = nil
	}
	if e.epoch > 0 {
		e.log.Warn("no longer leading", "instance", e.id, "epoch", e.epoch, "why", why)
		e.epoch = 0
		e.announceLocked()
	}
}

func (e *Elector) announceLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// WhileLeading runs fn whenever this instance leads, cancelling its
// context when it stops leading, until ctx ends: for the loops that are
// not gocron jobs (the outbox workers).
func (e *Elector) WhileLeading(ctx context.Context, fn func(ctx context.Context)) {
	for {
		leading, changed := e.State()
		if leading {
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				fn(runCtx)
			}()
			select {
			case <-changed:
			case <-ctx.Done():
			}
			cancel()
			<-done
		} else {
			select {
			case <-changed:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// ErrDeposed is a fenced write refused: another instance took the lead.
var ErrDeposed = errors.New("deposed: another instance leads")

// Fence refuses, in tx, a write only the leader may make unless this
// instance still leads. It share-locks the epoch's row, so a takeover
// waits for tx to end: a write it lets through commits before a
// successor's first act.
func (e *Elector) Fence(ctx context.Context, tx sqlx.QueryerContext) error {
	mine := e.Epoch()
	if mine == 0 {
		return ErrDeposed
	}
	var epoch int64
	if err := sqlx.GetContext(ctx, tx, &epoch, `SELECT epoch FROM leader WHERE id = 1 FOR SHARE`); err != nil {
		return fmt.Errorf("fence: %w", err)
	}
	if epoch != mine {
		return ErrDeposed
	}
	return nil
}

// Holder reads who leads as the database records it: the instance that
// last took office and its epoch; "" before any did. The record outlives
// a leader that died until the next takes office (a second or so).
func Holder(ctx context.Context, db sqlx.QueryerContext) (id string, epoch int64, err error) {
	var row struct {
		Holder string `db:"holder"`
		Epoch  int64  `db:"epoch"`
	}
	err = sqlx.GetContext(ctx, db, &row, `SELECT holder, epoch FROM leader WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	return row.Holder, row.Epoch, err
}
