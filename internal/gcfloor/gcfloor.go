// Package gcfloor keeps Go's garbage collector from running while the heap
// is small: the next collection starts when the heap reaches the larger of
// a floor and what GOGC=100 would let it reach.
//
// Why: with the default GOGC=100 the next collection starts when the heap
// has grown by as much as is live. A syncd serving a small catalog keeps a
// few MB live (snapshot bodies, templates, connection buffers) and
// allocates a few KB per request, so it collected every thousand or so
// requests, and each collection marked those few MB on one of the
// machine's cores while requests waited for it (issue 17: up to a third of
// the read path's CPU and most of the orders' tail). A floor of tens of MB
// costs that much memory at most, and only while the live heap is small:
// once twice the live heap passes the floor, GOGC is back to 100, so a
// large catalog's peak heap is what it was (issue 17's memory row).
//
// It is the technique of Uber's GOGC tuner and of the "heap ballast"
// before Go 1.19, done with the runtime's own knobs: after every
// collection (a finalizer on a sentinel object, re-armed each time) it
// reads the live heap from runtime/metrics and sets GOGC so that the next
// goal is max(floor, 2×live). GOMEMLIMIT, when set, still caps the heap.
//
// gcfloor imports only the standard library.
package gcfloor

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
)

// Default is syncd's floor unless SYNCD_GC_FLOOR says otherwise: tens of
// MB is little beside a server's memory and far above a small catalog's
// live heap.
const Default = 64 << 20

// Base is the GOGC used once the floor no longer matters: Go's default.
const Base = 100

// heapMinimum is the runtime's smallest heap goal at GOGC=100. The
// runtime scales it with GOGC (runtime/mgcpacer.go: heapMinimum =
// 4 MB × GOGC/100), so a GOGC above floor/heapMinimum×100 would put the
// goal past the floor while the live heap is tiny, or before the first
// collection.
const heapMinimum = 4 << 20

// Percent is the GOGC that makes the next collection's goal
// max(floor, live×(1+Base/100)) for a live heap of live bytes, within the
// runtime's scaled minimum: never a goal above the larger of the two.
func Percent(live, floor uint64) int {
	most := floor * 100 / heapMinimum
	if most <= Base || live*(100+Base)/100 >= floor {
		return Base
	}
	if live == 0 {
		return int(most)
	}
	return int(min((floor-live)*100/live, most))
}

// The process has one GOGC, so it has one tuner. Start and stop count
// who uses it: while several do (tests run several servers in one
// process), the largest floor holds, and GOGC is restored when the last
// stops.
var tuner struct {
	mu     sync.Mutex
	floors map[int]uint64 // by the Start call that set it
	next   int
	before int // GOGC when the first of them started
	gen    int // the sentinel in service; an older one retires
	sample []metrics.Sample
}

// sentinel is the object whose finalizer runs after each collection. The
// pointer keeps it out of the tiny allocator's combined blocks, whose
// finalizers may never run.
type sentinel struct {
	gen int
	_   *byte
}

// Start tunes GOGC after every collection until the returned function is
// called; when no other Start's tuning is left, that restores the GOGC in
// force before. A floor of 0 tunes nothing, and neither does any floor
// while GOGC is set in the environment (Overridden): whoever set it
// chose the collector's pace.
func Start(floor uint64) (stop func()) {
	if floor == 0 || Overridden() {
		return func() {}
	}
	tuner.mu.Lock()
	defer tuner.mu.Unlock()
	if tuner.floors == nil {
		tuner.floors = map[int]uint64{}
		tuner.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	}
	if len(tuner.floors) == 0 {
		tuner.before = debug.SetGCPercent(Base)
		tuner.gen++
		runtime.SetFinalizer(&sentinel{gen: tuner.gen}, fire)
	}
	id := tuner.next
	tuner.next++
	tuner.floors[id] = floor
	tuneLocked()
	var once sync.Once
	return func() {
		once.Do(func() {
			tuner.mu.Lock()
			defer tuner.mu.Unlock()
			delete(tuner.floors, id)
			if len(tuner.floors) == 0 {
				debug.SetGCPercent(tuner.before)
				return
			}
			tuneLocked()
		})
	}
}

// Overridden reports whether GOGC is set in the environment, which wins
// over any floor.
func Overridden() bool { return os.Getenv("GOGC") != "" }

// fire runs on the finalizer goroutine after the collection that found s
// unreachable; setting the finalizer again resurrects s for the next one.
func fire(s *sentinel) {
	tuner.mu.Lock()
	defer tuner.mu.Unlock()
	if s.gen != tuner.gen || len(tuner.floors) == 0 {
		return // stopped, perhaps started again with a sentinel of its own
	}
	tuneLocked()
	runtime.SetFinalizer(s, fire)
}

// tuneLocked sets GOGC for the live heap the last collection found and the
// largest floor asked for.
func tuneLocked() {
	var floor uint64
	for _, f := range tuner.floors {
		floor = max(floor, f)
	}
	metrics.Read(tuner.sample)
	var live uint64
	if tuner.sample[0].Value.Kind() == metrics.KindUint64 {
		live = tuner.sample[0].Value.Uint64()
	}
	debug.SetGCPercent(Percent(live, floor))
}

// ParseSize reads a size as GOMEMLIMIT is written: bytes, or a whole
// number with a B, KiB, MiB, GiB or TiB suffix.
func ParseSize(v string) (uint64, error) {
	v = strings.TrimSpace(v)
	num, mult := v, uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, fmt.Errorf("%q is not a size such as 64MiB (B, KiB, MiB, GiB, TiB)", v)
	}
	return n * mult, nil
}
