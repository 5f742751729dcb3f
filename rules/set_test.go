package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustSet(t testing.TB, rules ...Rule) *Set {
	t.Helper()
	s, err := NewSet(rules)
	if err != nil {
		t.Fatalf("NewSet: %v", err)
	}
	return s
}

func withRound(step string) func(*Rule) {
	return func(r *Rule) { r.Round = &Round{Step: dec(step), Mode: Up, Ending: dec("0")} }
}

func withGuard(minAmount string) func(*Rule) {
	return func(r *Rule) { r.Guard = &Guard{MinMarginAmount: dec(minAmount)} }
}

func id(r *Rule) string {
	if r == nil {
		return "<nil>"
	}
	return r.ID
}

// beaten renders a decision's beaten rules as "id:reason".
func beaten(d Decision) []string {
	var out []string
	for _, b := range d.Beaten {
		out = append(out, b.Rule.ID+":"+b.Reason)
	}
	return out
}

var (
	now     = ts("2026-12-10T00:00:00Z")
	subject = Subject{Game: ml, Item: mlItem, Supplier: "senpay", Tier: "member"}
)

func TestEvaluateWinnerAndBeaten(t *testing.T) {
	tests := []struct {
		name       string
		rules      []Rule
		wantWinner string
		wantBeaten []string
	}{
		{
			"item beats game beats global",
			[]Rule{mk("global", Match{}), mk("item", Match{Item: mlItem}), mk("game", Match{Game: ml})},
			"item", []string{"game:target", "global:target"},
		},
		{
			"supplier+tier beats tier",
			[]Rule{mk("tier", Match{Game: ml, Tier: "member"}), mk("both", Match{Game: ml, Supplier: "senpay", Tier: "member"})},
			"both", []string{"tier:supplier/tier"},
		},
		{
			"window beats none",
			[]Rule{mk("standing", Match{Game: ml}), mk("promo", Match{Game: ml}, window("2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z"))},
			"promo", []string{"standing:window"},
		},
		{
			"priority breaks a tie",
			[]Rule{mk("low", Match{Game: ml}, prio(1)), mk("high", Match{Game: ml}, prio(2))},
			"high", []string{"low:priority"},
		},
		{
			"disabled rules are ignored",
			[]Rule{mk("game", Match{Game: ml}), mk("item", Match{Item: mlItem}, disabled)},
			"game", nil,
		},
		{
			"rules that do not match are not beaten",
			[]Rule{mk("game", Match{Game: ml}), mk("public", Match{Tier: "public"}), mk("ff", Match{Game: "free-fire"})},
			"game", nil,
		},
		{
			"rules outside their window are not beaten",
			[]Rule{mk("game", Match{Game: ml}), mk("later", Match{Item: mlItem}, window("2027-01-01T00:00:00Z", ""))},
			"game", nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustSet(t, tt.rules...).Evaluate(subject, now)
			if id(d.Winner) != tt.wantWinner || len(d.Conflict) != 0 {
				t.Fatalf("got winner %s, conflict %d, want %s (%s)", id(d.Winner), len(d.Conflict), tt.wantWinner, d.Reason())
			}
			if got := beaten(d); !slices.Equal(got, tt.wantBeaten) {
				t.Fatalf("got beaten %v, want %v", got, tt.wantBeaten)
			}
			if got := d.Action(); !got.Equal(d.Winner.Action) {
				t.Fatalf("got action %+v, want the winner's", got)
			}
		})
	}
}

func TestEvaluateDefault(t *testing.T) {
	for _, s := range []*Set{
		mustSet(t),
		mustSet(t, mk("ff", Match{Game: "free-fire"}), mk("off", Match{}, disabled)),
	} {
		d := s.Evaluate(subject, now)
		if d.Winner != nil || d.Conflict != nil || d.Beaten != nil || d.Guards != nil {
			t.Fatalf("got %+v, want an empty decision", d)
		}
		if got := d.Action(); !got.Equal(Action{Kind: MarkupPercent, Value: dec("0")}) {
			t.Errorf("got action %+v, want markup_percent 0", got)
		}
		if d.Grid.Rule != nil || !d.Grid.Round.Equal(Round{Step: dec("1"), Mode: Up, Ending: dec("0")}) {
			t.Errorf("got grid %+v, want step 1 up ending 0 from no rule", d.Grid)
		}
		if !strings.Contains(d.Reason(), "default markup_percent 0") {
			t.Errorf("got reason %q, want it to name the default", d.Reason())
		}
	}
}

func TestEvaluateWindowIsHalfOpen(t *testing.T) {
	from, until := ts("2026-12-01T00:00:00Z"), ts("2026-12-02T00:00:00Z")
	s := mustSet(t, mk("w", Match{Game: ml}, window("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")))
	tests := []struct {
		at   time.Time
		want string
	}{
		{from.Add(-time.Nanosecond), "<nil>"},
		{from, "w"},
		{until.Add(-time.Nanosecond), "w"},
		{until, "<nil>"},
	}
	for _, tt := range tests {
		if got := id(s.Evaluate(subject, tt.at).Winner); got != tt.want {
			t.Errorf("at %s: got %s, want %s", tt.at.Format(time.RFC3339Nano), got, tt.want)
		}
	}
}

func TestEvaluateGridFromMostSpecificRuleWithOne(t *testing.T) {
	s := mustSet(t,
		mk("item", Match{Item: mlItem}),
		mk("game", Match{Game: ml}, withRound("100")),
		mk("global", Match{}, withRound("1000")),
	)
	d := s.Evaluate(subject, now)
	if id(d.Winner) != "item" {
		t.Fatalf("got winner %s, want item", id(d.Winner))
	}
	if id(d.Grid.Rule) != "game" || !d.Grid.Step.Equal(dec("100")) {
		t.Fatalf("got grid step %s from %s, want 100 from game", d.Grid.Step, id(d.Grid.Rule))
	}
}

func TestEvaluateGuardsFromEveryMatchingRule(t *testing.T) {
	s := mustSet(t,
		mk("global", Match{}, withGuard("50")),
		mk("item", Match{Item: mlItem}, withGuard("300")),
		mk("game", Match{Game: ml}),
		mk("tier", Match{Tier: "member"}, withGuard("100")),
		mk("ff", Match{Game: "free-fire"}, withGuard("999")),
		mk("off", Match{Game: ml}, disabled, withGuard("999")),
	)
	d := s.Evaluate(subject, now)
	var got []string
	for _, g := range d.Guards {
		got = append(got, g.Rule.ID+":"+g.MinMarginAmount.String())
	}
	if want := []string{"item:300", "tier:100", "global:50"}; !slices.Equal(got, want) {
		t.Fatalf("got guards %v, want %v", got, want)
	}
}

func TestEvaluateTieIsAConflict(t *testing.T) {
	tests := []struct {
		name  string
		rules []Rule
		want  []string
	}{
		{"equal rules", []Rule{mk("a", Match{Game: ml}), mk("b", Match{Game: ml}), mk("g", Match{})}, []string{"a", "b"}},
		{"priority on one only", []Rule{mk("a", Match{Game: ml}, prio(9)), mk("b", Match{Game: ml})}, []string{"a", "b"}},
		{"different grids tie", []Rule{
			mk("item", Match{Item: mlItem}),
			mk("a", Match{Game: ml, Tier: "member"}, prio(1), withRound("100")),
			mk("b", Match{Game: ml, Supplier: "senpay"}, prio(1), withRound("500")),
		}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustSet(t, tt.rules...).Evaluate(subject, now)
			var got []string
			for _, r := range d.Conflict {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if d.Winner != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got winner %s, conflict %v, want no winner, conflict %v", id(d.Winner), got, tt.want)
			}
			if !strings.Contains(d.Reason(), "tie") {
				t.Fatalf("got reason %q, want it to say the rules tie", d.Reason())
			}
		})
	}
	// Equal grids do not make a tie.
	d := mustSet(t,
		mk("item", Match{Item: mlItem}),
		mk("a", Match{Game: ml, Tier: "member"}, prio(1), withRound("100")),
		mk("b", Match{Game: ml, Supplier: "senpay"}, prio(1), withRound("100")),
	).Evaluate(subject, now)
	if id(d.Winner) != "item" || d.Conflict != nil {
		t.Fatalf("equal grids: got winner %s, conflict %d, want item and none", id(d.Winner), len(d.Conflict))
	}
}

func TestNextChange(t *testing.T) {
	s := mustSet(t,
		mk("a", Match{}, window("2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z")),
		mk("b", Match{Game: ml}, window("2026-12-31T00:00:00Z", "")),
		mk("off", Match{Tier: "x"}, disabled, window("2026-11-01T00:00:00Z", "")),
	)
	tests := []struct {
		at, want string
		ok       bool
	}{
		{"2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z", true},
		{"2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z", true},
		{"2026-12-15T00:00:00Z", "2026-12-31T00:00:00Z", true},
		{"2026-12-31T00:00:00Z", "", false},
	}
	for _, tt := range tests {
		got, ok := s.NextChange(ts(tt.at))
		if ok != tt.ok || !got.Equal(ts(tt.want)) {
			t.Errorf("after %s: got %v %v, want %s %v", tt.at, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNewSet(t *testing.T) {
	bad := mk("bad", Match{Tier: "Nope"})
	if _, err := NewSet([]Rule{mk("ok", Match{}), bad}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rule bad") {
		t.Fatalf("got %v, want ErrInvalid naming rule bad", err)
	}
	if _, err := NewSet([]Rule{mk("off", Match{Tier: "Nope"}, disabled)}); err != nil {
		t.Fatalf("a disabled invalid rule: got %v, want nil", err)
	}
	in := []Rule{mk("g", Match{Game: ml}, withRound("100"))}
	s := mustSet(t, in...)
	in[0].Round.Step = dec("5")
	in[0].Match.Game = "free-fire"
	d := s.Evaluate(subject, now)
	if id(d.Winner) != "g" || !d.Grid.Step.Equal(dec("100")) {
		t.Fatalf("after changing the input: got winner %s, step %s; want g, 100", id(d.Winner), d.Grid.Step)
	}
	if s.Len() != 1 {
		t.Fatalf("got Len %d, want 1", s.Len())
	}
}

func TestForItem(t *testing.T) {
	off := mk("off", Match{Item: mlItem})
	off.Enabled = false
	s := mustSet(t, mk("game", Match{Game: ml}), mk("plain", Match{Item: mlItem}), off,
		mk("tier", Match{Item: mlItem, Tier: "member"}), mk("other", Match{Item: ml + ".diamonds-172"}))
	var got []string
	for _, r := range s.ForItem(mlItem) {
		got = append(got, r.ID)
	}
	if want := []string{"tier", "plain"}; !slices.Equal(got, want) {
		t.Fatalf("ForItem: got %v, want the enabled rules naming the item, most specific first: %v", got, want)
	}
	if n := len(s.ForItem(ml + ".nope")); n != 0 {
		t.Fatalf("ForItem of an item no rule names: got %d rules", n)
	}
}
