package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/group"
	"github.com/syncd/syncd/suppliers"
)

// Group commit. Every delivery is still stored durably before it is
// applied, and applied once before it is answered; but under a stream of
// webhooks the deliveries that arrive while one batch is written are
// written together in the next: stored in one durable commit, and, for
// cost updates, their costs stored in one transaction, the items they
// moved repriced once, and all marked processed in one transaction. A lone
// delivery is a batch of one and waits for nobody.
//
// A batch that fails is tried again one delivery at a time, so a delivery
// that cannot be written (a body the database refuses) fails alone.

// maxBatch bounds a batch, and so the wait of the deliveries queued
// behind it.
const maxBatch = 64

// storeJob is one delivery to store.
type storeJob struct {
	supplier, kind, remote string
	body                   []byte
	d                      delivery
	err                    error
}

// storeBatch stores a batch of deliveries in one durable transaction, or
// each in its own if that fails.
func (in *Inbox) storeBatch(batch []*storeJob) {
	ctx := context.Background()
	if in.beforeBatch != nil {
		in.beforeBatch("store", len(batch))
	}
	eachAloneIfNot(batch, func(b []*storeJob) error { return in.storeAll(ctx, b) })
}

// eachAloneIfNot runs all on the batch and, if that fails, on each item
// alone, so an item that fails the batch fails alone. all records each
// item's result (its error too) in the item.
func eachAloneIfNot[T any](batch []T, all func([]T) error) {
	if err := all(batch); err == nil || len(batch) == 1 {
		return
	}
	for _, j := range batch {
		all([]T{j})
	}
}

// storeAll inserts each delivery, or finds the earlier one with the same
// body, in one durable transaction, and now and then deletes expired
// processed deliveries. The deliveries are received as of one moment.
func (in *Inbox) storeAll(ctx context.Context, batch []*storeJob) error {
	now := in.now()
	// Durable: once stored, a delivery is answered and never asked for
	// again, so it must survive a power cut. Applying it need not: the
	// WAL keeps commits in order, so a lost apply is a lost mark too, and
	// Replay applies the delivery again.
	pruned := false
	err := in.db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
		in.pruneMu.Lock()
		due := now.Sub(in.lastPrune) >= pruneEvery
		in.pruneMu.Unlock()
		if due {
			n, err := pruneProcessed(ctx, tx, syncd.FormatTime(now.Add(-in.retention)))
			if err != nil {
				return err
			}
			if n > 0 {
				in.log.Info("webhook inbox pruned", "deleted", n, "older_than", in.retention)
			}
			pruned = true
		}
		for _, j := range batch {
			if in.storeFails != nil {
				if err := in.storeFails(j.body); err != nil {
					return err
				}
			}
			d, err := storeOne(ctx, tx, j.supplier, j.kind, j.body, j.remote, now)
			if err != nil {
				return err
			}
			j.d = d
		}
		return nil
	})
	for _, j := range batch {
		j.err = err
	}
	if err == nil && pruned {
		in.pruneMu.Lock()
		in.lastPrune = now
		in.pruneMu.Unlock()
	}
	return err
}

// storeOne inserts one delivery received at now, or finds the earlier
// one with the same body.
func storeOne(ctx context.Context, tx *sqlx.Tx, supplier, kind string, body []byte, remote string, now time.Time) (delivery, error) {
	digest := digestOf(body)
	d := delivery{receivedAt: now}
	id, inserted, err := insertDelivery(ctx, tx, supplier, kind, digest, body, remote, syncd.FormatTime(now))
	if err != nil || inserted {
		d.id = id
		return d, err
	}
	d.duplicate = true
	e, err := earlierDelivery(ctx, tx, supplier, digest)
	if err != nil {
		return delivery{}, err
	}
	d.id = e.ID
	if d.receivedAt, err = syncd.ParseTime(e.ReceivedAt); err != nil {
		return delivery{}, fmt.Errorf("webhook %s/%d: received_at %q: %w", supplier, d.id, e.ReceivedAt, err)
	}
	if d.processed = e.Processed.Valid; d.processed {
		if err := json.Unmarshal([]byte(e.Outcome), &d.outcome); err != nil {
			return delivery{}, fmt.Errorf("webhook %s/%d: outcome: %w", supplier, d.id, err)
		}
	}
	return d, nil
}

// costJob is one stored cost update to apply.
type costJob struct {
	supplier string
	ev       suppliers.Event
	d        delivery
	// What became of it: out, and whether another instance had applied
	// it already (out is then that instance's), or err.
	out       Outcome
	elsewhere bool
	err       error
}

// applyBatch applies a batch of cost updates together, or each alone if
// that fails.
func (in *Inbox) applyBatch(batch []*costJob) {
	ctx := context.Background()
	if in.beforeBatch != nil {
		in.beforeBatch("costs", len(batch))
	}
	eachAloneIfNot(batch, func(b []*costJob) error { return in.applyAll(ctx, b) })
}

// applyAll claims the deliveries, stores their costs in one transaction,
// reprices what they moved once and marks them processed in one
// transaction.
// An error leaves every one of them pending.
func (in *Inbox) applyAll(ctx context.Context, batch []*costJob) (err error) {
	defer func() {
		for _, j := range batch {
			j.err = err
		}
	}()
	ids := make([]int64, len(batch))
	for i, j := range batch {
		ids[i] = j.d.id
	}
	c, done, err := in.claimBatch(ctx, ids)
	if err != nil {
		return err
	}
	defer c.release()
	var todo []*costJob
	var ds []catalog.CostDelivery
	for _, j := range batch {
		if out, ok := done[j.d.id]; ok {
			j.out, j.elsewhere = out, true
			continue
		}
		at := j.d.receivedAt
		if s := j.ev.SentAt; !s.IsZero() && s.Before(at) {
			at = s
		}
		todo = append(todo, j)
		ds = append(ds, catalog.CostDelivery{Supplier: j.supplier, Changes: j.ev.Costs, At: at})
	}
	if len(todo) == 0 {
		return nil
	}
	rs, err := in.cat.ApplyCostBatches(ctx, ds)
	if err != nil {
		return fmt.Errorf("webhooks %d…: %w", todo[0].d.id, err)
	}
	marks := make([]processedMark, len(todo))
	for i, j := range todo {
		j.out = in.costOutcome(j.supplier, rs[i])
		b, err := json.Marshal(j.out)
		if err != nil {
			return err
		}
		marks[i] = processedMark{id: j.d.id, outcome: string(b)}
	}
	return c.finishAll(ctx, in, marks)
}

// costOutcome is a cost update's outcome in its supplier's words.
func (in *Inbox) costOutcome(supplier string, r catalog.CostResult) Outcome {
	if errors.Is(r.Err, catalog.ErrInvalid) {
		// The parser refuses whatever ApplyCosts would; if the two ever
		// disagree, the delivery is refused, not retried forever.
		return Outcome{Message: r.Err.Error()}
	}
	return Outcome{Accepted: true, Message: in.hooks[supplier].Messages.CostsApplied, Costs: r.Update}
}

// newBatchers sets up the inbox's two group commits.
func (in *Inbox) newBatchers() {
	in.stores = group.New(maxBatch, in.storeBatch)
	in.costs = group.New(maxBatch, in.applyBatch)
}
