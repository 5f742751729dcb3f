// Package testsims runs the real suppliers' simulators for other packages'
// tests, as testenv.Supplier values, keeping each simulator and client at
// hand for what a test injects or inspects. It names the suppliers so that
// testenv and the tests' environments need not; only tests import it.
package testsims

import (
	"net/http"

	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// Key is the credential every simulator here takes and every client sends.
const Key = "sim-key"

// Senpay is Senpay's simulator of its demo catalog and, once started, the
// real client of it.
type Senpay struct {
	Sim    *senpaysim.Sim
	Client *senpay.Client
}

// NewSenpay is Senpay's simulator of the demo catalog; o's credentials
// default to Key.
func NewSenpay(o senpaysim.Options) *Senpay {
	cat, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
	if err != nil {
		panic(err) // the embedded demo catalog: a broken build
	}
	if o.APIKey == "" {
		o.APIKey, o.SecretKey = Key, Key
	}
	return &Senpay{Sim: senpaysim.New(cat, o)}
}

// Supplier is s as testenv runs it.
func (s *Senpay) Supplier() testenv.Supplier {
	return testenv.Supplier{Descriptor: senpay.Descriptor, Sim: s.Sim, Close: s.Sim.Close,
		Client: func(base string, hc *http.Client) testenv.Client {
			s.Client = senpay.New(senpay.Config{BaseURL: base, APIKey: Key, SecretKey: Key, HTTP: hc,
				RatePerSecond: -1, Retry: suppliers.Retry{Attempts: 1}})
			return s.Client
		}}
}

// Isipay is Isipay's simulator of its demo catalog and, once started, the
// real client of it.
type Isipay struct {
	Sim    *isipaysim.Sim
	Client *isipay.Client
}

// NewIsipay is Isipay's simulator of the demo catalog; o's token defaults
// to Key. Its balance is zero unless o says: it refuses every order.
func NewIsipay(o isipaysim.Options) *Isipay {
	cat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
	if err != nil {
		panic(err) // the embedded demo catalog: a broken build
	}
	if o.APIToken == "" {
		o.APIToken = Key
	}
	return &Isipay{Sim: isipaysim.New(cat, o)}
}

// Supplier is s as testenv runs it.
func (s *Isipay) Supplier() testenv.Supplier {
	return testenv.Supplier{Descriptor: isipay.Descriptor, Sim: s.Sim,
		Client: func(base string, hc *http.Client) testenv.Client {
			s.Client = isipay.New(isipay.Config{BaseURL: base, APIToken: Key, HTTP: hc,
				RatePerSecond: -1, Retry: suppliers.Retry{Attempts: 1}})
			return s.Client
		}}
}

// Both are both suppliers' demo simulators with default options, in the
// registration order.
func Both() (*Senpay, *Isipay, []testenv.Supplier) {
	sp, ip := NewSenpay(senpaysim.Options{}), NewIsipay(isipaysim.Options{})
	return sp, ip, []testenv.Supplier{sp.Supplier(), ip.Supplier()}
}
