package metrics

import "github.com/prometheus/client_golang/prometheus"

// webhookResults are the values of the result label of
// syncd_webhook_changes_total: what a price webhook's change came to
// (offers.CostUpdate's lists; holds are syncd_cost_hold_events_total's).
var webhookResults = []string{"applied", "unchanged", "stale", "unknown"}

func newWebhookChanges(suppliers []string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_webhook_changes_total",
		Help: "Products named by supplier price webhooks, by supplier and result: applied (the cost moved), unchanged, stale (older than the stored cost: not applied) or unknown (an offer syncd does not have; the next sync adds it).",
	}, []string{"supplier", "result"})
	for _, s := range suppliers {
		for _, r := range webhookResults {
			c.WithLabelValues(s, r)
		}
	}
	return c
}

// WebhookChanges counts what one applied price webhook did with the
// products it named.
func (m *Metrics) WebhookChanges(supplier string, applied, unchanged, stale, unknown int) {
	s := m.supplierLabel(supplier)
	for i, n := range []int{applied, unchanged, stale, unknown} {
		if n > 0 {
			m.webhookChanges.WithLabelValues(s, webhookResults[i]).Add(float64(n))
		}
	}
}
