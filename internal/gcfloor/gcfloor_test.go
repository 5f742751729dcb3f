package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live, floor uint64
		want        int
	}{
		{4 * mib, 64 * mib, 1500},  // goal 4 × 16 = 64 MiB
		{2 * mib, 64 * mib, 1600},  // capped: 4 MiB × 16 is the floor already
		{0, 64 * mib, 1600},        // before the first collection
		{30 * mib, 64 * mib, 113},  // 30 × 2.13 ≈ 64
		{32 * mib, 64 * mib, Base}, // 2 × live reaches the floor
		{500 * mib, 64 * mib, Base},
		{1 * mib, 2 * mib, Base}, // a floor below the runtime's own minimum
	} {
		if got := Percent(c.live, c.floor); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.floor/mib, got, c.want)
		}
		goal := max(c.live*uint64(100+Percent(c.live, c.floor))/100, heapMinimum*uint64(Percent(c.live, c.floor))/100)
		if c.live*2 < c.floor && goal > c.floor {
			t.Errorf("live %d MiB, floor %d MiB: goal %d MiB is above the floor", c.live/mib, c.floor/mib, goal/mib)
		}
	}
}

// read is one runtime metric's current value.
func read(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// gogcBecomes waits (10 s at most) for the tuner, on the finalizer
// goroutine, to set GOGC for the last collection's live heap and floor
// (0: want Base).
func gogcBecomes(t *testing.T, floor uint64) {
	t.Helper()
	for range 1000 {
		if read("/gc/gogc:percent") == uint64(Percent(read("/gc/heap/live:bytes"), floor)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("GOGC is %d, want %d", read("/gc/gogc:percent"), Percent(read("/gc/heap/live:bytes"), floor))
}

var sink []byte

// churn allocates n bytes of short-lived garbage, 4 KiB at a time, and
// returns how many collections ran meanwhile.
func churn(n int) uint64 {
	before := read("/gc/cycles/total:gc-cycles")
	for range n / 4096 {
		sink = make([]byte, 4096)
	}
	sink = nil
	return read("/gc/cycles/total:gc-cycles") - before
}

// The floor is what it says: while little is live, a heap's worth of
// garbage below the floor runs no collection where GOGC=100 runs several;
// once much is live GOGC is back to 100; stop restores GOGC.
func TestTheFloorHoldsOffCollections(t *testing.T) {
	skipIfOverridden(t)
	defer debug.SetGCPercent(debug.SetGCPercent(Base))
	runtime.GC()
	// Twice the garbage the floor is judged on, so the premise holds with
	// room to spare (one run under -race counted 3 collections in 48 MiB).
	without := churn(96 * mib)

	stop := Start(64 * mib)
	defer stop() // a second call changes nothing; a failure leaves no tuner behind
	runtime.GC()
	live := read("/gc/heap/live:bytes")
	gogcBecomes(t, 64*mib)
	if live > 8*mib {
		t.Fatalf("the test's own live heap is %d MiB: it assumes a small one", live/mib)
	}
	with := churn(48 * mib)
	t.Logf("%d KiB live: %d collections in 96 MiB of garbage at GOGC=%d, %d in 48 MiB with a 64 MiB floor", live>>10, without, Base, with)
	if without < 8 {
		t.Fatalf("%d collections without the floor: the test's premise (GOGC=100 collects every few MiB) does not hold", without)
	}
	if with > 1 {
		t.Errorf("%d collections with a 64 MiB floor, want at most 1", with)
	}

	// A live heap above half the floor: GOGC=100 again.
	big := make([][]byte, 48)
	for i := range big {
		big[i] = make([]byte, mib)
	}
	runtime.GC()
	gogcBecomes(t, 0)
	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	gogcBecomes(t, 64*mib)

	stop()
	if got := read("/gc/gogc:percent"); got != Base {
		t.Errorf("after stop GOGC is %d, want %d (what it was at Start)", got, Base)
	}
	debug.SetGCPercent(77)
	Start(64 * mib)()
	if got := read("/gc/gogc:percent"); got != 77 {
		t.Errorf("after stop GOGC is %d, want 77 (what it was at Start)", got)
	}
	runtime.GC()
	runtime.GC() // a stopped tuner's finalizer, if any ran, changes nothing
	time.Sleep(50 * time.Millisecond)
	if got := read("/gc/gogc:percent"); got != 77 {
		t.Errorf("a collection after stop set GOGC to %d, want 77", got)
	}
}

// Several users of the one tuner: the largest floor holds while both run,
// the other's when one stops, and GOGC comes back only when the last does.
func TestOverlappingStarts(t *testing.T) {
	skipIfOverridden(t)
	defer debug.SetGCPercent(debug.SetGCPercent(90))
	runtime.GC()
	big := Start(64 * mib)
	small := Start(16 * mib)
	defer big()
	defer small() // second calls change nothing; a failure leaves no tuner behind
	gogcBecomes(t, 64*mib)
	big()
	big() // a second call changes nothing
	runtime.GC()
	gogcBecomes(t, 16*mib)
	small()
	if got := read("/gc/gogc:percent"); got != 90 {
		t.Errorf("after the last stop GOGC is %d, want 90", got)
	}
	// Started again: a sentinel of its own; the old one, if any is left,
	// retires without touching GOGC.
	again := Start(64 * mib)
	defer again()
	runtime.GC()
	gogcBecomes(t, 64*mib)
	again()
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := read("/gc/gogc:percent"); got != 90 {
		t.Errorf("after stopping again GOGC is %d, want 90", got)
	}
}

// skipIfOverridden skips a test of the tuning when GOGC in the
// environment turns it off.
func skipIfOverridden(t *testing.T) {
	if Overridden() {
		t.Skip("GOGC is set in the environment: the floor stands aside")
	}
}

// GOGC in the environment wins: Start tunes nothing.
func TestGOGCInTheEnvironmentWins(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	stop := Start(64 * mib)
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := read("/gc/gogc:percent"); got != 150 {
		t.Errorf("GOGC is %d with GOGC=150 in the environment, want 150", got)
	}
	stop()
}

func TestAZeroFloorTunesNothing(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(55))
	Start(0)()
	if got := read("/gc/gogc:percent"); got != 55 {
		t.Errorf("GOGC is %d, want 55", got)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "64MiB": 64 << 20, "1GiB": 1 << 30, "512KiB": 512 << 10, "1000": 1000, "10B": 10, " 2TiB ": 2 << 40} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
