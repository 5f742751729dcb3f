package metrics

import "testing"

func TestBalanceSeries(t *testing.T) {
	m := New([]string{"senpay", "isipay"})
	fams := scrape(t, m)
	if v, ok := sample(fams, "syncd_order_insufficient_balance_total", map[string]string{"supplier": "isipay"}); !ok || v != 0 {
		t.Errorf("insufficient balance before any: got %v (present %v), want 0 present", v, ok)
	}
	m.OrderEvent("insufficient_balance", "isipay", "")
	m.BalanceLow("isipay", true)
	m.BalanceLow("isipay", false) // recovering is not a warning
	m.BalanceLow("isipay", true)
	m.Repriced("balance", 0)
	m.WatchOrders(func() (OrderState, bool) {
		return OrderState{
			Balances:    map[string]int64{"isipay": 92},
			LowBalances: map[string]bool{"isipay": true},
			Thresholds:  map[string]int64{"isipay": 500_000, "gone": 1},
		}, true
	})
	fams = scrape(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"syncd_order_insufficient_balance_total", map[string]string{"supplier": "isipay"}, 1},
		{"syncd_supplier_balance_low_warnings_total", map[string]string{"supplier": "isipay"}, 2},
		{"syncd_supplier_balance_low", map[string]string{"supplier": "isipay"}, 1},
		{"syncd_supplier_balance_threshold_rupiah", map[string]string{"supplier": "isipay"}, 500_000},
		{"syncd_reprices_total", map[string]string{"cause": "balance"}, 1},
	} {
		if v, present := sample(fams, c.name, c.labels); !present || v != c.want {
			t.Errorf("%s%v: got %v (present %v), want %v", c.name, c.labels, v, present, c.want)
		}
	}
	if _, present := sample(fams, "syncd_supplier_balance_low", map[string]string{"supplier": "senpay"}); present {
		t.Error("senpay's balance is unknown: its low gauge should be absent")
	}
	if n := len(fams["syncd_supplier_balance_threshold_rupiah"].GetMetric()); n != 1 {
		t.Errorf("thresholds: got %d series, want 1", n)
	}
}
