package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

const ml172 = "mobile-legends.diamonds-172"

// catalog: two Mobile Legends items, one offered by both suppliers, and a
// Free Fire item.
var catalog = []Subject{
	{Game: ml, Item: mlItem, Supplier: "senpay"},
	{Game: ml, Item: mlItem, Supplier: "isipay"},
	{Game: ml, Item: ml172, Supplier: "senpay"},
	{Game: "free-fire", Item: "free-fire.diamonds-70", Supplier: "isipay"},
}

var tiers = []string{"member", "reseller"}

// codes renders findings as "code:rule,rule".
func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code+":"+strings.Join(f.Rules, ","))
	}
	return out
}

func TestLintConflicts(t *testing.T) {
	const (
		d1 = "2026-12-01T00:00:00Z"
		d2 = "2026-12-02T00:00:00Z"
		d3 = "2026-12-03T00:00:00Z"
	)
	tests := []struct {
		name      string
		rules     []Rule
		now       time.Time
		want      []string // error codes and rules
		wantItems []string // of the first error
	}{
		{
			"equal rules overlap",
			[]Rule{mk("a", Match{Game: ml, Tier: "member"}), mk("b", Match{Game: ml, Tier: "member"})},
			time.Time{}, []string{"conflict:a,b"}, []string{ml172, mlItem},
		},
		{
			"supplier and tier rules overlap where both apply",
			[]Rule{mk("a", Match{Game: ml, Tier: "member"}), mk("b", Match{Game: ml, Supplier: "isipay"})},
			time.Time{}, []string{"conflict:a,b"}, []string{mlItem},
		},
		{
			"an item rule and a game+item rule overlap",
			[]Rule{mk("a", Match{Item: mlItem}), mk("b", Match{Game: ml, Item: mlItem})},
			time.Time{}, []string{"conflict:a,b"}, []string{mlItem},
		},
		{
			"overlap with no catalog item yet is refused",
			[]Rule{mk("a", Match{Game: ml, Supplier: "unipin"}), mk("b", Match{Game: ml, Tier: "member"})},
			time.Time{}, []string{"conflict:a,b"}, nil,
		},
		{
			"overlapping windows",
			[]Rule{mk("a", Match{Game: ml}, window(d1, d3)), mk("b", Match{Game: ml}, window(d2, ""))},
			time.Time{}, []string{"conflict:a,b"}, []string{ml172, mlItem},
		},
		{
			"a priority on one rule only",
			[]Rule{mk("a", Match{Game: ml}, prio(1)), mk("b", Match{Game: ml})},
			time.Time{}, []string{"conflict:a,b"}, []string{ml172, mlItem},
		},
		{
			"equal priorities",
			[]Rule{mk("a", Match{Game: ml}, prio(1)), mk("b", Match{Game: ml}, prio(1))},
			time.Time{}, []string{"conflict:a,b"}, []string{ml172, mlItem},
		},
		{"adjacent windows", []Rule{mk("a", Match{Game: ml}, window(d1, d2)), mk("b", Match{Game: ml}, window(d2, d3))}, time.Time{}, nil, nil},
		{"different tiers", []Rule{mk("a", Match{Game: ml, Tier: "member"}), mk("b", Match{Game: ml, Tier: "public"})}, time.Time{}, nil, nil},
		{"different suppliers", []Rule{mk("a", Match{Supplier: "senpay"}), mk("b", Match{Supplier: "isipay"})}, time.Time{}, nil, nil},
		{"different games", []Rule{mk("a", Match{Game: ml}), mk("b", Match{Game: "free-fire"})}, time.Time{}, nil, nil},
		{"item of another game", []Rule{mk("a", Match{Item: mlItem}), mk("b", Match{Game: "free-fire"}, window(d1, ""))}, time.Time{}, nil, nil},
		{"distinct priorities", []Rule{mk("a", Match{Game: ml}, prio(2)), mk("b", Match{Game: ml}, prio(1))}, time.Time{}, nil, nil},
		{"different specificity", []Rule{mk("a", Match{Game: ml}), mk("b", Match{Game: ml}, window(d1, d2))}, time.Time{}, nil, nil},
		{"one disabled", []Rule{mk("a", Match{Game: ml}), mk("b", Match{Game: ml}, disabled)}, time.Time{}, nil, nil},
		{"both expired", []Rule{mk("a", Match{Game: ml}, window(d1, d2)), mk("b", Match{Game: ml}, window(d1, d2))}, ts(d3), nil, nil},
		{"invalid rule", []Rule{mk("a", Match{Tier: "Member"})}, time.Time{}, []string{"invalid:a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Lint(tt.rules, catalog, tiers, tt.now)
			if got := codes(f.Errors); !slices.Equal(got, tt.want) {
				t.Fatalf("got errors %v, want %v (%v)", got, tt.want, f.Errors)
			}
			if len(tt.want) == 0 {
				if err := f.Err(); err != nil {
					t.Fatalf("got Err %v, want nil", err)
				}
				return
			}
			if got := f.Errors[0].Items; !slices.Equal(got, tt.wantItems) {
				t.Fatalf("got items %v, want %v", got, tt.wantItems)
			}
			msg := f.Errors[0].Message
			for _, it := range tt.wantItems {
				if !strings.Contains(msg, it) {
					t.Errorf("got message %q, want it to name %s", msg, it)
				}
			}
			var le *LintError
			if err := f.Err(); !errors.As(err, &le) || !errors.Is(err, ErrConflict) {
				t.Fatalf("got Err %v, want a *LintError matching ErrConflict", err)
			}
		})
	}
}

func TestLintConflictExamplesAreBounded(t *testing.T) {
	var subjects []Subject
	for i := range 8 {
		subjects = append(subjects, Subject{Game: ml, Item: fmt.Sprintf("%s.d-%d", ml, i), Supplier: "senpay"},
			Subject{Game: ml, Item: fmt.Sprintf("%s.d-%d", ml, i), Supplier: "isipay"})
	}
	f := Lint([]Rule{mk("a", Match{Game: ml}), mk("b", Match{Game: ml})}, subjects, nil, time.Time{})
	if len(f.Errors) != 1 {
		t.Fatalf("got %v, want one conflict", codes(f.Errors))
	}
	if got := f.Errors[0]; len(got.Items) != MaxExamples || got.MoreItems != 8-MaxExamples {
		t.Fatalf("got items %v and %d more, want %d and %d more", got.Items, got.MoreItems, MaxExamples, 8-MaxExamples)
	}
	if !strings.Contains(f.Errors[0].Message, "8 item(s)") {
		t.Fatalf("got message %q, want it to count 8 items", f.Errors[0].Message)
	}
}

func TestLintWarnings(t *testing.T) {
	const d1, d2 = "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"
	tests := []struct {
		name    string
		rules   []Rule
		now     time.Time
		want    []string
		message string // of the first warning
	}{
		{"unknown game", []Rule{mk("a", Match{Game: "genshin"})}, time.Time{}, []string{"matches_nothing:a"}, `no game "genshin"`},
		{"unknown tier", []Rule{mk("a", Match{Tier: "vip"})}, time.Time{}, []string{"matches_nothing:a"}, `no storefront tier "vip"`},
		{"unknown item", []Rule{mk("a", Match{Item: ml + ".gone"}, disabled)}, time.Time{}, []string{"matches_nothing:a"}, `no item "mobile-legends.gone"`},
		{"no subject has all", []Rule{mk("a", Match{Item: ml172, Supplier: "isipay"})}, time.Time{}, []string{"matches_nothing:a"}, "no item has all of item " + ml172 + " from supplier isipay"},
		{"public always exists", []Rule{mk("a", Match{Tier: "public"})}, time.Time{}, nil, ""},
		{
			"shadowed by more specific rules on every subject",
			[]Rule{
				mk("r", Match{Game: ml, Tier: "member"}, withGuard("100")),
				mk("s", Match{Game: ml, Supplier: "senpay", Tier: "member"}),
				mk("i", Match{Game: ml, Supplier: "isipay", Tier: "member"}),
			},
			time.Time{}, []string{"shadowed:r,s,i"}, "its round and guard still count",
		},
		{
			"item rule shadows its game on a one-item game",
			[]Rule{mk("g", Match{Game: "free-fire"}), mk("i", Match{Item: "free-fire.diamonds-70"})},
			time.Time{}, []string{"shadowed:g,i"}, "never wins",
		},
		{
			"not shadowed where one subject is left",
			[]Rule{mk("r", Match{Game: ml, Tier: "member"}), mk("s", Match{Game: ml, Supplier: "senpay", Tier: "member"})},
			time.Time{}, nil, "",
		},
		{
			"not shadowed by a rule with a narrower window",
			[]Rule{mk("g", Match{Game: "free-fire"}), mk("i", Match{Item: "free-fire.diamonds-70"}, window(d1, d2))},
			time.Time{}, nil, "",
		},
		{
			"shadowed by a rule whose window covers its own",
			[]Rule{mk("g", Match{Game: "free-fire"}, window(d1, d2)), mk("i", Match{Item: "free-fire.diamonds-70"}, window(d1, ""))},
			time.Time{}, []string{"shadowed:g,i"}, "",
		},
		{
			"not shadowed by a disabled rule",
			[]Rule{mk("g", Match{Game: "free-fire"}), mk("i", Match{Item: "free-fire.diamonds-70"}, disabled)},
			time.Time{}, nil, "",
		},
		{"expired", []Rule{mk("a", Match{Game: ml}, window(d1, d2))}, ts(d2), []string{"expired:a"}, "expired at " + d2},
		{"not yet expired", []Rule{mk("a", Match{Game: ml}, window(d1, d2))}, ts(d1), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Lint(tt.rules, catalog, tiers, tt.now)
			if len(f.Errors) != 0 {
				t.Fatalf("got errors %v, want none", codes(f.Errors))
			}
			if got := codes(f.Warnings); !slices.Equal(got, tt.want) {
				t.Fatalf("got warnings %v, want %v (%v)", got, tt.want, f.Warnings)
			}
			if tt.message != "" && !strings.Contains(f.Warnings[0].Message, tt.message) {
				t.Fatalf("got message %q, want it to contain %q", f.Warnings[0].Message, tt.message)
			}
		})
	}
}
