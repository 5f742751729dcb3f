// Package group runs work in batches, for group commit: callers hand in
// one item each and wait; whichever finds nothing running runs the batch
// of everything queued, and when it is done hands the next batch to the
// first caller that queued behind it. There is no goroutine of its own:
// under a stream of callers one batch runs at a time and each takes all
// that arrived while the one before ran, so the cost of a batch (a
// durable commit, a reprice) is paid once per batch rather than once per
// item; a lone caller runs alone at once, without waiting for company.
//
// group imports only the standard library.
package group

import (
	"errors"
	"sync"
)

// ErrAbandoned is returned to the callers whose batch's run panicked;
// the panic itself goes on in the caller that ran it.
var ErrAbandoned = errors.New("group: the batch's run panicked")

// Batcher batches items of type T for one run function.
type Batcher[T any] struct {
	run func(batch []T)
	max int

	mu    sync.Mutex
	queue []*entry[T]
	busy  bool // a batch is running, or its runner is handing over
}

type entry[T any] struct {
	item T
	// turn says what became of the entry: lead (run the next batch, with
	// this entry first in it), done, or abandoned.
	turn chan turn
}

type turn int

const (
	done turn = iota
	lead
	abandoned
)

// New returns a Batcher whose batches run runs, at most max items at a
// time (max ≤ 0: no limit). run gets the items in the order they were
// queued and must record each one's result in the item itself (T is
// usually a pointer); it never runs twice at once.
func New[T any](max int, run func(batch []T)) *Batcher[T] {
	return &Batcher[T]{run: run, max: max}
}

// Queued is how many items wait for a batch (not counting a running
// one's).
func (b *Batcher[T]) Queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.busy {
		return 0
	}
	return len(b.queue)
}

// Do queues item and returns once a batch holding it has run: at once,
// run by this caller, if nothing is running; otherwise after the batch
// before it. It returns ErrAbandoned if that batch's run panicked in
// another caller (the item's result is then unknown).
func (b *Batcher[T]) Do(item T) error {
	e := &entry[T]{item: item, turn: make(chan turn, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, e)
	if b.busy {
		b.mu.Unlock()
		switch <-e.turn {
		case done:
			return nil
		case abandoned:
			return ErrAbandoned
		}
		b.mu.Lock()
	}
	b.busy = true
	// The caller leads: it is at the head of the queue, since the queue
	// was empty when nothing ran and the runner before handed over to
	// its head.
	n := len(b.queue)
	if b.max > 0 {
		n = min(n, b.max)
	}
	batch := b.queue[:n:n]
	b.queue = append([]*entry[T](nil), b.queue[n:]...)
	b.mu.Unlock()

	items := make([]T, len(batch))
	for i, x := range batch {
		items[i] = x.item
	}
	finished := false
	defer func() {
		outcome := done
		if !finished {
			outcome = abandoned // run panicked: the panic goes on from here
		}
		b.mu.Lock()
		var next *entry[T]
		if len(b.queue) > 0 {
			next = b.queue[0]
		} else {
			b.busy = false
		}
		b.mu.Unlock()
		for _, x := range batch[1:] {
			x.turn <- outcome
		}
		if next != nil {
			next.turn <- lead
		}
	}()
	b.run(items)
	finished = true
	return nil
}
