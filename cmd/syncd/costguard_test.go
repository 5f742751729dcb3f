package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// TestServeCostGuard runs syncd against the simulators and sends Senpay's
// price_update for a 95% cut on the real webhook route: with the default
// limits the offer is held (listed, counted in the metrics); with
// SYNCD_MAX_COST_FALL=0 falls are never held and the cut is sold at once.
func TestServeCostGuard(t *testing.T) {
	const code, item = "MLBB-BJ-V3-ALLMLBB_ID_86", "mobile-legends.diamonds-86-78-8" // 22870; Isipay's 20350 sells the item
	for _, tt := range []struct {
		name     string
		fall     string
		held     bool
		price    int64
		holdsNow float64
	}{
		{"default limits hold it", "", true, 20350, 1},
		{"0 turns the fall limit off", "0", false, 1144, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSims(t)
			env := s.env()
			env["SENPAY_WEBHOOK_ALLOW"] = "127.0.0.1/32"
			if tt.fall != "" {
				env["SYNCD_MAX_COST_FALL"] = tt.fall
			}
			r := startServe(t, env)
			r.waitReady(t)
			base := "http://" + r.at.API
			if err := s.senpay.SendPriceUpdate(context.Background(), base+"/v1/webhooks/senpay",
				[]senpaysim.PriceChange{{Code: code, Price: 1144}}); err != nil {
				t.Fatal(err)
			}

			var holds struct {
				Holds []struct {
					Code string `json:"code"`
				} `json:"holds"`
			}
			resp, body := get(t, base+"/v1/cost-holds", testAdmin)
			if resp.StatusCode != 200 || json.Unmarshal(body, &holds) != nil {
				t.Fatalf("GET /v1/cost-holds: %d %s", resp.StatusCode, body)
			}
			if held := len(holds.Holds) == 1 && holds.Holds[0].Code == code; held != tt.held || len(holds.Holds) > 1 {
				t.Fatalf("holds: got %+v, want held %v", holds.Holds, tt.held)
			}
			var got struct {
				Item struct {
					Price *int64 `json:"price"`
				} `json:"item"`
			}
			resp, body = get(t, base+"/v1/items/"+item, testAdmin)
			if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got.Item.Price == nil || *got.Item.Price != tt.price {
				t.Fatalf("GET /v1/items/%s: %d %s, want price %d", item, resp.StatusCode, body, tt.price)
			}

			fams := scrape(t, base+"/metrics", testAdmin)
			if n := one(t, fams, "syncd_cost_holds", map[string]string{"supplier": "senpay"}); n != tt.holdsNow {
				t.Fatalf("syncd_cost_holds{senpay}: got %v, want %v", n, tt.holdsNow)
			}
			if n := one(t, fams, "syncd_cost_holds", map[string]string{"supplier": "isipay"}); n != 0 {
				t.Fatalf("syncd_cost_holds{isipay}: got %v, want 0", n)
			}
			if n := one(t, fams, "syncd_cost_hold_events_total", map[string]string{"supplier": "senpay", "event": "held"}); n != tt.holdsNow {
				t.Fatalf("syncd_cost_hold_events_total{senpay,held}: got %v, want %v", n, tt.holdsNow)
			}
		})
	}
}
