package syncd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// Group commit for SQLite's durable transactions. Each fsynced commit
// holds the one writer for the fsync's wait and CPU (about 0.3 ms of CPU
// here on top of the wait), and every order makes two: at a steady 300
// orders a second the writer is busy enough that an order arriving behind
// a burst waits for a queue of commits, and that queue is the orders'
// tail (issue 17). So the transactions that arrive while one commits
// share the next commit: they run one after the other inside one
// transaction, each in its own savepoint, and one fsynced commit makes
// them all durable.
//
// Nothing is weakened: no caller is answered before the commit that holds
// its work is on disk, nobody sees a transaction's writes before that
// commit (readers see committed data only, and the transactions of a
// batch run in turn, as they would on the one writer), and a transaction
// that fails is rolled back to its savepoint, alone. What a batch shares
// is its fate at the very end: if the commit itself fails, every
// transaction in it gets the error, as each would have if it had been
// committed alone at that moment.
//
// The one case where a transaction's failure reaches its neighbours:
// SQLite rolls back the whole transaction when a statement is
// interrupted (its context cancelled mid-statement) or fails with
// SQLITE_FULL, IOERR or NOMEM. The savepoint is then gone; the batch
// notices that, gives the transactions that had run in it an error (their
// work is not stored, and they have not been answered), and runs the rest
// in a new transaction.

// maxShared bounds how many transactions share one commit, so that the
// first of a batch does not wait behind an unbounded queue.
const maxShared = 64

// durableJob is one InDurableTx waiting for a commit.
type durableJob struct {
	ctx context.Context
	fn  func(tx *sqlx.Tx) error

	ran      bool // fn returned nil and its savepoint was released
	err      error
	panicked bool
	panicVal any
}

// ErrBatchRolledBack is returned to a durable transaction that ran but was
// rolled back with its batch, because SQLite rolled back the shared
// transaction on another one's failure (see above). Nothing of it is
// stored; it may be tried again.
var ErrBatchRolledBack = errors.New("durable transaction rolled back with its batch")

func (db *DB) inSharedDurableTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.durableTxs.Add(1)
	j := &durableJob{ctx: ctx, fn: fn}
	if err := db.durable.Do(j); err != nil {
		return err
	}
	if j.panicked {
		panic(j.panicVal)
	}
	return j.err
}

// runDurable runs a batch, in as few transactions as it takes: one,
// unless SQLite rolled the first back under it.
func (db *DB) runDurable(batch []*durableJob) {
	for len(batch) > 0 {
		batch = db.commitShared(batch)
	}
}

// commitShared runs jobs in one transaction on the writer's connection at
// synchronous=FULL and commits it. It returns the jobs it did not get to
// because the transaction was lost under it; every other job has its
// outcome.
func (db *DB) commitShared(jobs []*durableJob) (rest []*durableJob) {
	fail := func(err error) {
		for _, j := range jobs {
			if j.err == nil && !j.panicked {
				j.err = err
			}
			j.ran = false
		}
	}
	// The connection is waited for while any caller still waits: one
	// caller giving up does not fail the others.
	wait, stop := whileAnyWaits(jobs)
	defer stop()
	conn, err := db.Write.Connx(wait)
	if err != nil {
		fail(fmt.Errorf("writer connection: %w", err))
		return nil
	}
	defer conn.Close()
	// The transaction's own statements must not be cancelled by any one
	// caller: database/sql rolls back a transaction whose context ends.
	bg := context.Background()
	if _, err := conn.ExecContext(bg, "PRAGMA synchronous = FULL"); err != nil {
		fail(fmt.Errorf("durable transaction: %w", err))
		return nil
	}
	// Left at FULL if this fails: slower, never less safe.
	defer conn.ExecContext(bg, "PRAGMA synchronous = NORMAL")
	tx, err := conn.BeginTxx(bg, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return nil
	}
	defer tx.Rollback()

	if len(jobs) == 1 {
		// Alone: no savepoint, exactly a transaction of its own.
		j := jobs[0]
		if runJob(tx, j) {
			if err := db.commit(tx); err != nil {
				j.err = fmt.Errorf("commit: %w", err)
			}
		}
		return nil
	}
	for i, j := range jobs {
		if _, err := tx.ExecContext(bg, "SAVEPOINT durable_job"); err != nil {
			return lost(jobs, i, err)
		}
		if runJob(tx, j) {
			if _, err := tx.ExecContext(bg, "RELEASE durable_job"); err != nil {
				return lost(jobs, i, err)
			}
			continue
		}
		// The job's own failure: undo its part only. If SQLite already
		// rolled back the whole transaction, the savepoint is gone.
		if _, err := tx.ExecContext(bg, "ROLLBACK TO durable_job"); err != nil {
			return lost(jobs, i, err)
		}
		if _, err := tx.ExecContext(bg, "RELEASE durable_job"); err != nil {
			return lost(jobs, i, err)
		}
	}
	if !slices.ContainsFunc(jobs, func(j *durableJob) bool { return j.ran }) {
		return nil // nothing to commit: the deferred rollback ends it
	}
	if err := db.commit(tx); err != nil {
		err = fmt.Errorf("commit: %w", err)
		for _, j := range jobs {
			if j.ran {
				j.err = err
			}
		}
	}
	return nil
}

// lost settles a batch whose transaction SQLite rolled back while job i
// ran or was being closed: the jobs before i and i itself are not stored,
// and the jobs after it are to run again in a new transaction.
func lost(jobs []*durableJob, i int, cause error) []*durableJob {
	for _, j := range jobs[:i+1] {
		if j.err == nil && !j.panicked {
			j.err = fmt.Errorf("%w: %w", ErrBatchRolledBack, cause)
		}
		j.ran = false
	}
	return jobs[i+1:]
}

// runJob runs j's function in tx, unless its caller has given up, and
// reports whether it succeeded. A panic is caught, to be raised again in
// the caller's own goroutine once the batch is settled.
func runJob(tx *sqlx.Tx, j *durableJob) (ok bool) {
	if err := j.ctx.Err(); err != nil {
		j.err = err
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			j.panicked, j.panicVal, ok = true, r, false
		}
	}()
	if j.err = j.fn(tx); j.err != nil {
		return false
	}
	j.ran = true
	return true
}

// whileAnyWaits returns a context that ends once every job's context has
// ended, and a function to release it.
func whileAnyWaits(jobs []*durableJob) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var left atomic.Int64
	left.Store(int64(len(jobs)))
	stops := make([]func() bool, len(jobs))
	for i, j := range jobs {
		stops[i] = context.AfterFunc(j.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
