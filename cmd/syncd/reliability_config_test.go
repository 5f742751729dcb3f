package main

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestRouteReliabilityConfig: the tolerance is whole rupiah or a share,
// off by default, and a value that cannot work is refused naming its
// variable.
func TestRouteReliabilityConfig(t *testing.T) {
	for _, tt := range []struct {
		value   string
		amount  int64
		percent string
		on      bool
	}{
		{"", 0, "0", false},
		{"off", 0, "0", false},
		{"500", 500, "0", true},
		{"2%", 0, "2", true},
		{" 0.5% ", 0, "0.5", true},
	} {
		env := map[string]string{"SYNCD_ROUTE_RELIABILITY": tt.value}
		c, err := parseConfig("serve", nil, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%q: %v", tt.value, err)
		}
		r := c.RouteReliability
		if r.Amount != tt.amount || !r.Percent.Equal(decimal.RequireFromString(tt.percent)) || r.On() != tt.on {
			t.Errorf("%q: got amount %d, percent %s, on %v; want %d, %s, %v", tt.value, r.Amount, r.Percent, r.On(), tt.amount, tt.percent, tt.on)
		}
		if r.MinSamples != 20 || r.Window != time.Hour {
			t.Errorf("%q: got min samples %d, window %s; want 20 and 1h", tt.value, r.MinSamples, r.Window)
		}
	}
	for _, bad := range []map[string]string{
		{"SYNCD_ROUTE_RELIABILITY": "1.5"},
		{"SYNCD_ROUTE_RELIABILITY": "-500"},
		{"SYNCD_ROUTE_RELIABILITY": "0%"},
		{"SYNCD_ROUTE_RELIABILITY": "101%"},
		{"SYNCD_ROUTE_RELIABILITY": "cheap"},
		{"SYNCD_ROUTE_RELIABILITY_MIN_SAMPLES": "0"},
		{"SYNCD_ROUTE_RELIABILITY_WINDOW": "10s"},
	} {
		if _, err := parseConfig("serve", nil, func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v: got no error, want one", bad)
		}
	}
}
