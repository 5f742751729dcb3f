package api

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/catalog/catalogtest"
)

// BenchmarkSustainedWebhooks is issue 6's load target: 200 price_update
// deliveries a second, 10 products each, for 30 s (SYNCD_SUSTAIN changes
// the duration), while storefronts read GET /v1/games/{game} as fast as
// they can, on the 100,000-offer catalog. It fails if a delivery is
// refused or not in the inbox as processed at the end, and reports the
// reads' p99 (target ≤ 50 ms) and the deliveries' latencies.
//
//	go test -run '^$' -bench SustainedWebhooks -benchtime 1x ./api
func BenchmarkSustainedWebhooks(b *testing.B) {
	d := 30 * time.Second
	if v := os.Getenv("SYNCD_SUSTAIN"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	const games = 500
	db, _, srv := benchServer(b, games)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 256}}

	for range b.N {
		stop := make(chan struct{})
		var readers sync.WaitGroup
		var mu sync.Mutex
		var reads []time.Duration
		var badReads atomic.Int64
		for range 4 {
			readers.Go(func() {
				var mine []time.Duration
				for {
					select {
					case <-stop:
						mu.Lock()
						reads = append(reads, mine...)
						mu.Unlock()
						return
					default:
					}
					req, _ := http.NewRequest("GET", srv.URL+"/v1/games/"+catalogtest.GameID(rand.N(games)), nil)
					req.Header.Set("Authorization", "Bearer "+adminToken)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						badReads.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						badReads.Add(1)
					}
					mine = append(mine, time.Since(t0))
				}
			})
		}

		var senders sync.WaitGroup
		var sent, refused atomic.Int64
		var hookLat []time.Duration
		send := func(n int) {
			senders.Go(func() {
				g := rand.N(games)
				var buf bytes.Buffer
				fmt.Fprintf(&buf, `{"webhook_type": "price_update", "sent_at": %q, "data": [`, time.Now().UTC().Format(time.RFC3339Nano))
				for k := range 10 {
					if k > 0 {
						buf.WriteString(", ")
					}
					// About 40% under catalogtest's 1006+137k: within the
					// cost guard's limits, so every change is sold.
					fmt.Fprintf(&buf, `{"product_code": "G%dX_%d", "price_new": %d}`, g, 10*(k+1), 600+82*k+n%97)
				}
				buf.WriteString(`]}`)
				t0 := time.Now()
				resp, err := client.Post(srv.URL+hookPath, "application/json", &buf)
				sent.Add(1)
				if err != nil {
					refused.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					refused.Add(1)
					return
				}
				mu.Lock()
				hookLat = append(hookLat, time.Since(t0))
				mu.Unlock()
			})
		}
		// 200 a second: each tick sends what the schedule says is due, so
		// a tick lost on a busy machine is made up, not dropped.
		tick := time.NewTicker(5 * time.Millisecond)
		start := time.Now()
		deadline := time.After(d)
		seq := 0
	loop:
		for {
			select {
			case <-deadline:
				break loop
			case <-tick.C:
			}
			for due := int(time.Since(start).Seconds() * 200); seq < due; {
				seq++
				send(seq)
			}
		}
		tick.Stop()
		senders.Wait()
		close(stop)
		readers.Wait()

		var stored, pending int
		if err := db.Read.Get(&stored, `SELECT count(*) FROM webhook_inbox`); err != nil {
			b.Fatal(err)
		}
		if err := db.Read.Get(&pending, `SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL`); err != nil {
			b.Fatal(err)
		}
		if refused.Load() != 0 || int64(stored) != sent.Load() || pending != 0 {
			b.Fatalf("deliveries: sent %d, refused %d, stored %d, unprocessed %d: want every one stored and processed",
				sent.Load(), refused.Load(), stored, pending)
		}
		slices.Sort(reads)
		slices.Sort(hookLat)
		p := func(xs []time.Duration, q float64) float64 {
			if len(xs) == 0 {
				return 0
			}
			return float64(xs[int(float64(len(xs)-1)*q)].Microseconds()) / 1000
		}
		b.ReportMetric(float64(sent.Load())/d.Seconds(), "deliveries/s")
		b.ReportMetric(float64(len(reads))/d.Seconds(), "reads/s")
		b.ReportMetric(p(reads, 0.99), "read-p99-ms")
		b.ReportMetric(p(hookLat, 0.5), "webhook-p50-ms")
		b.ReportMetric(p(hookLat, 0.99), "webhook-p99-ms")
		b.ReportMetric(float64(badReads.Load()), "bad-reads")
	}
}
