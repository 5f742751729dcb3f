package senpay

import (
	"context"
	"crypto/rand"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// sim runs senpaysim for `syncd demo` and `syncd bench`.
var sim = &suppliers.Sim{Demo: demo, Bench: bench}

// demo is the simulator of the demo catalog. It posts transaction_status
// when an order completes and, every time Drift runs, a price_update of a
// few products, from loopback, which the demo allows besides
// SENPAY_WEBHOOK_ALLOW.
func demo() *suppliers.SimRun {
	key, secret := rand.Text(), rand.Text()
	var (
		s       *senpaysim.Sim
		codes   []string
		webhook string
	)
	return &suppliers.SimRun{
		Values: func(base string) suppliers.Values {
			return suppliers.Values{envBaseURL: base, envAPIKey: key, envSecretKey: secret}
		},
		Adjust: func(v suppliers.Values) {
			if v[envWebhookAllow] != "" {
				v[envWebhookAllow] += ","
			}
			v[envWebhookAllow] += "127.0.0.1/32"
		},
		Start: func(webhookURL string) (http.Handler, error) {
			cat, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
			if err != nil {
				return nil, err
			}
			s = senpaysim.New(cat, senpaysim.Options{APIKey: key, SecretKey: secret,
				OrderDelay: suppliers.DemoDelay, WebhookURL: webhookURL})
			codes, webhook = cat.ProductCodes(), webhookURL
			return s, nil
		},
		Drift: func(ctx context.Context, log *slog.Logger) {
			var changes []senpaysim.PriceChange
			seen := map[string]bool{}
			for range 3 {
				code := codes[mrand.N(len(codes))]
				if p, ok := s.Price(code); ok && !seen[code] {
					seen[code] = true
					changes = append(changes, senpaysim.PriceChange{Code: code, Price: suppliers.Drift(p)})
				}
			}
			// The simulator changes its prices even if the post fails, as
			// Senpay would: the next sync then catches up.
			if err := s.SendPriceUpdate(ctx, webhook, changes); err != nil && ctx.Err() == nil {
				log.Warn("demo: senpay price webhook failed", "err", err)
			}
		},
		Guide: demoGuide,
		// A lost reply lands the order: its transaction_status webhook
		// settles it.
		Upset: func(t suppliers.Trouble) {
			f := senpaysim.Fault{Path: pathCreate, Mode: senpaysim.FaultAcceptDrop, Count: 1}
			if t == suppliers.Refusal {
				f.Mode, f.Message = senpaysim.FaultStatus400, "Produk sedang gangguan"
			}
			s.Fail(f)
		},
		Close: func() {
			if s != nil {
				s.Close()
			}
		},
	}
}

const demoGuide = `  Senpay's prices reach syncd at once, by the price_update webhook its
  simulator posts every 20s (see the log); its orders complete by its
  transaction_status webhook. Post one yourself (no token; the demo lets
  loopback send them):
  curl -s -X POST http://{addr}/v1/webhooks/senpay -d '{"webhook_type": "price_update",
    "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_old": 22870, "price_new": 19000}]}'
    (86 Diamonds costs 19000 at once, and sells at what the rules make of it,
    until a sync brings back the simulator's price)
  curl -s -X POST http://{addr}/v1/webhooks/senpay -d '{"webhook_type": "price_update",
    "data": [{"product_code": "MLBB-BJ-V3-ALLMLBB_ID_86", "price_new": 1}]}'
  curl -s -H "Authorization: Bearer $TOKEN" http://{addr}/v1/cost-holds
    (a cut past half is stored but held, not sold, until a sync confirms it or a merchandiser
    accepts it: POST /v1/cost-holds/OFFER/accept {"cost": 1, "note": "why"}, or the console)
`

// bench is the simulator of a generated catalog: groups providers of per
// products, any credentials, no rate limit.
func bench(groups, per int, seed int64) *suppliers.SimRun {
	cat := senpaysim.Generate(groups, per, seed)
	s := senpaysim.New(cat, senpaysim.Options{APIKey: "k", SecretKey: "s"})
	return &suppliers.SimRun{
		Values: func(base string) suppliers.Values {
			return suppliers.Values{envBaseURL: base, envAPIKey: "k", envSecretKey: "s", envRateLimit: "-1"}
		},
		Start: func(string) (http.Handler, error) { return s, nil },
		Change: func(share float64) (int, error) {
			return suppliers.ChangeShare(cat.ProductCodes(), share, s.Price, s.SetPrice)
		},
		Close: s.Close,
	}
}
