package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/gcfloor"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// Config is everything syncd is told at start-up. Each field comes from an
// environment variable (the contract in DESIGN.md) and can be overridden by
// the flag of the same name.
type Config struct {
	Addr         string
	DB           string
	SyncInterval time.Duration
	StaleAfter   time.Duration
	MaxShrink    float64
	// MaxCostFall and MaxCostRise are the cost guard's limits: shares of
	// an offer's last confirmed cost it may fall or rise by on one word
	// before the move is held; 0 holds no move on that side.
	MaxCostFall decimal.Decimal
	MaxCostRise decimal.Decimal
	// SwitchMargin: rupiah another supplier must undercut an item's current
	// one by before syncd switches (hysteresis); 0 always takes the cheapest.
	SwitchMargin int64
	// Preference orders suppliers for ties on cost.
	Preference []string
	// MinMarginPercent and MinMarginAmount are the global floor every
	// price obeys besides the rules' guards (DESIGN.md: default margin ≥ 0).
	MinMarginPercent decimal.Decimal
	MinMarginAmount  int64
	AdminToken       string
	LogFormat        string
	LogLevel         slog.Level
	// MetricsAddr, when set, serves /metrics there without a token instead
	// of to admins on Addr.
	MetricsAddr string
	// Instance names this process among several on one database, in logs,
	// the syncd_leader metric and GET /v1/suppliers; "" is host name and
	// process id.
	Instance string

	// Registered are the suppliers syncd is built with (the registration
	// list, which a test may extend), in the default order of preference;
	// Supplier holds each one's settings, by name.
	Registered []suppliers.Descriptor
	Supplier   map[string]suppliers.Values

	TrustedProxies []netip.Prefix
	NotifyURL      string
	NotifySecret   string

	// Orders (orders.Config): how long another supplier may still be
	// tried, how long an unknown outcome is reconciled and an accepted
	// purchase may stay in flight before an operator is asked, and how
	// often due attempts are checked (also the first backoff step).
	OrderRerouteWindow    time.Duration
	OrderReconcileTimeout time.Duration
	OrderStuckAfter       time.Duration
	OrderPollInterval     time.Duration
	// BalanceInterval is how often the balance of every supplier that
	// reports one is asked.
	BalanceInterval time.Duration
	// BreakerFailures consecutive failures of a supplier's order endpoint
	// open its circuit (0: no breaker); BreakerCooldown later one order
	// probes it.
	BreakerFailures int
	BreakerCooldown time.Duration
	// BalanceMargin is how far a supplier's estimated balance must rise
	// above an offer's cost before an offer skipped for want of deposit
	// sells again, and above a low-balance threshold before its warning
	// ends.
	BalanceMargin int64
	// LowBalance are the low-balance thresholds by supplier ("" for every
	// supplier whose balance syncd knows).
	LowBalance map[string]orders.LowBalance
	// AlertURL, when set, receives operator alerts (a balance running low
	// and recovering), signed with AlertSecret.
	AlertURL    string
	AlertSecret string
	// RouteReliability is reliability-weighted routing (off unless its
	// tolerance is set).
	RouteReliability orders.ReliabilityConfig
	// DemoTraffic is how often `syncd demo`'s simulated storefront orders;
	// 0: it places none. Other commands ignore it.
	DemoTraffic time.Duration
	// GCFloor is the heap size below which the garbage collector does not
	// start a collection (internal/gcfloor); 0 leaves Go's default.
	GCFloor uint64
}

// Suppliers lists the enabled suppliers, in registration order: a
// supplier is enabled when its credentials are set.
func (c Config) Suppliers() []string {
	var out []string
	for _, d := range c.enabled() {
		out = append(out, d.Name)
	}
	return out
}

// enabled are the descriptors of the enabled suppliers.
func (c Config) enabled() []suppliers.Descriptor {
	var out []suppliers.Descriptor
	for _, d := range c.Registered {
		if d.Enabled(c.Supplier[d.Name]) {
			out = append(out, d)
		}
	}
	return out
}

// catalogConfig is cat with what the catalog must know of every
// registered supplier (enabled or not: their offers stay stored).
func (c Config) catalogConfig(cat catalog.Config) catalog.Config {
	return suppliers.CatalogConfig(cat, c.Registered...)
}

// LogValue keeps secrets out of logs: only whether each is set is shown.
func (c Config) LogValue() slog.Value {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	attrs := []slog.Attr{
		slog.String("addr", c.Addr),
		slog.String("metrics_addr", c.MetricsAddr),
		// A PostgreSQL URL may carry a password.
		slog.String("db", syncd.RedactDSN(c.DB)),
		slog.Duration("sync_interval", c.SyncInterval),
		slog.Duration("stale_after", c.StaleAfter),
		slog.String("max_cost_fall", c.MaxCostFall.String()),
		slog.String("max_cost_rise", c.MaxCostRise.String()),
		slog.String("admin_token", set(c.AdminToken)),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Any("suppliers", c.Suppliers()),
		// The URL may carry a storefront's token in its path or query.
		slog.String("notify_url", set(c.NotifyURL)),
		slog.String("notify_secret", set(c.NotifySecret)),
		slog.Duration("order_reroute_window", c.OrderRerouteWindow),
		slog.Duration("order_reconcile_timeout", c.OrderReconcileTimeout),
		slog.Duration("order_stuck_after", c.OrderStuckAfter),
		slog.Duration("order_poll_interval", c.OrderPollInterval),
		slog.Duration("balance_interval", c.BalanceInterval),
		slog.Int("breaker_failures", c.BreakerFailures),
		slog.Duration("breaker_cooldown", c.BreakerCooldown),
		slog.Int64("balance_margin", c.BalanceMargin),
		slog.String("low_balance", lowBalanceText(c.LowBalance)),
		slog.String("alert_url", set(c.AlertURL)),
		slog.String("alert_secret", set(c.AlertSecret)),
		slog.String("route_reliability", reliabilityText(c.RouteReliability)),
		slog.Int("route_reliability_min_samples", c.RouteReliability.MinSamples),
		slog.Duration("route_reliability_window", c.RouteReliability.Window),
		slog.Duration("demo_traffic", c.DemoTraffic),
		slog.Uint64("gc_floor", c.GCFloor),
	}
	// Each supplier's settings under their variable's name; a secret only
	// as set or unset.
	for _, d := range c.Registered {
		for _, st := range d.Settings {
			v := c.Supplier[d.Name][st.Env]
			if st.Secret {
				v = set(v)
			}
			attrs = append(attrs, slog.String(strings.ToLower(st.Env), v))
		}
	}
	return slog.GroupValue(attrs...)
}

// setting is one configuration entry: its environment variable, its flag,
// its default and how it lands in Config.
type setting struct {
	env, flag, def, usage string
	set                   func(*Config, string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
}

func num(p func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return err
		}
		*p(c) = f
		return nil
	}
}

// count reads a whole number, 0 or more.
func count(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole number, 0 or more", v)
		}
		*p(c) = n
		return nil
	}
}

// share reads a non-negative decimal share ("0.5"), never a float.
func share(p func(*Config) *decimal.Decimal) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := decimal.NewFromString(strings.TrimSpace(v))
		if err != nil || d.IsNegative() {
			return fmt.Errorf("%q is not a share such as 0.5 (0 or more)", v)
		}
		*p(c) = d
		return nil
	}
}

func cidrs(p func(*Config) *[]netip.Prefix) func(*Config, string) error {
	return func(c *Config, v string) error {
		out, err := suppliers.ParsePrefixes(v)
		if err != nil {
			return err
		}
		*p(c) = out
		return nil
	}
}

// settingsFor is every setting of syncd built with reg: its own, with
// each supplier's in the middle, where the flags' help lists them.
func settingsFor(reg []suppliers.Descriptor) []setting {
	names := make([]string, len(reg))
	for i, d := range reg {
		names[i] = d.Name
	}
	var out []setting
	for _, s := range settings {
		switch s.env {
		case "SYNCD_SUPPLIER_PREFERENCE":
			s.def = strings.Join(names, ",")
		case "SYNCD_LOW_BALANCE":
			s.set = func(c *Config, v string) error {
				low, err := parseLowBalance(v, names)
				c.LowBalance = low
				return err
			}
		case "SYNCD_TRUSTED_PROXIES":
			for _, d := range reg {
				for _, st := range d.Settings {
					name, env := d.Name, st.Env
					out = append(out, setting{st.Env, st.Flag, st.Default, st.Usage, func(c *Config, v string) error {
						c.Supplier[name][env] = v
						return nil
					}})
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// settings are syncd's own settings; settingsFor adds the suppliers'.
var settings = []setting{
	{"SYNCD_ADDR", "addr", "127.0.0.1:8080", "listen address", str(func(c *Config) *string { return &c.Addr })},
	{"SYNCD_METRICS_ADDR", "metrics-addr", "", "listen address for GET /metrics without a token (default: on the main address, admin token required)", str(func(c *Config) *string { return &c.MetricsAddr })},
	{"SYNCD_DB", "db", "syncd.db", "SQLite database file", str(func(c *Config) *string { return &c.DB })},
	{"SYNCD_INSTANCE", "instance", "", "this instance's name among several on one PostgreSQL database, shown in GET /v1/suppliers and the syncd_leader metric (default: host name and process id)", func(c *Config, v string) error {
		// It owns order leases and labels a metric: a name, not text.
		if len(v) > 64 || strings.TrimLeft(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") != "" {
			return fmt.Errorf("%q is not an instance name: at most 64 letters, digits and . _ : @ -", v)
		}
		c.Instance = v
		return nil
	}},
	{"SYNCD_SYNC_INTERVAL", "sync-interval", "5m", "time between catalog syncs of each supplier", dur(func(c *Config) *time.Duration { return &c.SyncInterval })},
	{"SYNCD_STALE_AFTER", "stale-after", "", "age of the last successful sync after which a supplier's data is stale (default 3 sync intervals)", dur(func(c *Config) *time.Duration { return &c.StaleAfter })},
	{"SYNCD_SWITCH_MARGIN", "switch-margin", "0", "rupiah another supplier must undercut an item's current supplier by before syncd switches", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole, non-negative rupiah amount", v)
		}
		c.SwitchMargin = n
		return nil
	}},
	{"SYNCD_SUPPLIER_PREFERENCE", "supplier-preference", "", "suppliers in order of preference when costs tie (default: the registered suppliers, in their order)", func(c *Config, v string) error {
		c.Preference = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Preference = append(c.Preference, s)
			}
		}
		return nil
	}},
	{"SYNCD_MIN_MARGIN_PERCENT", "min-margin-percent", "0", "global floor: every price at least cost × (1 + this/100)", func(c *Config, v string) error {
		d, err := decimal.NewFromString(v)
		if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(1000)) {
			return fmt.Errorf("%q is not a percentage from 0 to 1000", v)
		}
		c.MinMarginPercent = d
		return nil
	}},
	{"SYNCD_MIN_MARGIN_AMOUNT", "min-margin-amount", "0", "global floor: every price at least cost + this many rupiah", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole, non-negative rupiah amount", v)
		}
		c.MinMarginAmount = n
		return nil
	}},
	{"SYNCD_MAX_SHRINK", "max-shrink", "0.5", "largest share of a supplier's active offers one sync may take away", num(func(c *Config) *float64 { return &c.MaxShrink })},
	{"SYNCD_MAX_COST_FALL", "max-cost-fall", "0.5", "largest share of an offer's confirmed cost a supplier may cut it by before the move is held for confirmation (0: never held)", share(func(c *Config) *decimal.Decimal { return &c.MaxCostFall })},
	{"SYNCD_MAX_COST_RISE", "max-cost-rise", "1.0", "largest share of an offer's confirmed cost a supplier may raise it by before the move is held for confirmation (0: never held)", share(func(c *Config) *decimal.Decimal { return &c.MaxCostRise })},
	{"SYNCD_ADMIN_TOKEN", "admin-token", "", "bootstrap admin bearer token", str(func(c *Config) *string { return &c.AdminToken })},
	{"SYNCD_LOG_FORMAT", "log-format", "text", "log format: text or json", str(func(c *Config) *string { return &c.LogFormat })},
	{"SYNCD_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn, error", func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"SYNCD_TRUSTED_PROXIES", "trusted-proxies", "", "CIDRs of proxies whose X-Forwarded-For is believed", cidrs(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies })},
	{"SYNCD_NOTIFY_URL", "notify-url", "", "storefront URL for order notifications", str(func(c *Config) *string { return &c.NotifyURL })},
	{"SYNCD_NOTIFY_SECRET", "notify-secret", "", "HMAC secret for order notifications", str(func(c *Config) *string { return &c.NotifySecret })},
	{"SYNCD_ORDER_REROUTE_WINDOW", "order-reroute-window", "10m", "how long after an order another supplier may still be tried; after it an undelivered order fails", dur(func(c *Config) *time.Duration { return &c.OrderRerouteWindow })},
	{"SYNCD_ORDER_RECONCILE_TIMEOUT", "order-reconcile-timeout", "15m", "how long an unknown outcome at a supplier is reconciled before the order needs an operator (attention)", dur(func(c *Config) *time.Duration { return &c.OrderReconcileTimeout })},
	{"SYNCD_ORDER_STUCK_AFTER", "order-stuck-after", "2h", "how long a supplier may keep an accepted order in flight before it needs an operator (attention)", dur(func(c *Config) *time.Duration { return &c.OrderStuckAfter })},
	{"SYNCD_ORDER_POLL_INTERVAL", "order-poll-interval", "5s", "how often due order attempts are checked at their supplier; also the first backoff step", dur(func(c *Config) *time.Duration { return &c.OrderPollInterval })},
	{"SYNCD_BALANCE_INTERVAL", "balance-interval", "1m", "how often the balance of each supplier that reports one is asked (routing skips a supplier whose balance cannot pay)", dur(func(c *Config) *time.Duration { return &c.BalanceInterval })},
	{"SYNCD_BREAKER_FAILURES", "breaker-failures", "5", "consecutive failures of a supplier's order endpoint (unreachable, 5xx, timeout) after which new orders are routed past it (0: never)", count(func(c *Config) *int { return &c.BreakerFailures })},
	{"SYNCD_BREAKER_COOLDOWN", "breaker-cooldown", "30s", "how long new orders are routed past a supplier whose order endpoint keeps failing before one order probes it", dur(func(c *Config) *time.Duration { return &c.BreakerCooldown })},
	{"SYNCD_BALANCE_MARGIN", "balance-margin", "50000", "rupiah a supplier's estimated balance must cover beyond an offer's cost before an offer skipped for want of deposit prices its item again (and beyond a low-balance threshold before its warning ends)", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1_000_000_000 {
			return fmt.Errorf("%q is not a whole rupiah amount from 0 to 1000000000", v)
		}
		c.BalanceMargin = n
		return nil
	}},
	{"SYNCD_LOW_BALANCE", "low-balance", "2h", "low-balance warning thresholds: an amount in rupiah or a duration of spend at the last hour's rate, for every supplier with a balance or per supplier (name=2000000,other=3h); empty: none", nil},
	{"SYNCD_ALERT_URL", "alert-url", "", "operator URL for alerts (a supplier's balance running low, and recovering); unset: none are sent", str(func(c *Config) *string { return &c.AlertURL })},
	{"SYNCD_ALERT_SECRET", "alert-secret", "", "HMAC secret for operator alerts (X-Syncd-Signature: sha256=…)", str(func(c *Config) *string { return &c.AlertSecret })},
	{"SYNCD_ROUTE_RELIABILITY", "route-reliability", "", "reliability-weighted routing: where suppliers' costs are within this many rupiah (500) or this share of the cheapest (2%), the order goes to the one whose recent orders succeeded more often, then faster; never below the guards' minimum margin; unset: off, cheapest first", func(c *Config, v string) error {
		return parseReliability(&c.RouteReliability, v)
	}},
	{"SYNCD_ROUTE_RELIABILITY_MIN_SAMPLES", "route-reliability-min-samples", "20", "finished attempts each supplier needs in the window before reliability-weighted routing compares them (1 to 100000)", func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 100000 {
			return fmt.Errorf("%q is not a whole number from 1 to 100000", v)
		}
		c.RouteReliability.MinSamples = n
		return nil
	}},
	{"SYNCD_ROUTE_RELIABILITY_WINDOW", "route-reliability-window", "1h", "how far back reliability-weighted routing counts a supplier's attempts (1m to 30 days)", func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < time.Minute || d > 30*24*time.Hour {
			return fmt.Errorf("%q is not a duration from 1m to 720h", v)
		}
		c.RouteReliability.Window = d
		return nil
	}},
	{"SYNCD_DEMO_TRAFFIC", "traffic", "3s", "syncd demo only: how often its simulated storefront places an order (true: every 3s; false or 0: no simulated traffic)", func(c *Config, v string) error {
		d, err := parseTraffic(v)
		c.DemoTraffic = d
		return err
	}},
	{"SYNCD_GC_FLOOR", "gc-floor", "64MiB", "heap size below which Go's garbage collector does not run (as GOMEMLIMIT is written: 64MiB, 1GiB, bytes); above twice the live heap it collects as by default; 0: Go's default; a GOGC in the environment wins", func(c *Config, v string) error {
		n, err := gcfloor.ParseSize(v)
		c.GCFloor = n
		return err
	}},
}

// parseReliability reads SYNCD_ROUTE_RELIABILITY's tolerance into r:
// whole rupiah ("500") or a percentage of the cheapest cost ("2%"), never
// a float; "" or "off" leaves it off.
func parseReliability(r *orders.ReliabilityConfig, v string) error {
	r.Amount, r.Percent = 0, decimal.Zero
	v = strings.TrimSpace(v)
	if v == "" || v == "off" {
		return nil
	}
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		d, err := decimal.NewFromString(strings.TrimSpace(pct))
		if err != nil || !d.IsPositive() || d.GreaterThan(decimal.NewFromInt(100)) {
			return fmt.Errorf("%q is not a share above 0%% and at most 100%%", v)
		}
		r.Percent = d
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 1_000_000_000 {
		return fmt.Errorf("%q is not a whole rupiah amount from 1 to 1000000000, a share such as 2%%, or off", v)
	}
	r.Amount = n
	return nil
}

// reliabilityText is the tolerance as configured, for the log.
func reliabilityText(r orders.ReliabilityConfig) string {
	if !r.On() {
		return "off"
	}
	return r.String()
}

// parseTraffic reads SYNCD_DEMO_TRAFFIC: a switch or an interval.
func parseTraffic(v string) (time.Duration, error) {
	switch v = strings.TrimSpace(v); v {
	case "false", "off", "0":
		return 0, nil
	case "true", "on":
		return 3 * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 100*time.Millisecond || d > time.Hour {
		return 0, fmt.Errorf("%q is not true, false or an interval from 100ms to 1h", v)
	}
	return d, nil
}

// define adds s's flag to fs, defaulting to the environment's value, then
// to s's default.
func (s setting) define(fs *flag.FlagSet, getenv func(string) string) *string {
	def := s.def
	if v := getenv(s.env); v != "" {
		def = v
	}
	return fs.String(s.flag, def, s.usage+" ("+s.env+")")
}

// parseConfig reads the environment, then the flags, then validates,
// for syncd built with the registered suppliers.
func parseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	return parseConfigWith(registered, name, args, getenv)
}

// parseConfigWith is parseConfig for syncd built with the suppliers reg.
func parseConfigWith(reg []suppliers.Descriptor, name string, args []string, getenv func(string) string) (Config, error) {
	c := Config{Registered: reg, Supplier: map[string]suppliers.Values{}}
	if err := suppliers.CheckRegistry(reg); err != nil {
		return c, err
	}
	for _, d := range reg {
		c.Supplier[d.Name] = suppliers.Values{}
	}
	all := settingsFor(reg)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	values := map[string]*string{}
	for _, s := range all {
		values[s.env] = s.define(fs, getenv)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, s := range all {
		if err := s.set(&c, *values[s.env]); err != nil {
			return c, fmt.Errorf("%s: %w", s.env, err)
		}
	}
	if c.StaleAfter == 0 {
		c.StaleAfter = 3 * c.SyncInterval
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.SyncInterval < time.Second {
		errs = append(errs, fmt.Errorf("SYNCD_SYNC_INTERVAL: %s is below 1s", c.SyncInterval))
	}
	if c.StaleAfter < c.SyncInterval {
		errs = append(errs, fmt.Errorf("SYNCD_STALE_AFTER: %s is shorter than the sync interval", c.StaleAfter))
	}
	if c.MaxShrink <= 0 || c.MaxShrink > 1 {
		errs = append(errs, fmt.Errorf("SYNCD_MAX_SHRINK: %v is not in (0, 1]", c.MaxShrink))
	}
	if c.MaxCostFall.GreaterThan(decimal.NewFromInt(1)) {
		errs = append(errs, fmt.Errorf("SYNCD_MAX_COST_FALL: %s is over 1: a cost cannot fall by more than all of it (0 turns the limit off)", c.MaxCostFall))
	}
	if c.MaxCostRise.GreaterThan(decimal.NewFromInt(1000)) {
		errs = append(errs, fmt.Errorf("SYNCD_MAX_COST_RISE: %s is over 1000 (0 turns the limit off)", c.MaxCostRise))
	}
	if c.BreakerFailures > 1000 {
		errs = append(errs, fmt.Errorf("SYNCD_BREAKER_FAILURES: %d is over 1000 (0 turns the breaker off)", c.BreakerFailures))
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		errs = append(errs, fmt.Errorf("SYNCD_METRICS_ADDR: %s is SYNCD_ADDR; leave it unset to serve metrics there to admins", c.MetricsAddr))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("SYNCD_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	for _, d := range c.Registered {
		errs = append(errs, d.Check(c.Supplier[d.Name]))
	}
	if c.NotifyURL != "" {
		errs = append(errs, checkURL("SYNCD_NOTIFY_URL", c.NotifyURL))
	}
	if c.AlertURL != "" {
		errs = append(errs, checkURL("SYNCD_ALERT_URL", c.AlertURL))
	}
	for _, d := range []struct {
		env      string
		v        time.Duration
		min, max time.Duration
	}{
		{"SYNCD_ORDER_REROUTE_WINDOW", c.OrderRerouteWindow, time.Second, 24 * time.Hour},
		{"SYNCD_ORDER_RECONCILE_TIMEOUT", c.OrderReconcileTimeout, time.Second, 7 * 24 * time.Hour},
		{"SYNCD_ORDER_STUCK_AFTER", c.OrderStuckAfter, time.Second, 7 * 24 * time.Hour},
		// At most the status checks' longest backoff (orders.Config.PollMax).
		{"SYNCD_ORDER_POLL_INTERVAL", c.OrderPollInterval, 100 * time.Millisecond, 5 * time.Minute},
		{"SYNCD_BALANCE_INTERVAL", c.BalanceInterval, time.Second, 24 * time.Hour},
		{"SYNCD_BREAKER_COOLDOWN", c.BreakerCooldown, time.Second, time.Hour},
	} {
		if d.v < d.min || d.v > d.max {
			errs = append(errs, fmt.Errorf("%s: %s is not between %s and %s", d.env, d.v, d.min, d.max))
		}
	}
	return errors.Join(errs...)
}

func checkURL(name, v string) error {
	if err := suppliers.CheckURL(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
