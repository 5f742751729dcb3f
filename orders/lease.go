package orders

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
)

// One instance routes an order at a time. Several syncd instances on one
// PostgreSQL database all take orders, poll attempts and receive webhooks;
// an in-process lock cannot keep two of them from sending the same attempt
// or deciding the same order twice. So each routing step (a send or
// resend, a status check, a supplier's word, the next supplier, an
// operator's settlement) runs under the order's lease in order_leases:
// taken with one conditional upsert that succeeds only if nobody holds the
// order or its holder's lease has expired, renewed while the step runs,
// and deleted when it ends. Every write transaction of a step first reads
// the lease row locked (fence): if another instance has taken the order
// meanwhile, because this one stalled past its lease, the write is
// refused, so a stalled instance never records a refusal as proof that
// the supplier does not have the order, which would let the order go to
// another supplier after the first had taken it. An instance that dies
// leaves its lease to expire; another instance's Poll then resumes the
// order from its stored state, as a restart would.
//
// The in-process lock (Service.orders) stays: it queues this instance's
// own goroutines on an order without a round trip each. On SQLite, one
// process per database, the lease is the same code path with one owner.

// defaultLease is how long a routing step owns its order without renewing:
// long enough that a slow database does not lose it, short enough that an
// order of a dead instance waits little. It is renewed every third of it.
const defaultLease = 30 * time.Second

// ErrBusy: another instance is routing the order and did not let go within
// a lease's time. Try again.
var ErrBusy = fault.New(fault.Unavailable, "order is being routed by another instance")

// errLeaseLost is a step's write refused because the order's lease is no
// longer this instance's.
var errLeaseLost = errors.New("orders: the order's lease is another instance's")

// defaultInstance names this process among the instances sharing a
// database. On SQLite every process over the file is the same instance,
// one after the other, so a restart resumes its orders at once; on
// PostgreSQL each process is its own (host, pid and a random part, so a
// container's reused pid is no one else's), and a restarted one resumes
// orders cut short once their leases expire, unless it is configured
// with its previous name.
func defaultInstance(d syncd.Dialect) string {
	if d == syncd.SQLite {
		return "local"
	}
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// The lease's statements. Take inserts the lease, renews the owner's own,
// or takes over one that has expired (its expiry at or before the taker's
// now, which is excluded.taken_at); anything else updates no row. PostgreSQL
// runs a concurrent insert of the same order after the first commits, and
// then as the update, so two takers never both succeed.
const (
	qTakeLease = `INSERT INTO order_leases (order_id, owner, expires_at, taken_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (order_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
			taken_at = excluded.taken_at
		WHERE order_leases.owner = excluded.owner OR order_leases.expires_at <= excluded.taken_at`
	qRenewLease   = `UPDATE order_leases SET expires_at = ? WHERE order_id = ? AND owner = ?`
	qReleaseLease = `DELETE FROM order_leases WHERE order_id = ? AND owner = ?`
	qLeaseOwner   = `SELECT owner FROM order_leases WHERE order_id = ?`
)

// takeLease takes order id's lease for owner until now+d, in ex (a
// transaction, or the pool); false when another owner's lease is live.
func takeLease(ctx context.Context, ex sqlx.ExecerContext, id, owner string, now time.Time, d time.Duration) (bool, error) {
	res, err := ex.ExecContext(ctx, qTakeLease, id, owner, syncd.FormatTime(now.Add(d)), syncd.FormatTime(now))
	if err != nil {
		return false, fmt.Errorf("lease of order %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease of order %s: %w", id, err)
	}
	return n == 1, nil
}

// tryLease takes order id's lease for this instance and keeps it renewed;
// false when another instance holds it. The caller holds the order's
// in-process lock and, when true, calls release when the step ends.
func (s *Service) tryLease(ctx context.Context, id string) (*lease, bool, error) {
	ok, err := takeLease(ctx, s.w(nil), id, s.cfg.Instance, s.cfg.Now(), s.cfg.Lease)
	if err != nil || !ok {
		return nil, false, err
	}
	return s.keep(id), true, nil
}

// awaitLease is tryLease for a step that must happen (a supplier's word,
// an operator's decision): it waits for the holder to let go, at most a
// lease's time, then gives up with ErrBusy.
func (s *Service) awaitLease(ctx context.Context, id string) (*lease, error) {
	deadline := time.Now().Add(s.cfg.Lease)
	wait := 5 * time.Millisecond
	for {
		l, ok, err := s.tryLease(ctx, id)
		if err != nil || ok {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("order %s: %w", id, ErrBusy)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// lease is a lease held by this instance, renewed in the background until
// stopped.
type lease struct {
	s    *Service
	id   string
	stop chan struct{}
	done chan struct{}
	// ending is set while the step's last transaction deletes the lease
	// (dropIn), so a renewal that finds it gone knows why; gone once that
	// transaction has committed, and release has nothing left to delete.
	ending atomic.Bool
	gone   bool
}

// keep renews order id's lease every third of its length until the
// lease is stopped. A renewal that finds the lease gone is logged: the
// step's writes will be refused by fence, which is what keeps the order
// safe; the step itself is not cut short, since a supplier call cut in
// half is an unknown outcome for no gain.
func (s *Service) keep(id string) *lease {
	l := &lease{s: s, id: id, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			until := syncd.FormatTime(s.cfg.Now().Add(s.cfg.Lease))
			res, err := s.w(nil).ExecContext(context.Background(), qRenewLease, until, id, s.cfg.Instance)
			if err != nil {
				s.log.Warn("renew order lease", "order", id, "err", err)
				continue
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if l.ending.Load() {
					return // the step's last transaction let it go
				}
				s.log.Error("order lease lost to another instance", "order", id, "instance", s.cfg.Instance)
				return
			}
		}
	}()
	return l
}

// halt stops renewing the lease and leaves it in place: what a step cut
// short by a crash leaves behind (deferred, so runtime.Goexit in tests
// ends the renewing too).
func (l *lease) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}

// release ends the step: the lease stops and goes, and the order is
// anyone's again. Not by ctx: a step that ended must let go.
func (l *lease) release() {
	l.halt()
	if l.gone {
		return
	}
	if _, err := l.s.w(nil).ExecContext(context.Background(), qReleaseLease, l.id, l.s.cfg.Instance); err != nil {
		// It expires on its own; until then the order waits.
		l.s.log.Warn("release order lease", "order", l.id, "err", err)
	}
}

// dropIn deletes the lease in tx, the step's last write transaction, which
// fence has checked: the lease goes with the step's last write, one
// statement on the writer fewer than release's own. The caller calls
// dropped with whether tx committed.
func (l *lease) dropIn(ctx context.Context, tx *sqlx.Tx) error {
	l.ending.Store(true)
	if _, err := l.s.w(tx).ExecContext(ctx, qReleaseLease, l.id, l.s.cfg.Instance); err != nil {
		return fmt.Errorf("release lease of order %s: %w", l.id, err)
	}
	return nil
}

// dropped records whether dropIn's transaction committed: if it did,
// release only stops the renewing; if not, the lease is still held.
func (l *lease) dropped(committed bool) {
	l.gone = committed
	l.ending.Store(committed)
}

// fence refuses a step's write in tx unless the order's lease is still
// this instance's. On PostgreSQL the lease's row stays locked until tx
// ends, so no other instance can take the order between the check and
// the commit; on SQLite the write transaction already excludes every
// other writer.
func (s *Service) fence(ctx context.Context, tx *sqlx.Tx, id string) error {
	var owner string
	err := sqlx.GetContext(ctx, s.w(tx), &owner, s.qFence, id)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && owner != s.cfg.Instance:
		return fmt.Errorf("order %s: %w", id, errLeaseLost)
	case err != nil:
		return fmt.Errorf("lease of order %s: %w", id, err)
	}
	return nil
}

// fenceQuery is qLeaseOwner, locking the row where other writers run
// beside this one.
func fenceQuery(d syncd.Dialect) string {
	if d == syncd.Postgres {
		return qLeaseOwner + ` FOR UPDATE`
	}
	return qLeaseOwner
}
