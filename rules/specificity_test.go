package rules

import (
	"testing"
	"time"
)

const (
	ml     = "mobile-legends"
	mlItem = "mobile-legends.diamonds-86"
)

// mk returns an enabled markup rule with the given id and match.
func mk(id string, m Match, edits ...func(*Rule)) Rule {
	r := Rule{ID: id, Name: "rule " + id, Enabled: true, Match: m, Action: Action{Kind: MarkupPercent, Value: dec("1")}}
	for _, e := range edits {
		e(&r)
	}
	return r
}

func ts(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func window(from, until string) func(*Rule) {
	return func(r *Rule) { r.ValidFrom, r.ValidUntil = ts(from), ts(until) }
}

func prio(p int64) func(*Rule) { return func(r *Rule) { r.Priority = &p } }

func disabled(r *Rule) { r.Enabled = false }

func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		a, b       Rule
		want       int
		wantReason string
	}{
		{"item beats game", mk("a", Match{Item: mlItem}), mk("b", Match{Game: ml}), 1, ByTarget},
		{"game beats everything", mk("a", Match{Game: ml}), mk("b", Match{}), 1, ByTarget},
		{"item beats everything", mk("a", Match{Item: mlItem}), mk("b", Match{}), 1, ByTarget},
		{"target before supplier/tier", mk("a", Match{Game: ml}), mk("b", Match{Supplier: "senpay", Tier: "member"}), 1, ByTarget},
		{"item alone beats game with game", mk("a", Match{Item: mlItem}), mk("b", Match{Game: ml, Supplier: "senpay", Tier: "member"}), 1, ByTarget},
		{"item with game is still item", mk("a", Match{Game: ml, Item: mlItem}), mk("b", Match{Item: mlItem}), 0, ""},
		{"supplier+tier beats tier", mk("a", Match{Game: ml, Supplier: "senpay", Tier: "member"}), mk("b", Match{Game: ml, Tier: "member"}), 1, BySupplierTier},
		{"tier beats none", mk("a", Match{Tier: "member"}), mk("b", Match{}), 1, BySupplierTier},
		{"supplier counts as tier does", mk("a", Match{Supplier: "senpay"}), mk("b", Match{Tier: "member"}), 0, ""},
		{"supplier/tier before window", mk("a", Match{Tier: "member"}), mk("b", Match{}, window("2026-12-01T00:00:00Z", "")), 1, BySupplierTier},
		{"window beats none", mk("a", Match{Game: ml}, window("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")), mk("b", Match{Game: ml}), 1, ByWindow},
		{"an open-ended window is a window", mk("a", Match{}, window("", "2026-12-02T00:00:00Z")), mk("b", Match{}), 1, ByWindow},
		{"window before priority", mk("a", Match{}, window("2026-12-01T00:00:00Z", "")), mk("b", Match{}, prio(100)), 1, ByWindow},
		{"higher priority wins", mk("a", Match{}, prio(2)), mk("b", Match{}, prio(1)), 1, ByPriority},
		{"negative priorities", mk("a", Match{}, prio(-2)), mk("b", Match{}, prio(-1)), -1, ByPriority},
		{"priority against none is a tie", mk("a", Match{}, prio(5)), mk("b", Match{}), 0, ""},
		{"equal priorities tie", mk("a", Match{}, prio(5)), mk("b", Match{}, prio(5)), 0, ""},
		{"ids never decide", mk("a", Match{Game: ml}), mk("b", Match{Game: ml}), 0, ""},
		{"less specific is -1", mk("a", Match{}), mk("b", Match{Game: ml}), -1, ByTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Compare(tt.a, tt.b)
			if got != tt.want || why != tt.wantReason {
				t.Fatalf("got %d %q, want %d %q", got, why, tt.want, tt.wantReason)
			}
			back, whyBack := Compare(tt.b, tt.a)
			if back != -tt.want || whyBack != tt.wantReason {
				t.Fatalf("reversed: got %d %q, want %d %q", back, whyBack, -tt.want, tt.wantReason)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	subj := Subject{Game: ml, Item: mlItem, Supplier: "senpay", Tier: "member"}
	tests := []struct {
		name string
		m    Match
		want bool
	}{
		{"everything", Match{}, true},
		{"game", Match{Game: ml}, true},
		{"other game", Match{Game: "free-fire"}, false},
		{"item", Match{Item: mlItem}, true},
		{"other item", Match{Item: ml + ".diamonds-172"}, false},
		{"supplier and tier", Match{Supplier: "senpay", Tier: "member"}, true},
		{"other supplier", Match{Supplier: "isipay"}, false},
		{"other tier", Match{Tier: "public"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Disabled and out of its window: Matches ignores both.
			r := mk("r", tt.m, disabled, window("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"))
			if got := Matches(r, subj); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
