package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CatalogState is the served catalog snapshot as the gauges report it.
type CatalogState struct {
	Version int64
	BuiltAt time.Time
	Items   []ItemCount
	// HeldOffers counts, by supplier, the offers whose cost is held.
	HeldOffers map[string]int
	// Suppliers are the suppliers' states as the catalog sells by them
	// (one of SupplierStates); an enabled supplier missing is
	// never_synced.
	Suppliers map[string]string
}

// SupplierStates are the values of syncd_supplier_state's state label:
// the catalog's supplier states.
var SupplierStates = []string{"ok", "degraded", "stale", "unauthorized", "never_synced"}

// ItemCount is how many items of a tier are in a state (Available,
// Unavailable or Blocked).
type ItemCount struct {
	Tier  string
	State string
	N     int
}

// WatchCatalog sets where the catalog gauges come from: state is called at
// every scrape and reports false while no snapshot is built. It must be
// cheap; counting the items of a snapshot once and remembering the counts
// for as long as it is served is the caller's business.
func (m *Metrics) WatchCatalog(state func() (CatalogState, bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.catalog = state
}

var (
	catalogVersionDesc = prometheus.NewDesc("syncd_catalog_version",
		"Version of the catalog snapshot being served.", nil, nil)
	catalogBuiltDesc = prometheus.NewDesc("syncd_catalog_built_timestamp_seconds",
		"When the catalog snapshot being served was built (its version last moved).", nil, nil)
	catalogItemsDesc = prometheus.NewDesc("syncd_catalog_items",
		"Items in the served snapshot, by price tier and state: available, unavailable (no eligible offer) or blocked (no price fits the guards).",
		[]string{"tier", "state"}, nil)
	lastSuccessDesc = prometheus.NewDesc("syncd_supplier_last_success_timestamp_seconds",
		"Start of the supplier's last successful sync; absent until it has one.", []string{"supplier"}, nil)
	supplierStateDesc = prometheus.NewDesc("syncd_supplier_state",
		"1 for the supplier's state, 0 for the others: ok, degraded (the last sync failed; its data is still fresh and sold), stale or unauthorized (not sold), never_synced.",
		[]string{"supplier", "state"}, nil)
	dataAgeDesc = prometheus.NewDesc("syncd_supplier_data_age_seconds",
		"Age of the supplier's data at scrape time: now minus the start of its last successful sync. Compare with SYNCD_STALE_AFTER.",
		[]string{"supplier"}, nil)
)

// stateCollector reports what is read at scrape time rather than counted
// as it happens: the served snapshot and how old each supplier's data is.
type stateCollector struct{ m *Metrics }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{catalogVersionDesc, catalogBuiltDesc, catalogItemsDesc, lastSuccessDesc, dataAgeDesc, heldOffersDesc, supplierStateDesc} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	state := c.m.catalog
	last := make(map[string]time.Time, len(c.m.lastSuccess))
	for s, t := range c.m.lastSuccess {
		last[s] = t
	}
	c.m.mu.Unlock()

	now := c.m.now()
	for s, t := range last {
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, unix(t), s)
		ch <- prometheus.MustNewConstMetric(dataAgeDesc, prometheus.GaugeValue, now.Sub(t).Seconds(), s)
	}
	if state == nil {
		return
	}
	cat, ok := state()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(catalogVersionDesc, prometheus.GaugeValue, float64(cat.Version))
	ch <- prometheus.MustNewConstMetric(catalogBuiltDesc, prometheus.GaugeValue, unix(cat.BuiltAt))
	for _, n := range cat.Items {
		ch <- prometheus.MustNewConstMetric(catalogItemsDesc, prometheus.GaugeValue, float64(n.N), n.Tier, n.State)
	}
	for s := range c.m.suppliers { // every enabled supplier, at zero too
		ch <- prometheus.MustNewConstMetric(heldOffersDesc, prometheus.GaugeValue, float64(cat.HeldOffers[s]), s)
		state := cat.Suppliers[s]
		if state == "" {
			state = "never_synced"
		}
		for _, v := range SupplierStates {
			ch <- prometheus.MustNewConstMetric(supplierStateDesc, prometheus.GaugeValue, one(v == state), s, v)
		}
	}
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
