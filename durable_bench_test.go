package syncd

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
)

// BenchmarkDurableTx is durable one-row transactions from 1 and from 16
// callers at once on a file database: what group commit changes. Alone,
// a caller pays its fsync; together, callers that arrive while a commit
// runs share the next one. It uses only InDurableTx, so the same file
// measures a build without group commit.
//
//	go test . -run '^$' -bench BenchmarkDurableTx -benchtime 3000x
func BenchmarkDurableTx(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "syncd.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						err := db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
							_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, 'x')`, fmt.Sprintf("k%d", i))
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
