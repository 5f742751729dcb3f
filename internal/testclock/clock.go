// Package testclock is the movable clock of syncd's tests: a test jumps
// past poll intervals, timeouts and expiries instead of sleeping. Code
// under test takes it as its `now func() time.Time` (clock.Now).
//
// It imports nothing of ours, so any package's tests may use it, the
// simulators' and the domain's internal tests included.
package testclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use: the code under test reads it from its
// own goroutines while the test moves it.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	live bool          // follows the wall clock, offset by skew
	skew time.Duration // what Add has moved a live clock by
}

// At is a clock standing still at t until the test moves it.
func At(t time.Time) *Clock { return &Clock{t: t} }

// Live is a clock that follows the wall clock, moved ahead by whatever
// Add adds, until Set stops it at a time: for code that also runs on the
// real time (background routing, webhooks) while a test jumps ahead.
func Live() *Clock { return &Clock{live: true} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		return time.Now().Add(c.skew)
	}
	return c.t
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t, c.live, c.skew = t, false, 0
}

// Add moves the clock ahead by d (back, if d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		c.skew += d
		return
	}
	c.t = c.t.Add(d)
}
