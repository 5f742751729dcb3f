package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// TestServeWebhooks: a delivery a crash left unapplied is applied before
// serving starts, and a live one goes through the configured allow list
// and signature to the served catalog.
func TestServeWebhooks(t *testing.T) {
	s := newSims(t)
	ctx := context.Background()
	env := s.env()
	env["SYNCD_DB"] = dbtest.DSN(t)
	if err := run(ctx, []string{"sync"}, func(k string) string { return env[k] }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := syncd.Open(ctx, env["SYNCD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	const pending = `INSERT INTO webhook_inbox (supplier, kind, digest, body, remote, received_at)
		VALUES ('senpay', 'price_update', 'crashed', ?, '206.189.83.1', ?)`
	body := `{"webhook_type": "price_update", "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_172", "price_old": 45610, "price_new": 44000}]}`
	if _, err := db.Write.Exec(pending, body, syncd.FormatTime(time.Now())); err != nil {
		t.Fatal(err)
	}
	db.Close()

	env["SENPAY_WEBHOOK_ALLOW"] = "127.0.0.1/32"
	env["SENPAY_WEBHOOK_SECRET"] = "s3cret"
	env["SENPAY_WEBHOOK_SIGNATURE_HEADER"] = "Signature"
	r := startServe(t, env)
	var outcome string
	var processed *string
	if err := r.app.db.Read.QueryRow(`SELECT processed_at, outcome FROM webhook_inbox WHERE digest = 'crashed'`).Scan(&processed, &outcome); err != nil {
		t.Fatal(err)
	}
	if processed == nil || !strings.Contains(outcome, `"applied":["MLBB-BJ-V3-ALLMLBB_ID_172"]`) {
		t.Fatalf("the pending delivery at start: processed_at %v, outcome %s; want applied before serving", processed, outcome)
	}
	r.waitReady(t)

	// Unsigned, as the simulator posts: refused.
	url := "http://" + r.at.API + "/v1/webhooks/senpay"
	err = s.senpay.SendPriceUpdate(ctx, url, []senpaysim.PriceChange{{Code: "MLBB-BJ-V3-ALLMLBB_ID_86", Price: 19000}})
	if err == nil || !strings.Contains(err.Error(), "Invalid signature") {
		t.Fatalf("unsigned webhook: got %v, want Invalid signature", err)
	}
	// Signed: applied and served.
	signed := `{"webhook_type": "price_update", "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_new": 19000}]}`
	req, _ := http.NewRequest("POST", url, strings.NewReader(signed))
	req.Header.Set("Signature", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(reply), "Harga berhasil diuperbarui") {
		t.Fatalf("signed webhook: got %d %s", resp.StatusCode, reply)
	}
	// A transaction that is none of syncd's orders: kept, and refused as
	// Senpay's document refuses it.
	status := `{"webhook_type": "transaction_status", "reference": "TRX24070385294000934",
		"partner_reference": "SDNOTOURS0000000001", "status": "success", "sn": "N\/A"}`
	req, _ = http.NewRequest("POST", url, strings.NewReader(status))
	req.Header.Set("Signature", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(reply), "Transaksi tidak ditemukan: TRX24070385294000934") {
		t.Fatalf("unknown transaction: got %d %s, want 400 Transaksi tidak ditemukan", resp.StatusCode, reply)
	}
	var kept int
	if err := r.app.db.Read.QueryRow(`SELECT count(*) FROM webhook_inbox WHERE kind = 'transaction_status' AND processed_at IS NOT NULL`).Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("unknown transaction in the inbox: got %d rows (%v), want 1 processed", kept, err)
	}
	// The replayed delivery and the signed one each moved one cost.
	fams := scrape(t, "http://"+r.at.API+"/metrics", testAdmin)
	for result, want := range map[string]float64{"applied": 2, "unchanged": 0, "stale": 0, "unknown": 0} {
		got := series(fams, "syncd_webhook_changes_total", map[string]string{"supplier": "senpay", "result": result})
		if len(got) != 1 || got[0] != want {
			t.Errorf("syncd_webhook_changes_total{supplier=senpay,result=%s}: got %v, want %v", result, got, want)
		}
	}
	// Each delivery was stored durably before it was answered.
	txs := series(fams, "syncd_db_durable_transactions_total", nil)
	commits := series(fams, "syncd_db_durable_commits_total", nil)
	if len(txs) != 1 || len(commits) != 1 || txs[0] < 2 || commits[0] < 1 || commits[0] > txs[0] {
		t.Errorf("durable transactions %v, commits %v: want at least 2 transactions, made durable by 1 to as many commits", txs, commits)
	}
	if _, sqlite := fams["syncd_db_wal_backlog_frames"]; sqlite != (r.app.db.Dialect() == syncd.SQLite) {
		t.Errorf("syncd_db_wal_backlog_frames present %v on %v", sqlite, r.app.db.Dialect())
	}

	resp, page := get(t, "http://"+r.at.API+"/v1/games/mobile-legends", testAdmin)
	if resp.StatusCode != 200 {
		t.Fatalf("game: got %d", resp.StatusCode)
	}
	var game struct {
		Game struct {
			Items []struct {
				ID    string `json:"id"`
				Price *int64 `json:"price"`
			} `json:"items"`
		} `json:"game"`
	}
	if err := json.Unmarshal(page, &game); err != nil {
		t.Fatal(err)
	}
	for _, it := range game.Game.Items {
		if it.ID == "mobile-legends.diamonds-86-78-8" {
			if it.Price == nil || *it.Price != 19000 {
				t.Fatalf("86 diamonds after the webhook: got %v, want 19000", it.Price)
			}
			return
		}
	}
	t.Fatal("86 diamonds not served")
}
