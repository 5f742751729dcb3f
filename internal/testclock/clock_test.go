package testclock

import (
	"testing"
	"time"
)

func TestAtStandsStillUntilMoved(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := At(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now: got %v, want %v", got, t0)
	}
	c.Add(90 * time.Second)
	if got, want := c.Now(), t0.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Add: got %v, want %v", got, want)
	}
	t1 := t0.Add(-time.Hour)
	c.Set(t1)
	if got := c.Now(); !got.Equal(t1) {
		t.Fatalf("after Set: got %v, want %v", got, t1)
	}
}

func TestLiveFollowsTheWallClockPlusWhatIsAdded(t *testing.T) {
	c := Live()
	before := time.Now()
	if got := c.Now(); got.Before(before) {
		t.Fatalf("Now: got %v, before the wall clock's %v", got, before)
	}
	c.Add(time.Hour)
	if got, floor := c.Now(), before.Add(time.Hour); got.Before(floor) {
		t.Fatalf("after Add: got %v, want at least %v", got, floor)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c.Set(t0)
	c.Add(time.Minute)
	if got, want := c.Now(), t0.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("after Set and Add: got %v, want %v", got, want)
	}
}
