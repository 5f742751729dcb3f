package inbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// A delivery is applied by one instance at a time, and once: whoever
// applies it holds a claim on it from before it reads whether it is still
// pending until it is marked processed.
//
// On PostgreSQL, where several instances share webhook_inbox, a claim is
// a transaction on the writer that holds the delivery's row (FOR UPDATE)
// and marks it processed when done: another instance's Replay skips the
// row (SKIP LOCKED), and a redelivery of the same body waits, then finds
// it processed. An instance that dies mid-apply loses its connection and
// with it the lock: the delivery is pending again, for the next Replay.
// The claim's connection is held while the delivery is applied, which
// needs the writer too (ApplyCosts, the order service), so an instance
// holds at most maxClaims at once, half its writer pool: the rest is
// always there for the applies.
//
// On SQLite there is one process per database file: Inbox's mu and keys
// serialise what its own goroutines do, and a claim holds nothing (a
// transaction would be the one write lock, which the apply needs).
type claim struct {
	tx   *sqlx.Tx // nil on SQLite
	done func()   // frees the claim's slot
}

// maxClaims bounds the claims an instance holds at once on PostgreSQL.
const maxClaims = 4

// begin opens a claim: a writer transaction on PostgreSQL, nothing on
// SQLite.
func (in *Inbox) begin(ctx context.Context) (*claim, error) {
	if in.db.Dialect() != syncd.Postgres {
		return &claim{done: func() {}}, nil
	}
	select {
	case in.claims <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := in.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		<-in.claims
		return nil, fmt.Errorf("claim webhook: %w", err)
	}
	return &claim{tx: tx, done: func() { <-in.claims }}, nil
}

// release ends the claim without marking anything: the delivery stays
// pending. A no-op after finish.
func (c *claim) release() {
	if c.tx != nil {
		c.tx.Rollback()
		c.tx = nil
	}
	if c.done != nil {
		c.done()
		c.done = nil
	}
}

// reader is where the claim reads: its transaction, or SQLite's reader.
func (c *claim) reader(in *Inbox) sqlx.QueryerContext {
	if c.tx != nil {
		return c.tx
	}
	return in.db.Read
}

// claimDelivery claims the delivery id, waiting for another instance
// that holds it, and reads whether it was processed meanwhile, with its
// outcome. On SQLite, where nothing else processes it, d says.
func (in *Inbox) claimDelivery(ctx context.Context, d delivery) (c *claim, processed bool, out Outcome, err error) {
	if c, err = in.begin(ctx); err != nil {
		return nil, false, Outcome{}, err
	}
	if c.tx == nil {
		return c, d.processed, d.outcome, nil
	}
	var at sql.NullString
	var outcome string
	if err := c.tx.QueryRowxContext(ctx, qDeliveryState+" FOR UPDATE", d.id).Scan(&at, &outcome); err != nil {
		c.release()
		return nil, false, Outcome{}, fmt.Errorf("claim webhook %d: %w", d.id, err)
	}
	if !at.Valid {
		return c, false, Outcome{}, nil
	}
	if err := json.Unmarshal([]byte(outcome), &out); err != nil {
		c.release()
		return nil, false, Outcome{}, fmt.Errorf("webhook %d: outcome: %w", d.id, err)
	}
	return c, true, out, nil
}

// claimNext claims the first pending delivery after id that no other
// instance holds; ok is false when there is none.
func (in *Inbox) claimNext(ctx context.Context, after int64) (c *claim, p pendingRow, ok bool, err error) {
	if c, err = in.begin(ctx); err != nil {
		return nil, p, false, err
	}
	q := qNextPending
	if c.tx != nil {
		q += " FOR UPDATE SKIP LOCKED"
	}
	err = sqlx.GetContext(ctx, c.reader(in), &p, q, after)
	if errors.Is(err, sql.ErrNoRows) {
		c.release()
		return nil, p, false, nil
	}
	if err != nil {
		c.release()
		return nil, p, false, fmt.Errorf("pending webhooks: %w", err)
	}
	return c, p, true, nil
}

// finish marks the delivery processed with its outcome and ends the
// claim.
func (c *claim) finish(ctx context.Context, in *Inbox, id int64, out Outcome) error {
	defer c.release()
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	at := syncd.FormatTime(in.now())
	if c.tx == nil {
		return markProcessed(ctx, in.db.Write, id, at, string(b))
	}
	if err := markProcessed(ctx, c.tx, id, at, string(b)); err != nil {
		return err
	}
	err = c.tx.Commit()
	c.tx = nil
	if err != nil {
		return fmt.Errorf("mark webhook %d processed: %w", id, err)
	}
	return nil
}

// claimBatch claims the deliveries ids for one batch (claimDelivery's
// batch form): on PostgreSQL one transaction holding every row, taken in
// id order so two instances' batches never deadlock, with the outcome of
// each one another instance processed meanwhile. On SQLite, where nothing
// else processes them, nothing is held and none is done.
func (in *Inbox) claimBatch(ctx context.Context, ids []int64) (c *claim, done map[int64]Outcome, err error) {
	if c, err = in.begin(ctx); err != nil {
		return nil, nil, err
	}
	if c.tx == nil {
		return c, nil, nil
	}
	q, args, err := sqlx.In(`SELECT id, processed_at, outcome FROM webhook_inbox WHERE id IN (?) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		c.release()
		return nil, nil, err
	}
	var rows []struct {
		ID        int64          `db:"id"`
		Processed sql.NullString `db:"processed_at"`
		Outcome   string         `db:"outcome"`
	}
	if err := c.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		c.release()
		return nil, nil, fmt.Errorf("claim webhooks: %w", err)
	}
	for _, r := range rows {
		if !r.Processed.Valid {
			continue
		}
		var out Outcome
		if err := json.Unmarshal([]byte(r.Outcome), &out); err != nil {
			c.release()
			return nil, nil, fmt.Errorf("webhook %d: outcome: %w", r.ID, err)
		}
		if done == nil {
			done = map[int64]Outcome{}
		}
		done[r.ID] = out
	}
	return c, done, nil
}

// processedMark is a delivery's outcome (JSON), to be marked processed.
type processedMark struct {
	id      int64
	outcome string
}

// finishAll marks deliveries processed in one transaction (the claim's,
// on PostgreSQL) and ends the claim.
func (c *claim) finishAll(ctx context.Context, in *Inbox, marks []processedMark) error {
	defer c.release()
	at := syncd.FormatTime(in.now())
	tx := c.tx
	if tx == nil {
		var err error
		if tx, err = in.db.Write.BeginTxx(ctx, nil); err != nil {
			return fmt.Errorf("mark webhooks processed: %w", err)
		}
		defer tx.Rollback()
	}
	for _, m := range marks {
		if err := markProcessed(ctx, tx, m.id, at, m.outcome); err != nil {
			return err
		}
	}
	err := tx.Commit()
	c.tx = nil
	if err != nil {
		return fmt.Errorf("mark webhooks processed: %w", err)
	}
	return nil
}
