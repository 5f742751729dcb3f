package offers

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

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
