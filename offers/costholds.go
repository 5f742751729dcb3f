package offers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
)

// Errors of accepting a held cost.
var (
	// ErrNotFound: no offer has the id. catalog's ErrNotFound is this one,
	// so a caller of either package asks errors.Is once.
	ErrNotFound = fault.New(fault.NotFound, "not found")
	// ErrNotHeld: the offer's cost is not held (never was, or a sync or
	// another merchandiser released it first).
	ErrNotHeld = fault.New(fault.NotHeld, "the offer's cost is not held")
	// ErrCostMoved: the held cost is not the one the merchandiser saw.
	ErrCostMoved = fault.New(fault.CostChanged, "the held cost changed")
)

// CostMovedError is ErrCostMoved with what was accepted and what is held
// now, so the merchandiser can look again.
type CostMovedError struct {
	Expected, Current int64
}

func (e *CostMovedError) Error() string {
	return fmt.Sprintf("the held cost is %d, not %d: the supplier named another since; look again before accepting", e.Current, e.Expected)
}

func (e *CostMovedError) Unwrap() error { return ErrCostMoved }

// CostHold is a cost move the guard holds: what the supplier said, and
// the last cost believed.
type CostHold struct {
	ConfirmedCost int64 `json:"confirmed_cost"` // the last confirmed cost
	Cost          int64 `json:"cost"`           // what the supplier says now, unconfirmed
	// ChangePercent is the move in percent of ConfirmedCost, a decimal
	// string ("-99.99", "+150.00"); nil from a confirmed cost of 0.
	ChangePercent *string   `json:"change_percent"`
	Source        string    `json:"source"` // sync | webhook: who said Cost
	Since         time.Time `json:"since"`  // when the hold began
}

// NewCostHold is the hold of an offer as stored: confirmed and held_since
// as the offers table keeps them.
func NewCostHold(confirmed, cost int64, source, since string) (*CostHold, error) {
	t, err := syncd.ParseTime(since)
	if err != nil {
		return nil, fmt.Errorf("hold since %q: %w", since, err)
	}
	return &CostHold{ConfirmedCost: confirmed, Cost: cost, ChangePercent: changePercent(confirmed, cost), Source: source, Since: t}, nil
}

// HeldOffer is an offer whose cost is held.
type HeldOffer struct {
	Offer    int64   `json:"offer"`
	Supplier string  `json:"supplier"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Item     *string `json:"item"` // nil: not linked to an item yet
	CostHold
}

// CostHolds lists the offers whose cost is held, longest held first. It
// reads SQLite, not the snapshot: a hold a sync began is listed before
// the catalog is repriced.
func (s *Store) CostHolds(ctx context.Context) ([]HeldOffer, error) {
	const q = `SELECT id, supplier, code, name, item_id, cost, confirmed_cost, held_source, held_since
		FROM offers INDEXED BY offers_held WHERE confirmed_cost IS NOT NULL ORDER BY held_since, id`
	var rows []struct {
		ID        int64   `db:"id"`
		Supplier  string  `db:"supplier"`
		Code      string  `db:"code"`
		Name      string  `db:"name"`
		Item      *string `db:"item_id"`
		Cost      int64   `db:"cost"`
		Confirmed int64   `db:"confirmed_cost"`
		Source    string  `db:"held_source"`
		Since     string  `db:"held_since"`
	}
	if err := s.db.Read.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("cost holds: %w", err)
	}
	out := make([]HeldOffer, 0, len(rows))
	for _, r := range rows {
		h, err := NewCostHold(r.Confirmed, r.Cost, r.Source, r.Since)
		if err != nil {
			return nil, fmt.Errorf("cost hold of offer %d: %w", r.ID, err)
		}
		out = append(out, HeldOffer{Offer: r.ID, Supplier: r.Supplier, Code: r.Code, Name: r.Name, Item: r.Item, CostHold: *h})
	}
	return out, nil
}

// CostHoldEvent is one entry of the guard's audit: a hold begun, moved or
// ended, and by whom.
type CostHoldEvent struct {
	ID       int64     `json:"id"`
	Offer    int64     `json:"offer"`
	Supplier string    `json:"supplier"`
	Code     string    `json:"code"`
	Event    HoldEvent `json:"event"`
	OldCost  int64     `json:"old_cost"` // the last confirmed cost before it
	NewCost  int64     `json:"new_cost"` // what the supplier said
	Source   string    `json:"source"`   // sync | webhook | merchandiser
	Actor    string    `json:"actor"`    // "syncd", or the merchandiser's token name
	Note     string    `json:"note"`
	At       time.Time `json:"at"`
}

// CostHoldEvents returns the latest limit entries of the guard's audit,
// newest first; offer > 0 keeps that offer's alone.
func (s *Store) CostHoldEvents(ctx context.Context, offer int64, limit int) ([]CostHoldEvent, error) {
	q := `SELECT e.id, e.offer_id, o.supplier, o.code, e.event, e.old_cost, e.new_cost, e.source, e.actor, e.note, e.at
		FROM cost_hold_events e JOIN offers o ON o.id = e.offer_id`
	args := []any{}
	if offer > 0 {
		q += ` WHERE e.offer_id = ?`
		args = append(args, offer)
	}
	q += ` ORDER BY e.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cost hold events: %w", err)
	}
	defer rows.Close()
	out := []CostHoldEvent{}
	for rows.Next() {
		var e CostHoldEvent
		var at string
		if err := rows.Scan(&e.ID, &e.Offer, &e.Supplier, &e.Code, &e.Event, &e.OldCost, &e.NewCost, &e.Source, &e.Actor, &e.Note, &at); err != nil {
			return nil, fmt.Errorf("cost hold events: %w", err)
		}
		if e.At, err = syncd.ParseTime(at); err != nil {
			return nil, fmt.Errorf("cost hold event %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AcceptCost releases the hold on an offer's cost on a merchandiser's
// word, as by: cost is the held cost they saw (if the supplier has named
// another since, nothing changes and the error says what is held now).
// The accept is audited with by, the old and new cost and the note (which
// the caller has checked), logged and told to the guard's OnEvent once
// committed.
func (s *Store) AcceptCost(ctx context.Context, offerID, cost int64, by, note string) (*CostHoldEvent, error) {
	const get = `SELECT supplier, code, cost, confirmed_cost FROM offers WHERE id = ?`
	const release = `UPDATE offers SET confirmed_cost = NULL, held_since = NULL, held_source = NULL, updated_at = ? WHERE id = ?`
	ev := &CostHoldEvent{Offer: offerID, Event: HoldAccepted, Source: sourceMerchandiser, Actor: by, Note: note, At: s.now()}
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var confirmed sql.NullInt64
	err = tx.QueryRowContext(ctx, get, offerID).Scan(&ev.Supplier, &ev.Code, &ev.NewCost, &confirmed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	case !confirmed.Valid:
		return nil, fmt.Errorf("offer %d: %w", offerID, ErrNotHeld)
	case ev.NewCost != cost:
		return nil, fmt.Errorf("offer %d: %w", offerID, &CostMovedError{Expected: cost, Current: ev.NewCost})
	}
	ev.OldCost = confirmed.Int64
	now := syncd.FormatTime(ev.At)
	if _, err := tx.ExecContext(ctx, release, now, offerID); err != nil {
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	}
	if ev.ID, err = recordHoldEvent(ctx, tx, offerID, *ev); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("accept cost of offer %d: %w", offerID, err)
	}
	logHoldEvent(s.log, *ev)
	s.holdEvent(ev.Supplier, HoldAccepted)
	return ev, nil
}

// recordHoldEvent appends ev to the guard's audit.
func recordHoldEvent(ctx context.Context, tx sqlx.ExecerContext, offerID int64, ev CostHoldEvent) (int64, error) {
	const q = `INSERT INTO cost_hold_events (offer_id, event, old_cost, new_cost, source, actor, note, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	actor := ev.Actor
	if actor == "" {
		actor = "syncd"
	}
	r, err := tx.ExecContext(ctx, q, offerID, string(ev.Event), ev.OldCost, ev.NewCost, ev.Source, actor, ev.Note, syncd.FormatTime(ev.At))
	if err != nil {
		return 0, fmt.Errorf("cost hold event of offer %d: %w", offerID, err)
	}
	return r.LastInsertId()
}

// logHoldEvent logs a committed hold event: holds are rare, and each is
// something an operator may be asked about.
func logHoldEvent(log *slog.Logger, ev CostHoldEvent) {
	level, msg := slog.LevelInfo, "cost hold "+string(ev.Event)
	if ev.Event == HoldBegun || ev.Event == HoldMoved {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, msg, "supplier", ev.Supplier, "code", ev.Code, "offer", ev.Offer,
		"old_cost", ev.OldCost, "new_cost", ev.NewCost, "source", ev.Source, "actor", ev.Actor)
}

// holdEvent tells the guard's OnEvent, once committed.
func (s *Store) holdEvent(supplier string, ev HoldEvent) {
	if s.guard.OnEvent != nil {
		s.guard.OnEvent(supplier, ev)
	}
}

// holdColumns are an offer's hold as stored; all NULL when it is not held.
type holdColumns struct {
	confirmed     sql.NullInt64
	since, source sql.NullString
}

// state is the offer's cost as the guard sees it.
func (h holdColumns) state(cost int64) costState {
	st := costState{cost: cost}
	if h.confirmed.Valid {
		c := h.confirmed.Int64
		st.confirmed = &c
	}
	return st
}

// after is the hold as stored once ev happened, at now, on source's word.
// A hold keeps its start while the cost it waits on moves.
func (h holdColumns) after(next costState, ev HoldEvent, source, now string) holdColumns {
	switch ev {
	case "":
		return h
	case HoldBegun:
		return holdColumns{confirmed: sql.NullInt64{Int64: *next.confirmed, Valid: true},
			since: sql.NullString{String: now, Valid: true}, source: sql.NullString{String: source, Valid: true}}
	case HoldMoved:
		h.source = sql.NullString{String: source, Valid: true}
		return h
	}
	return holdColumns{}
}

// event is the audit entry of ev, which the word n from source made of s.
func (s costState) event(ev HoldEvent, n int64, source string, at time.Time) CostHoldEvent {
	old := s.cost
	if s.held() {
		old = *s.confirmed
	}
	return CostHoldEvent{Event: ev, OldCost: old, NewCost: n, Source: source, Actor: "syncd", At: at}
}
