package pricing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestReplay(t *testing.T) {
	sellable := Price(Input{
		Cost: d("10000"), Action: act(MarkupPercent, "-10", "0"), Grid: grid("100", "0", RoundUp),
		Guards: []Guard{{Source: "global", MinMarginAmount: dp("250")}, {Source: "rule-9", MaxPrice: dp("14000")}},
	}) // 9000, floor 10250: 10300
	blocked := Price(Input{
		Cost: d("15000"), Grid: grid("100", "0", RoundUp),
		Guards: []Guard{{MinMarginAmount: dp("50"), MaxPrice: dp("15080")}},
	})
	for _, tc := range []struct {
		name string
		q    Quote
		want string
	}{
		{"sellable", sellable, "10300"},
		{"blocked", blocked, "0"},
	} {
		got, err := Replay(tc.q)
		if err != nil || !got.Equal(d(tc.want)) {
			t.Errorf("%s: got %s, %v, want %s", tc.name, got, err, tc.want)
		}
	}

	// Each change must be caught. Quotes share slices, so every case edits
	// its own copies.
	for _, tc := range []struct {
		name   string
		base   Quote
		tamper func(q *Quote)
	}{
		{"price", sellable, func(q *Quote) { q.Price = d("10400") }},
		{"blocked flag", sellable, func(q *Quote) { q.Blocked = true }},
		{"unblocked", blocked, func(q *Quote) { q.Blocked, q.Price = false, d("15000") }},
		{"cost", sellable, func(q *Quote) { q.Cost = d("9999") }},
		{"action value", sellable, func(q *Quote) { q.Action.Value = d("-9") }},
		{"grid", sellable, func(q *Quote) { q.Grid.Step = d("1000") }},
		{"invalid action", sellable, func(q *Quote) { q.Action.Kind = "percent" }},
		{"invalid grid", sellable, func(q *Quote) { q.Grid.Mode = "" }},
		{"floor", sellable, func(q *Quote) { q.Floor = d("10000") }},
		{"ceiling dropped", sellable, func(q *Quote) { q.Ceiling = nil }},
		{"bound raised", sellable, func(q *Quote) { q.Bounds[1].Value = d("10400") }},
		{"no-loss bound removed", sellable, func(q *Quote) { q.Bounds = q.Bounds[1:] }},
		{"round output", sellable, func(q *Quote) { q.Steps[2].Out = d("9100"); q.Steps[3].In = d("9100") }},
		{"broken chain", sellable, func(q *Quote) { q.Steps[4].In = d("10400") }},
		{"stage order", sellable, func(q *Quote) { q.Steps[3].Stage, q.Steps[4].Stage = StageCeiling, StageFloor }},
		{"missing step", sellable, func(q *Quote) { q.Steps = q.Steps[:5] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.base
			q.Steps = append([]Step(nil), q.Steps...)
			q.Bounds = append([]Bound(nil), q.Bounds...)
			tc.tamper(&q)
			got, err := Replay(q)
			if !errors.Is(err, ErrTrace) {
				t.Fatalf("got %s, %v, want an ErrTrace", got, err)
			}
			if !got.Equal(decimal.Zero) {
				t.Errorf("got price %s with the error, want 0", got)
			}
		})
	}
}
