package senpay

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseWebhook reads a price_update of 10,000 changes (about
// 850 KB), the largest delivery the webhook benchmarks send, through the
// strict reader every delivery now passes.
func BenchmarkParseWebhook(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"webhook_type": "price_update", "data": [`)
	for i := range 10_000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_%d", "price_old": %d, "price_new": %d}`, i, 20000+i, 19000+i)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		w, err := ParseWebhook(body)
		if err != nil || len(w.Prices) != 10_000 {
			b.Fatalf("got %v, %v", w, err)
		}
	}
}
