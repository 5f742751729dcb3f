package rules

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd/internal/fault"
)

// Store errors.
var (
	ErrNotFound = fault.New(fault.RuleNotFound, "not found")
	// ErrStale: the rule changed since the version the caller read.
	ErrStale = fault.New(fault.VersionMismatch, "rule has changed since that version")
	// ErrTierExists guards the tier list.
	ErrTierExists = fault.New(fault.TierExists, "tier already exists")
)

// storeTime is the schema's fixed-width UTC layout (syncd.FormatTime; rules
// may not import the root package).
const storeTime = "2006-01-02T15:04:05.000000000Z"

// Store keeps rules, their audit trail and the price tiers in SQLite.
// Every change is one transaction that writes the rule and its audit row.
type Store struct {
	write, read *sqlx.DB
	now         func() time.Time
}

// NewStore returns a Store over syncd's writer and reader pools.
func NewStore(write, read *sqlx.DB) *Store {
	return &Store{write: write, read: read, now: time.Now}
}

// List returns every live rule, by id.
func (s *Store) List(ctx context.Context) ([]Rule, error) {
	const q = `SELECT id, version, body FROM rules WHERE deleted_at IS NULL ORDER BY id`
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Get returns one live rule.
func (s *Store) Get(ctx context.Context, id string) (Rule, error) {
	return get(ctx, s.read, id)
}

func get(ctx context.Context, q sqlx.QueryerContext, id string) (Rule, error) {
	const query = `SELECT id, version, body FROM rules WHERE id = ? AND deleted_at IS NULL`
	r, err := scanRule(q.QueryRowxContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, fmt.Errorf("rule %s: %w", id, ErrNotFound)
	}
	return r, err
}

type scanner interface{ Scan(...any) error }

func scanRule(row scanner) (Rule, error) {
	var id, body string
	var version int64
	if err := row.Scan(&id, &version, &body); err != nil {
		return Rule{}, err
	}
	r, err := Decode([]byte(body))
	if err != nil {
		return Rule{}, fmt.Errorf("stored rule %s: %w", id, err)
	}
	r.ID, r.Version = id, version
	return r, nil
}

// Create stores a new rule: the store assigns its id and version 1.
func (s *Store) Create(ctx context.Context, r Rule, actor string) (Rule, error) {
	const q = `INSERT INTO rules (id, version, body, created_at, updated_at) VALUES (?, 1, ?, ?, ?)`
	r.ID, r.Version = "r_"+strings.ToLower(rand.Text()[:12]), 1
	err := s.change(ctx, func(tx *sqlx.Tx, now string) error {
		body, err := Encode(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, r.ID, string(body), now, now); err != nil {
			return fmt.Errorf("create rule: %w", err)
		}
		return audit(ctx, tx, r.ID, 1, "create", actor, now, nil, body)
	})
	return r, err
}

// Update replaces rule r.ID if its current version is version, and bumps
// the version: two merchandisers editing one rule cannot overwrite each
// other unseen.
//
// The write is conditional on the version read, not only the read: on
// PostgreSQL two transactions can read the same version and both write
// (SQLite's one writer never lets them), and the second's UPDATE, which
// waits for the first's row, then finds the version moved and changes
// nothing.
func (s *Store) Update(ctx context.Context, r Rule, version int64, actor string) (Rule, error) {
	const q = `UPDATE rules SET version = ?, body = ?, updated_at = ? WHERE id = ? AND version = ? AND deleted_at IS NULL`
	err := s.change(ctx, func(tx *sqlx.Tx, now string) error {
		old, err := get(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if old.Version != version {
			return fmt.Errorf("rule %s is at version %d, not %d: %w", r.ID, old.Version, version, ErrStale)
		}
		r.Version = version + 1
		before, err := Encode(old)
		if err != nil {
			return err
		}
		after, err := Encode(r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q, r.Version, string(after), now, r.ID, version)
		if err != nil {
			return fmt.Errorf("update rule %s: %w", r.ID, err)
		}
		if err := changedOne(res, r.ID, version); err != nil {
			return err
		}
		return audit(ctx, tx, r.ID, r.Version, "update", actor, now, before, after)
	})
	return r, err
}

// Delete removes rule id if its current version is version. The row stays
// for the audit trail. Conditional on the version as Update is.
func (s *Store) Delete(ctx context.Context, id string, version int64, actor string) (Rule, error) {
	const q = `UPDATE rules SET version = version + 1, deleted_at = ?, updated_at = ? WHERE id = ? AND version = ? AND deleted_at IS NULL`
	var old Rule
	err := s.change(ctx, func(tx *sqlx.Tx, now string) error {
		var err error
		if old, err = get(ctx, tx, id); err != nil {
			return err
		}
		if old.Version != version {
			return fmt.Errorf("rule %s is at version %d, not %d: %w", id, old.Version, version, ErrStale)
		}
		before, err := Encode(old)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q, now, now, id, version)
		if err != nil {
			return fmt.Errorf("delete rule %s: %w", id, err)
		}
		if err := changedOne(res, id, version); err != nil {
			return err
		}
		return audit(ctx, tx, id, version+1, "delete", actor, now, before, nil)
	})
	return old, err
}

// changedOne is ErrStale unless res changed a row: another transaction
// moved rule id past version (or deleted it) after this one read it.
func changedOne(res sql.Result, id string, version int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rule %s: %w", id, err)
	}
	if n != 1 {
		return fmt.Errorf("rule %s changed since version %d: %w", id, version, ErrStale)
	}
	return nil
}

func (s *Store) change(ctx context.Context, fn func(tx *sqlx.Tx, now string) error) error {
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx, s.now().UTC().Format(storeTime)); err != nil {
		return err
	}
	return tx.Commit()
}

func audit(ctx context.Context, tx *sqlx.Tx, id string, version int64, action, actor, now string, before, after []byte) error {
	const q = `INSERT INTO rule_audit (rule_id, version, action, actor, at, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)`
	str := func(b []byte) any {
		if b == nil {
			return nil
		}
		return string(b)
	}
	if _, err := tx.ExecContext(ctx, q, id, version, action, actor, now, str(before), str(after)); err != nil {
		return fmt.Errorf("audit rule %s: %w", id, err)
	}
	return nil
}

// AuditEntry is one change of a rule: who, when, the rule before and
// after (null for a create's before and a delete's after).
type AuditEntry struct {
	RuleID  string          `json:"rule_id"`
	Version int64           `json:"version"`
	Action  string          `json:"action"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

// Audit returns the changes of rule id (all rules when id is ""), newest
// first, at most limit.
func (s *Store) Audit(ctx context.Context, id string, limit int) ([]AuditEntry, error) {
	q := `SELECT rule_id, version, action, actor, at, before, after FROM rule_audit`
	args := []any{}
	if id != "" {
		q += ` WHERE rule_id = ?`
		args = append(args, id)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rule audit: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at string
		var before, after sql.NullString
		if err := rows.Scan(&e.RuleID, &e.Version, &e.Action, &e.Actor, &at, &before, &after); err != nil {
			return nil, err
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, err
		}
		e.Before, e.After = rawOrNull(before), rawOrNull(after)
		out = append(out, e)
	}
	return out, rows.Err()
}

func rawOrNull(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return json.RawMessage("null")
	}
	return json.RawMessage(s.String)
}

// Tier is a storefront price tier.
type Tier struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Tiers lists the price tiers, public first.
func (s *Store) Tiers(ctx context.Context) ([]Tier, error) {
	const q = `SELECT id, name FROM tiers ORDER BY id != 'public', id`
	var out []Tier
	if err := s.read.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("list tiers: %w", err)
	}
	return out, nil
}

var tierID = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// CreateTier adds a price tier.
func (s *Store) CreateTier(ctx context.Context, t Tier) (Tier, error) {
	const q = `INSERT INTO tiers (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`
	t.Name = strings.TrimSpace(t.Name)
	fields := map[string]string{}
	if !tierID.MatchString(t.ID) {
		fields["id"] = "want 1 to 32 of a-z, 0-9 and -"
	}
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 100 {
		fields["name"] = "want 1 to 100 characters"
	}
	if len(fields) > 0 {
		return Tier{}, invalid(fields)
	}
	r, err := s.write.ExecContext(ctx, q, t.ID, t.Name, s.now().UTC().Format(storeTime))
	if err != nil {
		return Tier{}, fmt.Errorf("create tier %s: %w", t.ID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return Tier{}, fmt.Errorf("tier %s: %w", t.ID, ErrTierExists)
	}
	return t, nil
}
