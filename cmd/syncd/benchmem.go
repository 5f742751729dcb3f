package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// memMeter measures the memory of each phase of syncd bench: the peak Go
// heap sampled while the phase ran, and the process's peak resident set
// during it. The kernel's high-water mark is reset at each phase's start
// (/proc/self/clear_refs), so a phase's RSS is its own, not the largest
// seen since the process began; the run's peak is the largest of them.
type memMeter struct {
	phases []memPhase
	// profile, when set, is the prefix of a heap profile written at the
	// end of each phase (PREFIX-NN-phase.pb.gz).
	profile string
	// resets says the kernel accepted every high-water reset; if not, a
	// phase's RSS is the peak since the process started.
	resets bool
}

type memPhase struct {
	name string
	heap uint64 // bytes: objects, live and not yet collected
	live uint64 // bytes: the largest heap a collection found live
	rss  uint64 // bytes
}

func newMemMeter(profile string) *memMeter { return &memMeter{profile: profile, resets: true} }

// phase starts measuring a phase; the returned function ends it.
func (m *memMeter) phase(name string) (end func() error) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		m.resets = false
	}
	var atPeak func()
	if m.profile != "" {
		// The heap profile describes the last collection: written when a
		// collection finds more live than any before in the phase, it
		// says what that live heap is.
		path := m.path(len(m.phases)+1, name, "-peak")
		atPeak = func() {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	stop := sampleHeap(atPeak)
	return func() error {
		p := memPhase{name: name, rss: peakRSSBytes()}
		p.heap, p.live = stop()
		m.phases = append(m.phases, p)
		if m.profile == "" {
			return nil
		}
		// After a collection, so the profile is what the phase left live,
		// not what was live at whichever collection ran last in it.
		runtime.GC()
		f, err := os.Create(m.path(len(m.phases), name, ""))
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("heap").WriteTo(f, 0)
	}
}

func (m *memMeter) path(n int, phase, suffix string) string {
	slug := strings.NewReplacer(" ", "-", ",", "", ":", "", "/", "-").Replace(phase)
	return fmt.Sprintf("%s-%02d-%s%s.pb.gz", m.profile, n, slug, suffix)
}

// peakRSS is the largest resident set of the phases measured so far.
func (m *memMeter) peakRSS() uint64 {
	var peak uint64
	for _, p := range m.phases {
		peak = max(peak, p.rss)
	}
	return peak
}

// heapOf is the peak heap of the named phase, 0 if it was not measured.
func (m *memMeter) heapOf(name string) uint64 {
	for _, p := range m.phases {
		if p.name == name {
			return p.heap
		}
	}
	return 0
}

// write prints one line per phase and the run's peak.
func (m *memMeter) write(w io.Writer) {
	fmt.Fprintln(w, "\nMemory by phase (peak Go heap: objects live and not yet collected, sampled every 5 ms; live: the most a collection")
	fmt.Fprintln(w, "found live, what the next collection's goal is twice of; peak RSS: the kernel's high-water mark during the phase)")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tpeak heap\tlive\tpeak RSS\t")
	for _, p := range m.phases {
		fmt.Fprintf(tw, "%s\t%d MB\t%d MB\t%d MB\t\n", p.name, p.heap>>20, p.live>>20, p.rss>>20)
	}
	fmt.Fprintf(tw, "whole run\t\t\t%d MB\t\n", m.peakRSS()>>20)
	tw.Flush()
	if !m.resets {
		fmt.Fprintln(w, "(the kernel refused to reset the high-water mark: each phase's RSS is the peak since the start)")
	}
}

// sampleHeap records the largest Go heap (live objects and garbage not
// yet collected) and the largest live heap a collection found, seen until
// the returned function is called, sampling every 5 ms without stopping
// the world. atPeak, if set, is called when the live heap grows.
func sampleHeap(atPeak func()) (stop func() (heap, live uint64)) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var peak, peakLive uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			if live := sample[1].Value.Uint64(); live > peakLive {
				peakLive = live
				if atPeak != nil {
					atPeak()
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-finished // the sampler's writes happen before this returns
		return peak, peakLive
	}
}

// peakRSSBytes reads the process's high-water resident set from /proc (0
// when it cannot).
func peakRSSBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
