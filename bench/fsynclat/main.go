// Command fsynclat measures what one durable commit of syncd's costs the
// disk it runs on, without SQLite: at a steady rate, it writes a commit's
// worth of WAL frames the way SQLite does (a 24-byte header and a page,
// two writes a frame, over a file already written once, as a WAL that has
// started over is) and fsyncs the file, and prints the fsync's latency
// percentiles. An order waits for two such commits (its intake, and the
// supplier's answer), so their tail is a floor under the orders' own p99
// (issue 17, row 5) that no change to syncd's code moves: the last line
// pairs the fsyncs in time order and gives that floor's percentiles.
//
//	go run ./bench/fsynclat                 # 3000 commits of 13 frames at 600/s in the system's temporary directory
//	go run ./bench/fsynclat -dir /var/lib/syncd -rate 300 -frames 20
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "directory of the file to write (the database's, to measure its disk)")
	n := flag.Int("n", 3000, "commits to time")
	frames := flag.Int("frames", 13, "WAL frames a commit writes (syncd's orders: about 12 a commit)")
	rate := flag.Int("rate", 600, "commits a second (300 orders a second make about 600)")
	page := flag.Int("page", 4096, "page size in bytes")
	flag.Parse()
	if *n < 1 || *frames < 1 || *rate < 1 || *page < 512 {
		log.Fatal("fsynclat: -n, -frames and -rate must be positive, -page at least 512")
	}

	f, err := os.CreateTemp(*dir, "fsynclat-*.wal")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	frame := *page + 24
	size := int64(frame) * int64(*frames) * int64(*n)
	// Written once and synced first: SQLite writes a WAL that has started
	// over in place, which needs no new blocks (appending to a growing
	// file costs each fsync a journal commit too).
	if err := fill(f, size); err != nil {
		log.Fatal(err)
	}

	buf := make([]byte, frame)
	lat := make([]time.Duration, *n)
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	for i := range lat {
		<-tick.C
		for j := range *frames {
			off := int64(i**frames+j) * int64(frame)
			if _, err := f.WriteAt(buf[:24], off); err != nil {
				log.Fatal(err)
			}
			if _, err := f.WriteAt(buf[24:], off+24); err != nil {
				log.Fatal(err)
			}
		}
		start := time.Now()
		if err := f.Sync(); err != nil {
			log.Fatal(err)
		}
		lat[i] = time.Since(start)
	}
	// An order waits for two commits in turn; pairing neighbours in
	// time order gives the disk's share of an order's own time, and its
	// p99 the floor under row 5's.
	pairs := make([]time.Duration, len(lat)/2)
	for i := range pairs {
		pairs[i] = lat[2*i] + lat[2*i+1]
	}
	slow := 0
	for _, d := range lat {
		if d > 2*time.Millisecond {
			slow++
		}
	}
	fmt.Printf("fsynclat: %d commits of %d frames at %d/s in %s\n", *n, *frames, *rate, filepath.Dir(f.Name()))
	fmt.Printf("fsync %s  over 2ms %d\n", percentiles(lat), slow)
	if len(pairs) > 0 {
		fmt.Printf("two in turn (an order's) %s\n", percentiles(pairs))
	}
}

// percentiles sorts d and describes it.
func percentiles(d []time.Duration) string {
	slices.Sort(d)
	at := func(p float64) time.Duration {
		return d[min(len(d)-1, int(float64(len(d))*p))].Round(time.Microsecond)
	}
	return fmt.Sprintf("p50 %v  p90 %v  p99 %v  p99.9 %v  max %v", at(0.50), at(0.90), at(0.99), at(0.999), at(1))
}

// fill writes size zero bytes to f and syncs it.
func fill(f *os.File, size int64) error {
	chunk := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(chunk)) {
		if _, err := f.WriteAt(chunk[:min(int64(len(chunk)), size-off)], off); err != nil {
			return err
		}
	}
	return f.Sync()
}
