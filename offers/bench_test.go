package offers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
)

// BenchmarkFirstSyncWrite is the write half of a first full sync: 50,000
// offers in 500 games, already fetched, stored into a new SQLite file
// (offers, cost history, games, the run record) in one transaction. It
// isolates what syncd bench's first sync spends under the write lock,
// where one supplier's sync waits for the other's.
func BenchmarkFirstSyncWrite(b *testing.B) {
	cat := &SupplierCatalog{}
	for g := range 500 {
		game := fmt.Sprintf("GAME%03d", g)
		cat.Games = append(cat.Games, SupplierGame{Code: game, Name: "Game " + game, Active: true})
		for i := range 100 {
			cost := decimal.NewFromInt(int64(1000 + 37*i + g))
			cat.Offers = append(cat.Offers, Offer{
				Code: fmt.Sprintf("%s_ITEM_%03d", game, i), GameCode: game, Name: fmt.Sprintf("%d Diamonds", 10*(i+1)),
				Cost: cost, CostRaw: cost.String(), Active: true,
			})
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	for i := range b.N {
		b.StopTimer()
		db, err := syncd.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		s := NewSyncer(db, log)
		b.StartTimer()
		res, err := s.Sync(ctx, "senpay", fixed(cat))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Added != len(cat.Offers) {
			b.Fatalf("added %d offers, want %d", res.Added, len(cat.Offers))
		}
		db.Close()
		b.StartTimer()
	}
}
