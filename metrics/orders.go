package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The values the order labels take; anything else is counted as "other".
var (
	orderStatuses    = []string{"pending", "processing", "success", "failed", "attention"}
	attemptOutcomes  = []string{"accepted", "rejected", "unknown", "taken"}
	deliveryOutcomes = []string{"delivered", "retry", "failed"}
	breakerStates    = []string{"closed", "open", "half_open"}
	breakerRoutes    = []string{"skipped", "probe", "only_supplier"}
)

const otherLabel = "other"

// orderMetrics are the counters of order routing and notifications; the
// gauges (orders by status, balances, the outbox) are read at scrape time
// through WatchOrders.
type orderMetrics struct {
	attempts      *prometheus.CounterVec
	fallbacks     *prometheus.CounterVec
	unknowns      *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	notifications *prometheus.CounterVec
	balanceErrors *prometheus.CounterVec
	breakerState  *prometheus.GaugeVec
	breakerMoves  *prometheus.CounterVec
	breakerRoutes *prometheus.CounterVec
	// balanceWarnings counts low-balance crossings; noBalance purchases
	// refused for want of deposit.
	balanceWarnings *prometheus.CounterVec
	noBalance       *prometheus.CounterVec
	state           func() (OrderState, bool)
}

func newOrderMetrics(suppliers []string) orderMetrics {
	o := orderMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_order_attempts_total",
			Help: "Purchases sent to suppliers, first sends and reconciling resends, by supplier and outcome: accepted, rejected (definitely not taken), unknown (maybe taken) or taken (a resend found the first send had landed).",
		}, []string{"supplier", "outcome"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_order_fallbacks_total",
			Help: "Orders routed to a next supplier after an earlier one did not take or deliver them, by the supplier tried next.",
		}, []string{"supplier"}),
		unknowns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_order_unknown_outcomes_total",
			Help: "Sends whose outcome is unknown (timeout, 5xx, unreadable reply), by supplier: each is reconciled at that supplier, never rerouted.",
		}, []string{"supplier"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_order_status_changes_total",
			Help: "Order status changes, by the status reached.",
		}, []string{"status"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_notifications_total",
			Help: "Storefront notification attempts, by outcome: delivered, retry (will be tried again) or failed (given up).",
		}, []string{"outcome"}),
		balanceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_supplier_balance_check_errors_total",
			Help: "Supplier balance checks that failed; routing stops trusting the last known balance until one succeeds.",
		}, []string{"supplier"}),
		balanceWarnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_supplier_balance_low_warnings_total",
			Help: "Times a supplier's estimated balance fell below its low-balance threshold (SYNCD_LOW_BALANCE); each is one warning and one alert.",
		}, []string{"supplier"}),
		noBalance: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_order_insufficient_balance_total",
			Help: "Purchases a supplier refused for want of deposit; each lowers the estimate below the cost and has the balance read again.",
		}, []string{"supplier"}),
	}
	o.breakerState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_order_breaker_state",
		Help: "1 for the state of the supplier's order circuit, 0 for the others: closed, open (new orders routed past it) or half_open (one order probes it). This process's own.",
	}, []string{"supplier", "state"})
	o.breakerMoves = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_order_breaker_transitions_total",
		Help: "Changes of a supplier's order circuit, by the state reached.",
	}, []string{"supplier", "state"})
	o.breakerRoutes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_order_breaker_routing_total",
		Help: "Routing steps the supplier's order circuit changed, by decision: skipped (routed to another supplier), probe (sent to probe a half-open circuit) or only_supplier (sent with the circuit open: no other supplier could deliver).",
	}, []string{"supplier", "decision"})
	for _, s := range suppliers {
		for _, st := range breakerStates {
			o.breakerState.WithLabelValues(s, st).Set(one(st == "closed"))
			o.breakerMoves.WithLabelValues(s, st)
		}
		for _, d := range breakerRoutes {
			o.breakerRoutes.WithLabelValues(s, d)
		}
		for _, out := range attemptOutcomes {
			o.attempts.WithLabelValues(s, out)
		}
		o.fallbacks.WithLabelValues(s)
		o.unknowns.WithLabelValues(s)
		o.noBalance.WithLabelValues(s)
		// Not balanceErrors: not every supplier has a balance to check
		// (some document none), and a zero would claim checks that never
		// ran.
	}
	for _, st := range orderStatuses {
		o.transitions.WithLabelValues(st)
	}
	for _, out := range deliveryOutcomes {
		o.notifications.WithLabelValues(out)
	}
	return o
}

func (o *orderMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{o.attempts, o.fallbacks, o.unknowns, o.transitions, o.notifications, o.balanceErrors,
		o.breakerState, o.breakerMoves, o.breakerRoutes, o.balanceWarnings, o.noBalance}
}

// OrderEvent records one routing event. Its signature is
// orders.Config.Observe's: "attempt" with outcome accepted, rejected,
// unknown or taken; "fallback" with the supplier tried next; "status" with
// the status reached; "breaker" with the state a supplier's order circuit
// moved to; "breaker_route" with what the circuit made of a routing step.
func (m *Metrics) OrderEvent(event, supplier, outcome string) {
	switch event {
	case "breaker":
		s, state := m.supplierLabel(supplier), bounded(outcome, breakerStates)
		for _, st := range breakerStates {
			m.breakerState.WithLabelValues(s, st).Set(one(st == state))
		}
		m.breakerMoves.WithLabelValues(s, state).Inc()
	case "breaker_route":
		m.breakerRoutes.WithLabelValues(m.supplierLabel(supplier), bounded(outcome, breakerRoutes)).Inc()
	case "attempt":
		outcome = bounded(outcome, attemptOutcomes)
		m.attempts.WithLabelValues(m.supplierLabel(supplier), outcome).Inc()
		if outcome == "unknown" {
			m.unknowns.WithLabelValues(m.supplierLabel(supplier)).Inc()
		}
	case "fallback":
		m.fallbacks.WithLabelValues(m.supplierLabel(supplier)).Inc()
	case "status":
		m.transitions.WithLabelValues(bounded(outcome, orderStatuses)).Inc()
	case "insufficient_balance":
		m.noBalance.WithLabelValues(m.supplierLabel(supplier)).Inc()
	}
}

// BalanceLow records a low-balance crossing: low when the estimate fell
// below the threshold (counted), false when it came back. Its signature
// is orders.BalanceConfig.OnLow's.
func (m *Metrics) BalanceLow(supplier string, low bool) {
	if low {
		m.balanceWarnings.WithLabelValues(m.supplierLabel(supplier)).Inc()
	}
}

// Notification records one storefront notification attempt. Its signature
// is orders.NotifyConfig.OnAttempt's.
func (m *Metrics) Notification(outcome string) {
	m.notifications.WithLabelValues(bounded(outcome, deliveryOutcomes)).Inc()
}

// BalanceCheckFailed counts a failed balance check of supplier.
func (m *Metrics) BalanceCheckFailed(supplier string) {
	m.balanceErrors.WithLabelValues(m.supplierLabel(supplier)).Inc()
}

// supplierLabel keeps the supplier label to the suppliers New was given:
// routing only ever names those, but a label must not grow on a mistake.
func (m *Metrics) supplierLabel(s string) string {
	if m.suppliers[s] {
		return s
	}
	return otherLabel
}

func bounded(v string, known []string) string {
	for _, k := range known {
		if v == k {
			return v
		}
	}
	return otherLabel
}

// OrderState is what the order gauges report, read at every scrape.
type OrderState struct {
	Statuses map[string]int // orders by status
	// Balances are the suppliers' balances as syncd knows them (lowered
	// by every purchase since the last check), for those it knows.
	Balances map[string]int64
	// LowBalances are the suppliers with a low-balance warning on, and
	// Thresholds each one's threshold now (those with one configured).
	LowBalances   map[string]bool
	Thresholds    map[string]int64
	NotifyPending int // notifications waiting to be delivered
	NotifyFailed  int // notifications given up
}

// WatchOrders sets where the order gauges come from: state is called at
// every scrape and reports false when it cannot be read (the series are
// then left out of that scrape). It reads the database, so it should be
// cheap queries on indexes and bounded by a timeout.
func (m *Metrics) WatchOrders(state func() (OrderState, bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orderMetrics.state = state
}

var (
	ordersDesc = prometheus.NewDesc("syncd_orders",
		"Orders by status: pending, processing, success, failed or attention.", []string{"status"}, nil)
	attentionDesc = prometheus.NewDesc("syncd_orders_attention",
		"Orders waiting for an operator: an outcome at a supplier syncd could not settle.", nil, nil)
	balanceDesc = prometheus.NewDesc("syncd_supplier_balance_rupiah",
		"The supplier's balance as syncd knows it: the last check, less what was bought since; absent while unknown.",
		[]string{"supplier"}, nil)
	balanceLowDesc = prometheus.NewDesc("syncd_supplier_balance_low",
		"1 while the supplier's estimated balance is below its low-balance threshold (a warning is on), else 0; absent while the balance is unknown.",
		[]string{"supplier"}, nil)
	thresholdDesc = prometheus.NewDesc("syncd_supplier_balance_threshold_rupiah",
		"The supplier's low-balance threshold now: the amount configured, or the spend of the configured hours at the last hour's rate.",
		[]string{"supplier"}, nil)
	notifyPendingDesc = prometheus.NewDesc("syncd_notifications_pending",
		"Storefront notifications waiting to be delivered.", nil, nil)
	notifyFailedDesc = prometheus.NewDesc("syncd_notifications_given_up",
		"Storefront notifications given up after their last attempt, kept for operators.", nil, nil)
)

// orderCollector reports the order gauges from WatchOrders's state.
type orderCollector struct{ m *Metrics }

func (c orderCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{ordersDesc, attentionDesc, balanceDesc, balanceLowDesc, thresholdDesc, notifyPendingDesc, notifyFailedDesc} {
		ch <- d
	}
}

func (c orderCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	state := c.m.orderMetrics.state
	c.m.mu.Unlock()
	if state == nil {
		return
	}
	st, ok := state()
	if !ok {
		return
	}
	for _, s := range orderStatuses {
		ch <- prometheus.MustNewConstMetric(ordersDesc, prometheus.GaugeValue, float64(st.Statuses[s]), s)
	}
	ch <- prometheus.MustNewConstMetric(attentionDesc, prometheus.GaugeValue, float64(st.Statuses["attention"]))
	for s, b := range st.Balances {
		if c.m.suppliers[s] { // a supplier no longer enabled is no one's concern
			ch <- prometheus.MustNewConstMetric(balanceDesc, prometheus.GaugeValue, float64(b), s)
			low := 0.0
			if st.LowBalances[s] {
				low = 1
			}
			ch <- prometheus.MustNewConstMetric(balanceLowDesc, prometheus.GaugeValue, low, s)
		}
	}
	for s, th := range st.Thresholds {
		if c.m.suppliers[s] {
			ch <- prometheus.MustNewConstMetric(thresholdDesc, prometheus.GaugeValue, float64(th), s)
		}
	}
	ch <- prometheus.MustNewConstMetric(notifyPendingDesc, prometheus.GaugeValue, float64(st.NotifyPending))
	ch <- prometheus.MustNewConstMetric(notifyFailedDesc, prometheus.GaugeValue, float64(st.NotifyFailed))
}
