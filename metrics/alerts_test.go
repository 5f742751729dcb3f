package metrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	// A series selector of ours in PromQL: a name, optionally matchers.
	selector = regexp.MustCompile(`\b(syncd_[a-z0-9_]+)(\{[^}]*\})?`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	exprLine = regexp.MustCompile(`(?m)^\s*expr:`)
)

// TestAlertRulesUseExportedMetrics: every series deploy/alerts.yml asks
// for is one syncd registers, with labels it has. A rule over a name
// nobody exports is silent forever; promtool's own tests, which make up
// their series, cannot tell.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	rules, err := os.ReadFile("../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string][]string{} // name → its labels
	ch := make(chan *prometheus.Desc)
	go func() {
		m := New([]string{"senpay", "isipay"})
		m.WatchDatabase(true, func() DatabaseStats { return DatabaseStats{} })
		m.reg.Describe(ch)
		close(ch)
	}()
	for d := range ch {
		s := d.String()
		m := descName.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("cannot read the descriptor %s", s)
		}
		var labels []string
		if l := descLabels.FindStringSubmatch(s); l != nil && l[1] != "" {
			for _, name := range strings.Split(l[1], ",") {
				labels = append(labels, strings.Trim(strings.TrimSpace(name), `"`))
			}
		}
		exported[m[1]] = labels
	}
	// Only expressions: annotations may mention anything.
	var exprs []string
	for _, block := range exprLine.Split(string(rules), -1)[1:] {
		end := strings.Index(block, "\n        labels:")
		if end < 0 {
			end = strings.Index(block, "\n        for:")
		}
		exprs = append(exprs, block[:end])
	}
	if len(exprs) < 10 {
		t.Fatalf("found %d rule expressions in alerts.yml, want every rule's", len(exprs))
	}
	used := 0
	for _, e := range exprs {
		for _, sel := range selector.FindAllStringSubmatch(e, -1) {
			name := sel[1]
			labels, ok := exported[name]
			if !ok {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, cut := strings.CutSuffix(name, suffix); cut {
						if labels, ok = exported[base]; ok && suffix == "_bucket" {
							labels = append(slices.Clone(labels), "le")
						}
						break
					}
				}
			}
			if !ok {
				t.Errorf("alerts.yml uses %s, which syncd does not export", name)
				continue
			}
			used++
			for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
				if !slices.Contains(labels, m[1]) {
					t.Errorf("alerts.yml selects %s by label %q; it has %v", name, m[1], labels)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("no series of ours found in alerts.yml")
	}
}
