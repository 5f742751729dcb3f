package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/syncd/syncd/rules"
)

// ReviewRuleOnAlias: an enabled margin rule names an item that was merged
// into another (an alias). Rules follow a merge (retargetRules) unless
// the item has an equally specific rule of its own, which a merge must
// not silently make into a tie; until a person decides, the rule prices
// nothing.
const ReviewRuleOnAlias = "rule_on_merged_item"

// RuleReviewEntry is a margin rule waiting for a merchandiser.
type RuleReviewEntry struct {
	Rule   string `json:"rule"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Item is the merged id the rule names, Into the item it is now.
	Item string `json:"item"`
	Into string `json:"into"`
	// Clashes are the rules on Into as specific as this one would be
	// there: why it could not follow.
	Clashes []string `json:"clashes"`
	Detail  string   `json:"detail"`
}

// RuleReview lists the enabled rules that name a merged item, by rule id.
// It is derived from the snapshot's rules and aliases whenever asked, so
// a rule edited or deleted leaves it at once.
func (s *Snapshot) RuleReview() []RuleReviewEntry {
	out := []RuleReviewEntry{}
	if s.rules == nil {
		return out
	}
	for alias, into := range s.aliases {
		for _, r := range s.rules.ForItem(alias) {
			e := RuleReviewEntry{Rule: r.ID, Name: r.Name, Reason: ReviewRuleOnAlias, Item: alias, Into: into, Clashes: []string{}}
			moved := r
			moved.Match.Item = into
			if moved.Match.Game != "" {
				moved.Match.Game = gameOf(into)
			}
			for _, o := range s.rules.ForItem(into) {
				if o.Match.Supplier != r.Match.Supplier || o.Match.Tier != r.Match.Tier {
					continue
				}
				if n, _ := rules.Compare(moved, o); n == 0 {
					e.Clashes = append(e.Clashes, o.ID)
				}
			}
			slices.Sort(e.Clashes)
			e.Detail = fmt.Sprintf("names %s, which was merged into %s: it prices nothing", alias, into)
			if len(e.Clashes) > 0 {
				e.Detail += fmt.Sprintf("; it could not follow the merge because %s on %s is as specific: decide which applies (delete one, or name %s with a priority set on both)",
					strings.Join(e.Clashes, ", "), into, into)
			} else {
				e.Detail += fmt.Sprintf(" until it names %s", into)
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b RuleReviewEntry) int { return cmp.Compare(a.Rule, b.Rule) })
	return out
}
