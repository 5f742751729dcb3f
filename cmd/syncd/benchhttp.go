package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
)

// loadResult is one endpoint under load.
type loadResult struct {
	Requests int
	RPS      float64
	P50, P99 time.Duration
	Errors   int
}

// benchHTTP serves the snapshot through syncd's real API (router, auth,
// ETag, the pre-encoded bodies) and through a bare net/http handler that
// writes the same bytes, and loads both alike: conc keep-alive connections
// for d each.
func benchHTTP(ctx context.Context, w io.Writer, db *syncd.DB, log *slog.Logger, merged *catalog.Catalog, conc int, d time.Duration) error {
	snap := merged.Snapshot()
	tokens, err := auth.NewStore(ctx, db, log)
	if err != nil {
		return err
	}
	token, _, err := tokens.Create(ctx, "bench", auth.RoleStorefront)
	if err != nil {
		return err
	}
	// The game with the most items: the heaviest per-game body.
	var game *catalog.Game
	for _, g := range snap.GameList() {
		if game == nil || len(g.Items) > len(game.Items) {
			game = g
		}
	}
	gameBody, _ := snap.GameBody(game.ID, catalog.PublicTier)
	catalogBody, _, err := snap.Catalog(catalog.PublicTier)
	if err != nil {
		return err
	}

	syncdURL, stopSyncd, err := serveLoopback(api.New(api.Config{}, log, tokens, nil, merged, nil, nil))
	if err != nil {
		return err
	}
	defer stopSyncd()
	bare := http.NewServeMux()
	for path, body := range map[string][]byte{"/game": gameBody.JSON, "/catalog": catalogBody.JSON} {
		bare.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		})
	}
	bareURL, stopBare, err := serveLoopback(bare)
	if err != nil {
		return err
	}
	defer stopBare()

	fmt.Fprintf(w, "\nHTTP, %d connections, %s per run; game %s (%d items, %d bytes), catalog %d bytes\n",
		conc, d, game.ID, len(game.Items), len(gameBody.JSON), len(catalogBody.JSON))
	fmt.Fprintf(w, "%-34s %10s %10s %10s %8s\n", "endpoint", "req/s", "p50", "p99", "errors")
	for _, ep := range []struct {
		name, syncdPath, barePath string
	}{
		{"GET /v1/games/{game}", "/v1/games/" + game.ID, "/game"},
		{"GET /v1/catalog", "/v1/catalog", "/catalog"},
	} {
		// Bare and syncd alternate, three runs each, and each side reports
		// its median run: a burst of noise on this shared 2-core machine
		// then hits neither side alone.
		var runs [2][]loadResult
		for range 3 {
			for i, target := range []string{bareURL + ep.barePath, syncdURL + ep.syncdPath} {
				runs[i] = append(runs[i], load(ctx, target, token, conc, d))
			}
		}
		b, s := median(runs[0]), median(runs[1])
		fmt.Fprintf(w, "%-34s %10.0f %10s %10s %8d\n", ep.name+" (bare net/http)", b.RPS, b.P50.Round(time.Microsecond), b.P99.Round(time.Microsecond), b.Errors)
		fmt.Fprintf(w, "%-34s %10.0f %10s %10s %8d\n", ep.name+" (syncd)", s.RPS, s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Errors)
		fmt.Fprintf(w, "%-34s %9.0f%% %21s\n", "  syncd vs bare", 100*s.RPS/b.RPS, fmt.Sprintf("p99 %.2fx", float64(s.P99)/float64(b.P99)))
	}
	return nil
}

// median is the run with the median throughput.
func median(rs []loadResult) loadResult {
	slices.SortFunc(rs, func(a, b loadResult) int { return cmp.Compare(a.RPS, b.RPS) })
	return rs[len(rs)/2]
}

// load sends GETs from conc workers, each on its own keep-alive
// connection, for d, reading every body in full.
func load(ctx context.Context, url, token string, conc int, d time.Duration) loadResult {
	tr := &http.Transport{
		MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true,
		DialContext: (&net.Dialer{}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := loadResult{Requests: len(lat), RPS: float64(len(lat)) / elapsed.Seconds(), Errors: errs}
	if len(lat) > 0 {
		r.P50 = lat[len(lat)/2]
		r.P99 = lat[len(lat)*99/100]
	}
	return r
}
