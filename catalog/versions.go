package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/syncd/syncd"
)

// NotifyChannel is the PostgreSQL channel a published version is
// announced on; its payload is the version number. Instances LISTEN on it
// to follow at once, polling LatestVersion as the backstop.
const NotifyChannel = "syncd_catalog"

// Version is a catalog version as recorded in the database.
type Version struct {
	Version  int64
	BuiltAt  time.Time
	PricedAt time.Time
	Epoch    string // the ETag epoch of the instance that published it
}

type versionRow struct {
	Version  int64  `db:"version"`
	Base     int64  `db:"base"`
	BuiltAt  string `db:"built_at"`
	PricedAt string `db:"priced_at"`
	Epoch    string `db:"epoch"`
	Changes  string `db:"changes"`
}

type changeJSON struct {
	Items  []string `json:"items"`
	Games  []string `json:"games"`
	Merged []string `json:"merged"`
}

// recordVersion stores a version this instance allocated, with what it
// changed, drops rows the feed no longer spans and, on PostgreSQL,
// announces it to the other instances.
func (c *Catalog) recordVersion(ctx context.Context, snap *Snapshot, ch change) error {
	js, err := json.Marshal(changeJSON{Items: ch.Items, Games: ch.Games, Merged: ch.Merged})
	if err != nil {
		return err
	}
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	defer tx.Rollback()
	if fenced, _ := ctx.Value(fencedKey{}).(bool); fenced && c.cfg.Fence != nil {
		if err := c.cfg.Fence(ctx, tx); err != nil {
			return fmt.Errorf("publish version %d: %w", snap.Version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_versions (version, base, built_at, priced_at, epoch, changes)
		VALUES (?, ?, ?, ?, ?, ?)`, snap.Version, ch.Base, syncd.FormatTime(snap.BuiltAt), syncd.FormatTime(snap.pricedAt),
		snap.epoch, string(js)); err != nil {
		return fmt.Errorf("record version %d: %w", snap.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM catalog_versions WHERE version <= ?`, snap.Version-int64(c.cfg.History)-1); err != nil {
		return fmt.Errorf("prune versions: %w", err)
	}
	if c.db.Dialect() == syncd.Postgres {
		// Sent at commit, never for a version rolled back.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, NotifyChannel, fmt.Sprint(snap.Version)); err != nil {
			return fmt.Errorf("announce version %d: %w", snap.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record version %d: %w", snap.Version, err)
	}
	return nil
}

// LatestVersion is the newest version any instance recorded; ok is false
// before the first.
func (c *Catalog) LatestVersion(ctx context.Context) (v Version, ok bool, err error) {
	var r versionRow
	err = c.db.Read.GetContext(ctx, &r, `SELECT version, base, built_at, priced_at, epoch, changes
		FROM catalog_versions ORDER BY version DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, fmt.Errorf("latest catalog version: %w", err)
	}
	v = Version{Version: r.Version, Epoch: r.Epoch}
	if v.BuiltAt, err = syncd.ParseTime(r.BuiltAt); err != nil {
		return Version{}, false, err
	}
	if v.PricedAt, err = syncd.ParseTime(r.PricedAt); err != nil {
		return Version{}, false, err
	}
	return v, true, nil
}

// loadHistory reads the changes of the versions up to upTo, oldest
// first, as many as the feed spans: every instance answers the changes
// feed from the same rows.
func (c *Catalog) loadHistory(ctx context.Context, upTo int64) ([]change, error) {
	var rows []versionRow
	if err := c.db.Write.SelectContext(ctx, &rows, `SELECT version, base, built_at, priced_at, epoch, changes
		FROM catalog_versions WHERE version <= ? ORDER BY version DESC LIMIT ?`, upTo, c.cfg.History); err != nil {
		return nil, fmt.Errorf("catalog versions: %w", err)
	}
	out := make([]change, 0, len(rows))
	for _, r := range slices.Backward(rows) {
		var js changeJSON
		if err := json.Unmarshal([]byte(r.Changes), &js); err != nil {
			return nil, fmt.Errorf("catalog version %d: %w", r.Version, err)
		}
		out = append(out, change{Version: r.Version, Base: r.Base, Items: js.Items, Games: js.Games, Merged: js.Merged})
	}
	return out, nil
}

// extendHistory is prev's changes feed with ch, the version recorded just
// after prev's, appended, keeping the newest limit versions, as loadHistory
// would read them back: a publish under a stream of webhooks then reads
// no rows. It is nil, to be read from the database, when another
// instance recorded a version in between or prev has no feed.
func extendHistory(prev *Snapshot, ch change, limit int) []change {
	if prev == nil || ch.Version != prev.Version+1 {
		return nil
	}
	n := len(prev.changes)
	if n == 0 || prev.changes[n-1].Version != prev.Version {
		return nil
	}
	// Appended in place where the array has room: prev reads only its
	// first n entries, and no other snapshot is ever derived from prev
	// (publishes run one at a time, each from the one served, which it
	// then replaces), so the slot written is no one else's. Trimming
	// moves the window's start; append copies the window when the array
	// is full, so a stream of publishes allocates only now and then.
	return append(prev.changes[max(0, n+1-limit):], ch)
}

// Follow keeps this instance at the newest version any instance
// recorded, until ctx ends: it checks at every wake (a NOTIFY) and every
// interval. A version it does not serve is rebuilt from the database and
// adopted whole (number, time, ETag epoch), priced as of the time it was
// priced, so every instance serves the same bodies under the same ETags.
func (c *Catalog) Follow(ctx context.Context, wake <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := c.CatchUp(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("catalog follow", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// CatchUp adopts the newest recorded version when it is newer than the
// one served.
func (c *Catalog) CatchUp(ctx context.Context) error {
	v, ok, err := c.LatestVersion(ctx)
	if err != nil || !ok {
		return err
	}
	if cur := c.current.Load(); cur != nil && cur.Version >= v.Version {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.current.Load(); cur != nil && cur.Version >= v.Version {
		return nil
	}
	c.adopt = &v
	defer func() { c.adopt = nil }()
	_, err = c.refreshLocked(ctx, "follow")
	return err
}

// Serves reports whether this instance serves the newest recorded
// version (or one newer it is recording): /readyz of a follower.
func (c *Catalog) Serves(ctx context.Context) (bool, error) {
	cur := c.current.Load()
	if cur == nil {
		return false, nil
	}
	v, ok, err := c.LatestVersion(ctx)
	if err != nil {
		return false, err
	}
	return !ok || cur.Version >= v.Version, nil
}

// clock is the time the catalog prices and judges freshness at: the
// adopted version's when following (under mu), else now.
func (c *Catalog) clock() time.Time {
	if c.adopt != nil {
		return c.adopt.PricedAt
	}
	return c.now()
}

func (c *Catalog) leads() bool { return c.cfg.Leads == nil || c.cfg.Leads() }

type fencedKey struct{}

// Fenced marks ctx as the leader's: a version published under it passes
// Config.Fence first.
func Fenced(ctx context.Context) context.Context { return context.WithValue(ctx, fencedKey{}, true) }
