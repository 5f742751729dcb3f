package orders

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// readReliability is supplier's record over the attempts created since
// from: each finished one is a sample (succeeded, failed, refused, or
// unknown or taken, which is trouble however it ends); prepared and
// accepted ones, still open, are not counted yet. The attempts'
// (supplier, created_at) index serves it.
func readReliability(ctx context.Context, q sqlx.QueryerContext, supplier string, from time.Time) (Reliability, error) {
	const qAttempts = `SELECT state, created_at, updated_at FROM order_attempts
		WHERE supplier = ? AND created_at >= ? AND state IN ('succeeded', 'failed', 'rejected', 'unknown', 'taken')`
	var rows []struct {
		State     string `db:"state"`
		CreatedAt string `db:"created_at"`
		UpdatedAt string `db:"updated_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, qAttempts, supplier, syncd.FormatTime(from)); err != nil {
		return Reliability{}, fmt.Errorf("reliability of %s: %w", supplier, err)
	}
	var r Reliability
	var took []int64
	for _, a := range rows {
		r.Samples++
		if a.State != stateSucceeded {
			continue
		}
		r.Succeeded++
		sent, err1 := syncd.ParseTime(a.CreatedAt)
		done, err2 := syncd.ParseTime(a.UpdatedAt)
		if err1 == nil && err2 == nil && !done.Before(sent) {
			took = append(took, done.Sub(sent).Milliseconds())
		}
	}
	r.SuccessRate = r.rate().StringFixed(4)
	if len(took) > 0 {
		slices.Sort(took)
		r.MedianMillis = took[len(took)/2]
	}
	return r, nil
}
