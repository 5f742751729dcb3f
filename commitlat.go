package syncd

import (
	"sync/atomic"
	"time"
)

// How long durable commits take. An order waits for two of them in turn
// (its intake before the supplier is called, the supplier's answer before
// the storefront is told), and each is mostly the disk's fsync: its tail,
// not syncd's code, is what the orders' tail stands on when the disk has
// a slow moment (issue 17, row 5). So the database times every durable
// commit into fixed buckets, for syncd_db_durable_commit_seconds: an
// operator sees the disk's part of an order's latency directly, and a
// benchmark can tell a slow run of the disk from a slow run of syncd.

// CommitBounds are the upper bounds of the commit latency buckets. Under
// half a millisecond is this machine's disk at its median (an fsync is
// about 0.2 ms); the rest spread out to the stalls a busy disk has.
var CommitBounds = [...]time.Duration{
	250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, time.Second,
}

// CommitLatency is a histogram of durable commits' durations: Counts[i]
// is how many took at most CommitBounds[i] and more than the bound
// before it, Counts[len(CommitBounds)] how many took longer than the
// last; Sum is their total time.
type CommitLatency struct {
	Counts []uint64
	Sum    time.Duration
}

// Count is how many commits the histogram holds.
func (h CommitLatency) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Over is how many commits took longer than d, which must be one of
// CommitBounds (it panics otherwise: a bound between buckets cannot be
// counted exactly).
func (h CommitLatency) Over(d time.Duration) uint64 {
	for i, b := range CommitBounds {
		if b == d {
			var n uint64
			for _, c := range h.Counts[i+1:] {
				n += c
			}
			return n
		}
	}
	panic("syncd: CommitLatency.Over: " + d.String() + " is not a bucket bound")
}

// Sub is the commits in h and not in before: the histogram of what
// happened between two reads.
func (h CommitLatency) Sub(before CommitLatency) CommitLatency {
	d := CommitLatency{Counts: make([]uint64, len(h.Counts)), Sum: h.Sum - before.Sum}
	for i := range h.Counts {
		d.Counts[i] = h.Counts[i]
		if i < len(before.Counts) {
			d.Counts[i] -= before.Counts[i]
		}
	}
	return d
}

// Add is the commits in h and in other together: the histogram of several
// databases.
func (h CommitLatency) Add(other CommitLatency) CommitLatency {
	s := CommitLatency{Counts: make([]uint64, max(len(h.Counts), len(other.Counts))), Sum: h.Sum + other.Sum}
	for i := range s.Counts {
		if i < len(h.Counts) {
			s.Counts[i] += h.Counts[i]
		}
		if i < len(other.Counts) {
			s.Counts[i] += other.Counts[i]
		}
	}
	return s
}

// commitTimes is the live histogram, updated without a lock.
type commitTimes struct {
	counts [len(CommitBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (t *commitTimes) observe(d time.Duration) {
	i := 0
	for i < len(CommitBounds) && d > CommitBounds[i] {
		i++
	}
	t.counts[i].Add(1)
	t.sum.Add(int64(d))
}

func (t *commitTimes) read() CommitLatency {
	h := CommitLatency{Counts: make([]uint64, len(t.counts)), Sum: time.Duration(t.sum.Load())}
	for i := range t.counts {
		h.Counts[i] = t.counts[i].Load()
	}
	return h
}
