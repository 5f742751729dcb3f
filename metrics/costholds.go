package metrics

import "github.com/prometheus/client_golang/prometheus"

// costHoldEvents are the values of the event label of
// syncd_cost_hold_events_total (offers.HoldEvents); anything else is
// counted as "other".
var costHoldEvents = []string{"held", "moved", "confirmed", "returned", "accepted"}

func newCostHoldEvents(suppliers []string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_cost_hold_events_total",
		Help: "Supplier cost moves the cost guard held or released, by supplier and event: held (a move beyond SYNCD_MAX_COST_FALL/RISE), moved (another such word while held), confirmed (by a sync), returned (a webhook back within the limits) or accepted (by a merchandiser).",
	}, []string{"supplier", "event"})
	for _, s := range suppliers {
		for _, ev := range costHoldEvents {
			c.WithLabelValues(s, ev)
		}
	}
	return c
}

// CostHold counts one event of the cost guard. Its signature is
// offers.CostGuard.OnEvent's, with the event as a string.
func (m *Metrics) CostHold(supplier, event string) {
	known := false
	for _, ev := range costHoldEvents {
		known = known || ev == event
	}
	if !known {
		event = otherLabel
	}
	m.costHolds.WithLabelValues(supplier, event).Inc()
}

var heldOffersDesc = prometheus.NewDesc("syncd_cost_holds",
	"Offers whose cost the cost guard holds in the served snapshot, by supplier: not sold until a sync confirms the move or a merchandiser accepts it (GET /v1/cost-holds).",
	[]string{"supplier"}, nil)
