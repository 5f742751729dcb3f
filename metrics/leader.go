package metrics

import "github.com/prometheus/client_golang/prometheus"

// WatchLeader adds syncd_leader{instance}: 1 while this instance leads
// the instances on its database, else 0. Summed over instances it should
// be 1; alert when it is 0 for long (no one syncs) or above 1.
func (m *Metrics) WatchLeader(instance string, leads func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "syncd_leader",
		Help:        "1 while this instance leads the instances sharing its database (runs syncs, polls, balance checks, the outbox), else 0.",
		ConstLabels: prometheus.Labels{"instance": instance},
	}, func() float64 {
		if leads() {
			return 1
		}
		return 0
	}))
}
