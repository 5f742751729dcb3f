package syncd

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// Checkpoints off the writer. SQLite copies the WAL back into the database
// file (a checkpoint) in whichever connection commits past
// wal_autocheckpoint pages (1000 by default): that commit writes those
// pages and fsyncs the file before it returns, about 3 ms here, and every
// transaction queued behind it on the one writer waits as long. At 300
// orders a second that was one commit in seventy and most of the orders'
// p99 (issue 17). So a connection of its own checkpoints in the
// background, PASSIVE (it never blocks the writer or a reader: it copies
// what no reader still needs and leaves the rest for next time), every
// checkpointEvery; the writer's own threshold stays, raised, as a backstop.
//
// The price is WAL size. SQLite starts the WAL over from its beginning
// only once a checkpoint has copied every frame in it, and a background
// checkpoint under a steady stream of commits always leaves the few
// committed while it ran. So under sustained writes the WAL grows to the
// backstop (40 MB) before the writer's own checkpoint, which then has
// only the last quarter second's frames to copy, lets it start over; the
// file keeps its size and is written over after that (it was about 4 MB).
// A pause in the writes longer than checkpointEvery restarts it sooner.
const (
	checkpointEvery = 250 * time.Millisecond
	// writerCheckpointPages is wal_autocheckpoint on the writer: 10,000
	// pages (40 MB of WAL) is far more than checkpointEvery lets gather
	// at any rate syncd writes.
	writerCheckpointPages = 10000
)

// checkpointer runs background checkpoints on a connection of its own.
type checkpointer struct {
	conn *sqlx.DB
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once

	// last is the last checkpoint's result, for tests: the WAL's frames
	// and how many of them are now in the database file.
	mu        sync.Mutex
	walFrames int
	copied    int
	runs      atomic.Int64
	failed    atomic.Int64
}

// startCheckpointer opens the checkpointer's connection with dsn and
// starts it; nil if the connection cannot be opened (the writer's own
// threshold then checkpoints, as SQLite does by default).
func startCheckpointer(dsn string) *checkpointer {
	conn, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	c := &checkpointer{conn: conn, stop: make(chan struct{})}
	c.done.Go(c.loop)
	return c
}

func (c *checkpointer) loop() {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.checkpoint()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint. A failure (the database busy
// with another checkpoint, say) is left for the next tick: the WAL only
// grows meanwhile, and the writer's backstop bounds it.
func (c *checkpointer) checkpoint() {
	var busy, log, copied int
	err := c.conn.QueryRowxContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
	if err != nil {
		c.failed.Add(1)
		return
	}
	c.mu.Lock()
	c.walFrames, c.copied = log, copied
	c.mu.Unlock()
	c.runs.Add(1)
}

// close stops the checkpoints and closes the connection; again, nothing.
func (c *checkpointer) close() (err error) {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		c.done.Wait()
		err = c.conn.Close()
	})
	return err
}

// Stats is what the database counts of its own work, for metrics.
type Stats struct {
	// DurableTxs is how many durable transactions ran (InDurableTx), and
	// DurableCommits how many commits made them durable: fewer on SQLite
	// when transactions shared a commit.
	DurableTxs, DurableCommits int64
	// CommitLatency is how long those commits took.
	CommitLatency CommitLatency
	// Checkpoints and CheckpointsFailed count the background checkpoints
	// (SQLite). WALBacklog is the frames the last one left in the WAL,
	// because a reader still needed them: growing, the WAL is not being
	// copied back (a reader that never ends its transaction).
	Checkpoints, CheckpointsFailed int64
	WALBacklog                     int64
}

// Stats returns the database's counts.
func (db *DB) Stats() Stats {
	st := Stats{DurableTxs: db.durableTxs.Load(), DurableCommits: db.commits.Load(), CommitLatency: db.commitTimes.read()}
	if c := db.ckpt; c != nil {
		st.Checkpoints, st.CheckpointsFailed = c.runs.Load(), c.failed.Load()
		c.mu.Lock()
		st.WALBacklog = int64(c.walFrames - c.copied)
		c.mu.Unlock()
	}
	return st
}
