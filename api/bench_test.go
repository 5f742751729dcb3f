package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/catalog/catalogtest"
	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
)

// BenchmarkPriceUpdate is issue 6's measure: a Senpay price_update of 50
// products of one game, from the request to the new prices being served
// by GET /v1/games/{game}, over real HTTP, the real router, inbox and
// catalog, and a file database. One iteration is the POST (stored,
// applied, repriced, answered) and the GET that serves the new prices
// (checked by its ETag each time and by the prices at the end). The
// touched game is the same size in both catalogs, so the two figures
// differ only by what the rest of the catalog costs.
//
//	go test -run '^$' -bench PriceUpdate -benchtime 200x ./api
func BenchmarkPriceUpdate(b *testing.B) {
	for _, games := range []int{5, 500} {
		b.Run(fmt.Sprintf("offers=%d", 2*games*catalogtest.PerGame), func(b *testing.B) { benchPriceUpdate(b, games) })
	}
}

// benchServer syncs two generated catalogs (catalogtest) of games into a file database,
// builds the merged catalog and serves the real router with the Senpay
// webhook over httptest; everything is closed when b ends.
func benchServer(b *testing.B, games int) (*syncd.DB, *catalog.Catalog, *httptest.Server) {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := syncd.Open(ctx, dbtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	syncer := offers.NewSyncer(db, log)
	for _, s := range supplierNames {
		if _, err := syncer.Sync(ctx, s, catalogtest.Fixed{Catalog: catalogtest.Generate(s, games, benchForm(s))}); err != nil {
			b.Fatal(err)
		}
	}
	cat := catalog.NewCatalog(db, log, catalogConfig())
	b.Cleanup(cat.Close)
	if _, err := cat.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewStore(ctx, db, log, auth.WithAdminToken(adminToken))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Suppliers: supplierNames, StaleAfter: time.Hour,
		Inbox: inbox.New(db, cat, log, testHooks), Webhooks: senpayHook{Allow: loopback}.webhooks()},
		log, tokens, syncer, cat, nil, nil))
	b.Cleanup(srv.Close)
	return db, cat, srv
}

func benchPriceUpdate(b *testing.B, games int) {
	_, cat, srv := benchServer(b, games)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	g := games / 2
	game := catalogtest.GameID(g)
	gameURL := srv.URL + "/v1/games/" + game
	// Prices 40% below Isipay's (catalogtest's 1006+137k), so Senpay's
	// offers sell and their new costs are the served prices, moving every
	// iteration, within the cost guard's limits; sent_at makes every body
	// new, so no delivery is a redelivery.
	price := func(k, i int) int64 { return int64(600 + 82*k + i%2) }
	body := func(i int) []byte {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `{"webhook_type": "price_update", "sent_at": %q, "data": [`, time.Now().UTC().Format(time.RFC3339Nano))
		for k := range 50 {
			if k > 0 {
				buf.WriteString(", ")
			}
			fmt.Fprintf(&buf, `{"product_code": "G%dX_%d", "price_new": %d}`, g, 10*(k+1), price(k, i))
		}
		buf.WriteString(`]}`)
		return buf.Bytes()
	}
	do := func(req *http.Request) (*http.Response, []byte) {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: got %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, out)
		}
		return resp, out
	}
	var etag string
	var page []byte
	i := 0
	for ; b.Loop(); i++ {
		req, _ := http.NewRequest("POST", srv.URL+hookPath, bytes.NewReader(body(i)))
		do(req)
		req, _ = http.NewRequest("GET", gameURL, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, out := do(req)
		if tag := resp.Header.Get("ETag"); tag == etag {
			b.Fatalf("iteration %d: the game's ETag did not change", i)
		} else {
			etag, page = tag, out
		}
	}

	// The last GET served the last update's prices.
	var v struct{ Game struct{ Items []wireItem } }
	if err := json.Unmarshal(page, &v); err != nil {
		b.Fatal(err)
	}
	want := map[int64]bool{}
	for k := range 50 {
		want[price(k, i-1)] = true
	}
	served := 0
	for _, it := range v.Game.Items {
		if it.Price != nil && want[*it.Price] {
			served++
		}
	}
	if served != 50 {
		b.Fatalf("game %s: %d items at the last update's prices, want 50", game, served)
	}
	b.ReportMetric(float64(len(v.Game.Items)), "game_items")
	b.ReportMetric(float64(cat.Snapshot().ItemCount()), "catalog_items")
}

// benchForm is the form of a generated supplier game: Senpay's providers
// carry one, Isipay's products none.
func benchForm(supplier string) []offers.Field {
	if supplier == "senpay" {
		return catalogtest.UserID
	}
	return nil
}
