package syncd

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// TestCommitLatencyBuckets: a duration lands in the first bucket whose
// bound it does not exceed (a bound belongs to its own bucket, as
// Prometheus's le says), anything past the last bound in the overflow,
// and Over, Sub and Count read the buckets back.
func TestCommitLatencyBuckets(t *testing.T) {
	var ct commitTimes
	for _, d := range []time.Duration{
		0,                             // bucket 0
		250 * time.Microsecond,        // bucket 0: on its bound
		251 * time.Microsecond,        // bucket 1
		2 * time.Millisecond,          // bucket 3
		2*time.Millisecond + 1,        // bucket 4
		time.Second,                   // the last bucket
		time.Second + time.Nanosecond, // overflow
		time.Hour,                     // overflow
	} {
		ct.observe(d)
	}
	before := ct.read()
	want := []uint64{2, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 2}
	if !slices.Equal(before.Counts, want) {
		t.Fatalf("counts: %v, want %v", before.Counts, want)
	}
	if before.Count() != 8 {
		t.Errorf("count: %d, want 8", before.Count())
	}
	if wantSum := 2*time.Second + time.Hour + 2*time.Millisecond*2 + 501*time.Microsecond + 2; before.Sum != wantSum {
		t.Errorf("sum: %v, want %v", before.Sum, wantSum)
	}
	if got := before.Over(2 * time.Millisecond); got != 4 {
		t.Errorf("over 2ms: %d, want 4", got)
	}
	if got := before.Over(time.Second); got != 2 {
		t.Errorf("over 1s: %d, want 2", got)
	}
	ct.observe(3 * time.Millisecond)
	d := ct.read().Sub(before)
	if d.Count() != 1 || d.Over(2*time.Millisecond) != 1 || d.Over(5*time.Millisecond) != 0 || d.Sum != 3*time.Millisecond {
		t.Errorf("since: %+v, want one commit of 3ms", d)
	}
	if sum := d.Add(before); sum.Count() != 9 || sum.Over(2*time.Millisecond) != 5 || sum.Sum != before.Sum+3*time.Millisecond {
		t.Errorf("two histograms added: %+v, want the 8 and the one", sum)
	}
	if empty := (CommitLatency{}).Add(d); !slices.Equal(empty.Counts, d.Counts) {
		t.Errorf("added to nothing: %v, want %v", empty.Counts, d.Counts)
	}
	defer func() {
		if recover() == nil {
			t.Error("Over a duration that is no bound: no panic")
		}
	}()
	before.Over(3 * time.Millisecond)
}

// TestDurableCommitsAreTimed: on SQLite every fsynced commit is timed
// once, a commit shared by several transactions once; a refused
// transaction and a plain write are not.
func TestDurableCommitsAreTimed(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	insert := func(key string) func(tx *sqlx.Tx) error {
		return func(tx *sqlx.Tx) error {
			_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES (?, 'x')`, key)
			return err
		}
	}
	start := db.Stats()
	if err := db.InDurableTx(ctx, insert("alone")); err != nil {
		t.Fatal(err)
	}
	if err := db.InDurableTx(ctx, func(*sqlx.Tx) error { return errors.New("refused") }); err == nil {
		t.Fatal("refused transaction: no error")
	}
	if _, err := db.Write.Exec(`INSERT INTO meta (key, value) VALUES ('plain', 'x')`); err != nil {
		t.Fatal(err)
	}
	// Three behind a held one: two commits between them.
	release := make(chan struct{})
	waitHeld := holdWriter(t, db, release)
	var wg sync.WaitGroup
	for _, k := range []string{"a", "b", "c"} {
		wg.Go(func() {
			if err := db.InDurableTx(ctx, insert(k)); err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, db, 3)
	close(release)
	wg.Wait()
	waitHeld()

	st := db.Stats()
	commits := st.DurableCommits - start.DurableCommits
	timed := st.CommitLatency.Sub(start.CommitLatency)
	if commits != 3 || timed.Count() != 3 {
		t.Errorf("commits %d, timed %d; want 3 and 3 (alone, held, the shared one)", commits, timed.Count())
	}
	if timed.Sum <= 0 {
		t.Errorf("timed commits took %v in all", timed.Sum)
	}
}
