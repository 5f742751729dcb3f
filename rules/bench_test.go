package rules

import (
	"fmt"
	"testing"
	"time"
)

// benchCatalog is 100,000 items in 100 games, each offered by one of two
// suppliers, and 200 rules: 4 global, 96 per game (some per tier, some
// dated, some with a round or guard) and 100 per item.
func benchCatalog() (rules []Rule, subjects []Subject) {
	const games, perGame = 100, 1000
	suppliers := []string{"senpay", "isipay"}
	for g := range games {
		game := fmt.Sprintf("game-%d", g)
		for i := range perGame {
			subjects = append(subjects, Subject{
				Game: game, Item: fmt.Sprintf("%s.item-%d", game, i), Supplier: suppliers[(g+i)%2],
			})
		}
	}
	benchTiers := []string{"public", "member", "reseller"}
	rules = append(rules,
		mk("g0", Match{}, withRound("100"), withGuard("100")),
		mk("g1", Match{Tier: "member"}),
		mk("g2", Match{Tier: "reseller"}),
		mk("g3", Match{}, window("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")),
	)
	for g := range 96 {
		m := Match{Game: fmt.Sprintf("game-%d", g)}
		var edits []func(*Rule)
		switch g % 4 {
		case 1:
			m.Tier = benchTiers[g%3]
		case 2:
			edits = append(edits, window("2026-11-01T00:00:00Z", ""))
		case 3:
			edits = append(edits, withRound("500"), withGuard("200"))
		}
		rules = append(rules, mk(fmt.Sprintf("game%d", g), m, edits...))
	}
	for i := range 100 {
		s := subjects[i*997]
		rules = append(rules, mk(fmt.Sprintf("item%d", i), Match{Item: s.Item}, withGuard("50")))
	}
	return rules, subjects
}

// BenchmarkEvaluate: one op is 300,000 evaluations (100,000 items × 3
// tiers) against 200 rules. Run with
//
//	go test -run '^$' -bench Evaluate ./rules
func BenchmarkEvaluate(b *testing.B) {
	rules, subjects := benchCatalog()
	s := mustSet(b, rules...)
	at := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	tiersOf := []string{"public", "member", "reseller"}
	var won int
	for b.Loop() {
		won = 0
		for _, subj := range subjects {
			for _, tier := range tiersOf {
				subj.Tier = tier
				if d := s.Evaluate(subj, at); d.Winner != nil {
					won++
				}
			}
		}
	}
	if won != len(subjects)*len(tiersOf) {
		b.Fatalf("got %d decided, want every one of %d", won, len(subjects)*len(tiersOf))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(won), "ns/eval")
}

// BenchmarkLint: lint of the same 200 rules against 100,000 items × 3
// tiers, what a rule save costs.
func BenchmarkLint(b *testing.B) {
	rules, subjects := benchCatalog()
	for b.Loop() {
		Lint(rules, subjects, []string{"member", "reseller"}, time.Time{})
	}
}
