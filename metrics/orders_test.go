package metrics

import "testing"

func TestOrderSeries(t *testing.T) {
	m := New([]string{"senpay", "isipay"})

	// Before anything happens: every bounded series at zero, no gauges.
	fams := scrape(t, m)
	for _, s := range []string{"senpay", "isipay"} {
		for _, out := range []string{"accepted", "rejected", "unknown", "taken"} {
			if v, ok := sample(fams, "syncd_order_attempts_total", map[string]string{"supplier": s, "outcome": out}); !ok || v != 0 {
				t.Errorf("attempts %s/%s: got %v (present %v), want 0 present", s, out, v, ok)
			}
		}
		if v, ok := sample(fams, "syncd_order_fallbacks_total", map[string]string{"supplier": s}); !ok || v != 0 {
			t.Errorf("fallbacks %s: got %v (present %v), want 0 present", s, v, ok)
		}
	}
	for _, out := range []string{"delivered", "retry", "failed"} {
		if v, ok := sample(fams, "syncd_notifications_total", map[string]string{"outcome": out}); !ok || v != 0 {
			t.Errorf("notifications %s: got %v (present %v), want 0 present", out, v, ok)
		}
	}
	if _, ok := fams["syncd_orders"]; ok {
		t.Error("syncd_orders before WatchOrders: present, want absent")
	}

	m.OrderEvent("attempt", "senpay", "rejected")
	m.OrderEvent("fallback", "isipay", "")
	m.OrderEvent("attempt", "isipay", "unknown")
	m.OrderEvent("attempt", "isipay", "unknown")
	m.OrderEvent("attempt", "isipay", "accepted")
	m.OrderEvent("status", "isipay", "processing")
	m.OrderEvent("status", "isipay", "success")
	m.OrderEvent("attempt", "nobody", "weird") // a mistake must not grow a label
	m.Notification("retry")
	m.Notification("delivered")
	m.BalanceCheckFailed("isipay")
	ok := true
	m.WatchOrders(func() (OrderState, bool) {
		return OrderState{
			Statuses:      map[string]int{"success": 3, "attention": 1},
			Balances:      map[string]int64{"isipay": 49_970_000, "gone": 5},
			NotifyPending: 2, NotifyFailed: 1,
		}, ok
	})

	fams = scrape(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"syncd_order_attempts_total", map[string]string{"supplier": "senpay", "outcome": "rejected"}, 1},
		{"syncd_order_attempts_total", map[string]string{"supplier": "isipay", "outcome": "unknown"}, 2},
		{"syncd_order_attempts_total", map[string]string{"supplier": "isipay", "outcome": "accepted"}, 1},
		{"syncd_order_attempts_total", map[string]string{"supplier": "other", "outcome": "other"}, 1},
		{"syncd_order_unknown_outcomes_total", map[string]string{"supplier": "isipay"}, 2},
		{"syncd_order_unknown_outcomes_total", map[string]string{"supplier": "senpay"}, 0},
		{"syncd_order_fallbacks_total", map[string]string{"supplier": "isipay"}, 1},
		{"syncd_order_status_changes_total", map[string]string{"status": "success"}, 1},
		{"syncd_order_status_changes_total", map[string]string{"status": "failed"}, 0},
		{"syncd_notifications_total", map[string]string{"outcome": "retry"}, 1},
		{"syncd_notifications_total", map[string]string{"outcome": "delivered"}, 1},
		{"syncd_supplier_balance_check_errors_total", map[string]string{"supplier": "isipay"}, 1},
		{"syncd_orders", map[string]string{"status": "success"}, 3},
		{"syncd_orders", map[string]string{"status": "pending"}, 0},
		{"syncd_orders", map[string]string{"status": "attention"}, 1},
		{"syncd_orders_attention", map[string]string{}, 1},
		{"syncd_supplier_balance_rupiah", map[string]string{"supplier": "isipay"}, 49_970_000},
		{"syncd_notifications_pending", map[string]string{}, 2},
		{"syncd_notifications_given_up", map[string]string{}, 1},
	} {
		if v, present := sample(fams, c.name, c.labels); !present || v != c.want {
			t.Errorf("%s%v: got %v (present %v), want %v", c.name, c.labels, v, present, c.want)
		}
	}
	if n := len(fams["syncd_supplier_balance_rupiah"].GetMetric()); n != 1 {
		t.Errorf("balances: got %d series, want 1 (a supplier not enabled is left out)", n)
	}

	// State that cannot be read leaves the gauges out, not the scrape.
	ok = false
	fams = scrape(t, m)
	if _, present := fams["syncd_orders"]; present {
		t.Error("syncd_orders with no state: present, want absent")
	}
	if _, present := fams["syncd_order_attempts_total"]; !present {
		t.Error("counters with no order state: absent, want present")
	}
}
