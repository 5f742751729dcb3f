package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/suppliers/testsims"
)

// BenchmarkReadGame is the small-read path of issue 17 row 2 in process:
// GET /v1/games/mobile-legends (the demo's 3 KB body) by a storefront,
// through Server.ServeHTTP with the Observe hook set, into a writer that
// keeps nothing. No network and no net/http server: what it reports is
// syncd's own work per request (ns/op, allocs/op), which bench/readpath.sh
// measures against a bare server over the wire.
//
//	go test -run '^$' -bench ReadGame -benchmem ./api
func BenchmarkReadGame(b *testing.B) {
	fx, err := demoDB()
	if err != nil {
		b.Fatal(err)
	}
	_, _, ss := testsims.Both()
	te := testenv.New(b, testenv.Config{Suppliers: ss, File: fx})
	te.Refresh(b)
	tokens, err := auth.NewStore(context.Background(), te.DB, te.Log)
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := tokens.Create(context.Background(), "bench-shop", auth.RoleStorefront)
	if err != nil {
		b.Fatal(err)
	}
	var observed int
	srv := New(Config{Suppliers: supplierNames, StaleAfter: time.Hour,
		Observe: func(route, method string, status int, d time.Duration) { observed++ }},
		te.Log, tokens, te.Syncer, te.Catalog, nil, nil)

	req, err := http.NewRequest("GET", "http://syncd/v1/games/mobile-legends", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	w := &discardWriter{header: http.Header{}}
	for b.Loop() {
		clear(w.header)
		w.status, w.n = 0, 0
		srv.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n < 1000 {
			b.Fatalf("got status %d and %d bytes, want 200 and the game", w.status, w.n)
		}
	}
	if observed == 0 {
		b.Fatal("Observe saw no request")
	}
}

// discardWriter is an http.ResponseWriter that counts what it is given.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
