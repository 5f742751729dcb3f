package group

import (
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

type job struct {
	n      int
	result int
	batch  int // the batch that ran it
}

// TestEveryItemRunsOnceInOrder: many callers at once, each item run in
// exactly one batch, batches never overlapping, items of a batch in the
// order they were queued, and the batches bounded by max.
func TestEveryItemRunsOnceInOrder(t *testing.T) {
	var running, batches atomic.Int32
	var mu sync.Mutex
	seen := map[int]int{}
	sizes := []int{}
	b := New(8, func(batch []*job) {
		if running.Add(1) != 1 {
			t.Error("two batches ran at once")
		}
		defer running.Add(-1)
		id := int(batches.Add(1))
		mu.Lock()
		sizes = append(sizes, len(batch))
		mu.Unlock()
		for _, j := range batch {
			mu.Lock()
			seen[j.n]++
			mu.Unlock()
			j.result, j.batch = j.n*2, id
		}
	})
	const callers = 500
	jobs := make([]*job, callers)
	var wg sync.WaitGroup
	for i := range callers {
		jobs[i] = &job{n: i}
		wg.Go(func() {
			if err := b.Do(jobs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, j := range jobs {
		if seen[i] != 1 || j.result != 2*i {
			t.Fatalf("item %d: run %d times, result %d; want once, %d", i, seen[i], j.result, 2*i)
		}
	}
	if len(sizes) == callers {
		t.Logf("no batch held more than one item (the callers never overlapped)")
	}
	if m := slices.Max(sizes); m > 8 {
		t.Fatalf("a batch of %d items, want at most 8", m)
	}
	if b.busy || len(b.queue) != 0 {
		t.Fatalf("after every caller returned: busy %v, %d queued", b.busy, len(b.queue))
	}
}

// TestCallersWaitForTheirBatch: items queued while a batch runs are run
// together in the next one, and Do returns only after its item ran.
func TestCallersWaitForTheirBatch(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var sizes []int
	b := New(0, func(batch []*job) {
		sizes = append(sizes, len(batch))
		if len(sizes) == 1 {
			close(started)
			<-release
		}
		for _, j := range batch {
			j.result = 1
		}
	})
	first := &job{}
	var wg sync.WaitGroup
	wg.Go(func() { b.Do(first) })
	<-started
	later := make([]*job, 5)
	for i := range later {
		later[i] = &job{}
		wg.Go(func() {
			b.Do(later[i])
			if later[i].result != 1 {
				t.Error("Do returned before its item ran")
			}
		})
	}
	// Wait until all five are queued behind the running batch.
	waitQueued(b, 5)
	close(release)
	wg.Wait()
	if !slices.Equal(sizes, []int{1, 5}) {
		t.Fatalf("batch sizes: got %v, want [1 5]", sizes)
	}
}

// TestPanicAbandonsTheBatchNotTheBatcher: a run that panics takes its
// batch with it (its other callers get ErrAbandoned) and the next batch
// still runs.
func TestPanicAbandonsTheBatchNotTheBatcher(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	calls := 0
	b := New(0, func(batch []*job) {
		calls++
		switch calls {
		case 1:
			close(started)
			<-release
		case 2:
			panic("boom")
		}
		for _, j := range batch {
			j.result = 1
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() { b.Do(&job{}) })
	<-started
	errs := make([]error, 3)
	panicked := make([]bool, 3)
	for i := range 3 {
		wg.Go(func() {
			defer func() { panicked[i] = recover() != nil }()
			errs[i] = b.Do(&job{n: i})
		})
	}
	waitQueued(b, 3)
	close(release)
	wg.Wait()
	leaders, abandonedN := 0, 0
	for i := range 3 {
		switch {
		case panicked[i]:
			leaders++
		case errors.Is(errs[i], ErrAbandoned):
			abandonedN++
		default:
			t.Fatalf("caller %d: no panic and err %v; want the panic or ErrAbandoned", i, errs[i])
		}
	}
	if leaders != 1 || abandonedN != 2 {
		t.Fatalf("got %d panics and %d abandoned, want 1 and 2", leaders, abandonedN)
	}
	after := &job{}
	if err := b.Do(after); err != nil || after.result != 1 {
		t.Fatalf("after the panic: err %v, result %d; want the batch run", err, after.result)
	}
}

// waitQueued waits until n items wait behind the running batch.
func waitQueued(b *Batcher[*job], n int) {
	for b.Queued() < n {
		runtime.Gosched()
	}
}
