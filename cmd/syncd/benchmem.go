package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
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
	rss  uint64 // bytes
}

func newMemMeter(profile string) *memMeter { return &memMeter{profile: profile, resets: true} }

// phase starts measuring a phase; the returned function ends it.
func (m *memMeter) phase(name string) (end func() error) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		m.resets = false
	}
	stop := sampleHeap()
	return func() error {
		p := memPhase{name: name, heap: stop(), rss: peakRSSBytes()}
		m.phases = append(m.phases, p)
		if m.profile == "" {
			return nil
		}
		slug := strings.NewReplacer(" ", "-", ",", "", ":", "", "/", "-").Replace(name)
		f, err := os.Create(fmt.Sprintf("%s-%02d-%s.pb.gz", m.profile, len(m.phases), slug))
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("heap").WriteTo(f, 0)
	}
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
	fmt.Fprintln(w, "\nMemory by phase (peak Go heap: objects live and not yet collected, sampled every 5 ms; peak RSS: the kernel's high-water mark during the phase)")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tpeak heap\tpeak RSS\t")
	for _, p := range m.phases {
		fmt.Fprintf(tw, "%s\t%d MB\t%d MB\t\n", p.name, p.heap>>20, p.rss>>20)
	}
	fmt.Fprintf(tw, "whole run\t\t%d MB\t\n", m.peakRSS()>>20)
	tw.Flush()
	if !m.resets {
		fmt.Fprintln(w, "(the kernel refused to reset the high-water mark: each phase's RSS is the peak since the start)")
	}
}

// sampleHeap records the largest Go heap (live objects and garbage not
// yet collected) seen until the returned function is called, sampling
// every 5 ms without stopping the world.
func sampleHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
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
