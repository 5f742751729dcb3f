package isipay

import (
	"context"
	"crypto/rand"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// sim runs isipaysim for `syncd demo` and `syncd bench`.
var sim = &suppliers.Sim{Demo: demo, Bench: bench}

// demo is the simulator of the demo catalog, with a deposit of IDR 50
// million. It posts nothing: its price moves reach syncd at the next
// sync, its orders when syncd polls them.
func demo() *suppliers.SimRun {
	token := rand.Text()
	var (
		s     *isipaysim.Sim
		codes []string
	)
	return &suppliers.SimRun{
		Values: func(base string) suppliers.Values {
			return suppliers.Values{envBaseURL: base, envAPIToken: token}
		},
		Start: func(string) (http.Handler, error) {
			cat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
			if err != nil {
				return nil, err
			}
			s = isipaysim.New(cat, isipaysim.Options{APIToken: token, OrderDelay: suppliers.DemoDelay, Balance: 50_000_000})
			codes = cat.VariantCodes()
			return s, nil
		},
		Drift: func(context.Context, *slog.Logger) {
			for range 3 {
				code := codes[mrand.N(len(codes))]
				if p, ok := s.Price(code); ok {
					s.SetPrice(code, suppliers.Drift(p))
				}
			}
		},
		// A lost reply drops the order before it lands: the resend that
		// reconciles it is taken. One that landed would be settled only
		// by an operator, Isipay having no lookup by our reference and
		// no webhook.
		Upset: func(t suppliers.Trouble) {
			f := isipaysim.Fault{Path: pathOrder, Mode: isipaysim.FaultDrop, Count: 1}
			if t == suppliers.Refusal {
				f.Mode, f.Code, f.Message = isipaysim.FaultErrorBody, 400, "Produk sedang gangguan"
			}
			s.Fail(f)
		},
		Guide: "  Isipay's prices reach syncd at its next sync; its orders complete when\n  syncd polls their status.\n",
	}
}

// bench is the simulator of a generated catalog: groups products of per
// variants, any token, no rate limit.
func bench(groups, per int, seed int64) *suppliers.SimRun {
	cat := isipaysim.Generate(groups, per, seed)
	s := isipaysim.New(cat, isipaysim.Options{APIToken: "t"})
	return &suppliers.SimRun{
		Values: func(base string) suppliers.Values {
			return suppliers.Values{envBaseURL: base, envAPIToken: "t", envRateLimit: "-1"}
		},
		Start: func(string) (http.Handler, error) { return s, nil },
		Change: func(share float64) (int, error) {
			return suppliers.ChangeShare(cat.VariantCodes(), share, s.Price, s.SetPrice)
		},
	}
}
