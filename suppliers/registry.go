package suppliers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
)

// Descriptor is one supplier adapter as the rest of syncd sees it: its
// name, its configuration, how to open it, and what it can do beyond a
// catalog and orders. Each adapter package exports one; cmd/syncd lists
// them in its one registration file, and everything else loops over the
// descriptors (or the adapters they open) and asks, never naming a
// supplier.
type Descriptor struct {
	// Name identifies the supplier everywhere: stored offers, URLs
	// (/v1/suppliers/{supplier}), rules, metrics and logs. Lower-case
	// letters, digits and '-'; it never changes.
	Name string
	// Title is its name for people ("Isipay"), in messages and pages.
	Title string
	// Settings are its configuration, each an environment variable and a
	// flag of the commands that talk to suppliers.
	Settings []Setting
	// Validate, when set, checks the settings of an enabled supplier
	// beyond each setting's own Check (a URL that must be set, say). Its
	// errors name the variables.
	Validate func(v Values) error
	// Open returns the adapter for an enabled supplier, configured by v
	// (which Check has passed).
	Open func(v Values, h Hooks) (*Adapter, error)
	// PrefixedCodes: the supplier's product codes begin with their game's
	// code ("FFMAX-BJ-V3" + "FFMAX_ID_10"), which matching strips to read
	// the supplier's own SKU.
	PrefixedCodes bool
	// GameSettings are what the supplier needs per game, beyond the
	// game's form, to take an order (a Template joining the buyer's
	// answers into one string); nil: nothing. The catalog stores and
	// checks them, orders carry them to the adapter (Purchase.Settings).
	GameSettings []catalog.GameSetting
	// Webhook, when set, is how the supplier's webhooks read and are
	// answered; nil: it posts none.
	Webhook *Webhook
	// Sim, when set, runs the supplier's simulator for `syncd demo` and
	// `syncd bench`.
	Sim *Sim
}

// Setting is one configuration entry of a supplier.
type Setting struct {
	Env     string // environment variable, "SENPAY_API_KEY"
	Flag    string // flag name, "senpay-api-key"
	Default string
	Usage   string
	// Secret settings are never logged, only whether they are set.
	Secret bool
	// Credential settings turn the supplier on: it is enabled when all of
	// them are set, and some set without the others is refused.
	Credential bool
	// Required settings must be set when the supplier is enabled.
	Required bool
	// Check, when set, refuses a value that cannot work, whether the
	// supplier is enabled or not (a rate that is not a number).
	Check func(value string) error
}

// Values are a supplier's settings as configured, by environment variable.
type Values map[string]string

// Hooks let the caller observe an adapter's client (metrics, logs).
type Hooks struct {
	// OnRetry observes every retried read.
	OnRetry func(op string, err error)
	// OnWait observes every time the rate limit held a request back.
	OnWait func(op string, waited time.Duration)
}

// Adapter is an opened supplier: one client serves its catalog syncs,
// its orders and its optional capabilities, so they share one rate limit.
type Adapter struct {
	Source offers.Source
	Orders orders.Supplier
	// Balance, when set, reads the deposit syncd holds at the supplier, in
	// rupiah; nil when the supplier has no balance endpoint (its balance
	// is unknown, never taken for empty).
	Balance func(ctx context.Context) (decimal.Decimal, error)
}

// Enabled reports whether v turns the supplier on: every credential set.
func (d Descriptor) Enabled(v Values) bool {
	any := false
	for _, s := range d.Settings {
		if s.Credential {
			if v[s.Env] == "" {
				return false
			}
			any = true
		}
	}
	return any
}

// EnabledBy says what turns the supplier on, for messages:
// "SENPAY_API_KEY+SENPAY_SECRET_KEY".
func (d Descriptor) EnabledBy() string {
	var creds, required []string
	for _, s := range d.Settings {
		switch {
		case s.Credential:
			creds = append(creds, s.Env)
		case s.Required:
			required = append(required, s.Env)
		}
	}
	return strings.Join(append(creds, required...), "+")
}

// Check reports every mistake in v, each naming its variable: a value a
// setting's Check refuses, credentials set only in part, and, for an
// enabled supplier, a required setting left empty or what Validate finds.
func (d Descriptor) Check(v Values) error {
	var errs []error
	var creds, set []string
	for _, s := range d.Settings {
		if s.Check != nil {
			if err := s.Check(v[s.Env]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.Env, err))
			}
		}
		if s.Credential {
			creds = append(creds, s.Env)
			if v[s.Env] != "" {
				set = append(set, s.Env)
			}
		}
	}
	if len(set) > 0 && len(set) < len(creds) {
		errs = append(errs, fmt.Errorf("%s must be set together", strings.Join(creds, " and ")))
	}
	if d.Enabled(v) {
		for _, s := range d.Settings {
			if s.Required && v[s.Env] == "" {
				errs = append(errs, fmt.Errorf("%s: required when %s is enabled", s.Env, d.Title))
			}
		}
		if d.Validate != nil {
			errs = append(errs, d.Validate(v))
		}
	}
	return errors.Join(errs...)
}

// Lookup returns the descriptor named name among ds.
func Lookup(ds []Descriptor, name string) (Descriptor, bool) {
	i := slices.IndexFunc(ds, func(d Descriptor) bool { return d.Name == name })
	if i < 0 {
		return Descriptor{}, false
	}
	return ds[i], true
}

// CheckRegistry refuses a list of descriptors that cannot be registered
// together: a name missing, malformed or taken twice, or a variable or
// flag two settings share.
func CheckRegistry(ds []Descriptor) error {
	names, envs, flags := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, d := range ds {
		if !validName(d.Name) {
			return fmt.Errorf("supplier name %q: want lower-case letters, digits and '-'", d.Name)
		}
		if names[d.Name] {
			return fmt.Errorf("supplier %s registered twice", d.Name)
		}
		names[d.Name] = true
		if d.Open == nil {
			return fmt.Errorf("supplier %s: no Open", d.Name)
		}
		for _, s := range d.Settings {
			if envs[s.Env] || flags[s.Flag] {
				return fmt.Errorf("supplier %s: setting %s (-%s) is taken", d.Name, s.Env, s.Flag)
			}
			envs[s.Env], flags[s.Flag] = true, true
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// CatalogConfig is cfg with what the catalog must know of the suppliers
// ds: whose product codes carry their game's code, and the game settings
// each declares. Give every registered supplier, enabled or not: their
// stored offers stay in the catalog.
func CatalogConfig(cfg catalog.Config, ds ...Descriptor) catalog.Config {
	cfg.PrefixedCodes = map[string]bool{}
	cfg.GameSettings = map[string][]catalog.GameSetting{}
	for _, d := range ds {
		if d.PrefixedCodes {
			cfg.PrefixedCodes[d.Name] = true
		}
		if len(d.GameSettings) > 0 {
			cfg.GameSettings[d.Name] = d.GameSettings
		}
	}
	return cfg
}
