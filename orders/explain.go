package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd/catalog"
)

// Price explanations are stored once per distinct text, in price_explains
// under the SHA-256 of the text, and orders name theirs by that hash
// (schema migration 19). Every order of one item and tier in one catalog
// version has the same explanation, about 2.4 KB of JSON: stored in each
// order's row it made the row a page of its own in every commit that
// wrote it, and building it (the rules evaluated again, the JSON encoded)
// was work done again for every order (issue 17, row 5).

// explanation is a price explanation as stored: its text and its hash.
type explanation struct {
	hash, text string
}

// explainKey names an explanation within a catalog version.
type explainKey struct {
	item, tier string
}

// explains remembers, for the catalog version orders are taken in now,
// the explanations already built, and which hashes are stored for certain.
type explains struct {
	mu      sync.Mutex
	version int64
	built   map[explainKey]explanation
	stored  map[string]bool // committed to price_explains
}

// The memos are bounded: past these sizes they start over, which costs a
// rebuild or a redundant insert, never a wrong answer.
const (
	maxBuiltExplains  = 4096
	maxStoredExplains = 65536
)

// explain returns the explanation of item it's price in tier in snap,
// built once per catalog version; ok is false if the snapshot cannot
// explain it (the order then keeps none, as before).
func (e *explains) explain(snap *catalog.Snapshot, it *catalog.Item, tier string) (explanation, bool) {
	k := explainKey{it.ID, tier}
	e.mu.Lock()
	if e.version == snap.Version {
		if x, ok := e.built[k]; ok {
			e.mu.Unlock()
			return x, true
		}
	}
	e.mu.Unlock()

	ex, err := snap.Explain(it.ID, tier)
	if err != nil {
		return explanation{}, false
	}
	text, err := json.Marshal(ex)
	if err != nil {
		return explanation{}, false
	}
	sum := sha256.Sum256(text)
	x := explanation{hash: hex.EncodeToString(sum[:]), text: string(text)}

	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case snap.Version < e.version:
		// Admitted against an older snapshot than the last order: its
		// own explanation, not memoized over the newer version's.
	case e.built == nil || snap.Version > e.version || len(e.built) >= maxBuiltExplains:
		e.version, e.built = snap.Version, map[explainKey]explanation{k: x}
	default:
		e.built[k] = x
	}
	return x, true
}

// isStored reports whether hash is known to be committed.
func (e *explains) isStored(hash string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stored[hash]
}

// markStored records that hash is committed; call it only after the
// transaction that stored it (or found it stored) committed.
func (e *explains) markStored(hash string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stored == nil || len(e.stored) >= maxStoredExplains {
		e.stored = map[string]bool{}
	}
	e.stored[hash] = true
}

// qStoreExplain stores an explanation unless it is stored already: by
// this process, by another instance, or earlier in the same transaction.
const qStoreExplain = `INSERT INTO price_explains (hash, explain) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`

func storeExplain(ctx context.Context, tx execer, x explanation) error {
	if _, err := tx.ExecContext(ctx, qStoreExplain, x.hash, x.text); err != nil {
		return fmt.Errorf("store price explanation: %w", err)
	}
	return nil
}

// explainOf is the price explanation stored with an order, "" if none:
// the shared one its row names, or, for an order taken before migration
// 19, the one in its own row.
func explainOf(ctx context.Context, q sqlx.QueryerContext, id string) (string, error) {
	const sel = `SELECT o.explain, coalesce(e.explain, '') FROM orders o
		LEFT JOIN price_explains e ON e.hash = o.explain_hash WHERE o.id = ?`
	var inline, shared string
	if err := q.QueryRowxContext(ctx, sel, id).Scan(&inline, &shared); err != nil {
		return "", fmt.Errorf("explain of order %s: %w", id, err)
	}
	if inline != "" {
		return inline, nil
	}
	return shared, nil
}
