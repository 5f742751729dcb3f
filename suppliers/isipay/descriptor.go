package isipay

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/suppliers"
)

// The settings of Isipay, by environment variable.
const (
	envBaseURL   = "ISIPAY_BASE_URL"
	envAPIToken  = "ISIPAY_API_TOKEN"
	envRateLimit = "ISIPAY_RATE_LIMIT"
)

// Descriptor is Isipay as syncd registers it: enabled by its API token
// (its document names no host, so the base URL is required too), it
// syncs a catalog, takes orders and reports its balance; it posts no
// webhooks.
var Descriptor = suppliers.Descriptor{
	Name:  Name,
	Title: "Isipay",
	Settings: []suppliers.Setting{
		{Env: envBaseURL, Flag: "isipay-base-url", Usage: "Isipay API base URL", Required: true},
		{Env: envAPIToken, Flag: "isipay-api-token", Usage: "Isipay API token", Secret: true, Credential: true},
		{Env: envRateLimit, Flag: "isipay-rate-limit", Default: "10", Usage: "requests per second to Isipay", Check: suppliers.CheckRate},
	},
	Validate: func(v suppliers.Values) error {
		if v[envBaseURL] == "" {
			return nil // Check says it is required
		}
		if err := suppliers.CheckURL(v[envBaseURL]); err != nil {
			return fmt.Errorf("%s: %w", envBaseURL, err)
		}
		return nil
	},
	Open: openAdapter,
	GameSettings: []catalog.GameSetting{
		suppliers.TemplateSetting(settingData, "isipay data template", defaultData),
	},
	Sim: sim,
}

// settingData is the game setting holding the template of Isipay's one
// free-form "data" string (game_supplier_settings.key).
const settingData = "data_format"

// defaultData is the data template of a game that sets none: the user id,
// then the server in parentheses if the game has one ("12345678(2001)"),
// the convention of Indonesian top-up sites for Mobile Legends. Isipay's
// document does not say; a game whose form Isipay expects otherwise sets
// its own template.
func defaultData(form []catalog.FormField) suppliers.Template {
	var b strings.Builder
	for i, f := range form {
		switch {
		case i == 0:
			fmt.Fprintf(&b, "{%s}", f.Key)
		case i == 1:
			fmt.Fprintf(&b, "({%s})", f.Key)
		default:
			fmt.Fprintf(&b, "|{%s}", f.Key)
		}
	}
	return suppliers.Template(b.String())
}

func openAdapter(v suppliers.Values, h suppliers.Hooks) (*suppliers.Adapter, error) {
	rate, err := suppliers.ParseRate(v[envRateLimit])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envRateLimit, err)
	}
	c := New(Config{BaseURL: v[envBaseURL], APIToken: v[envAPIToken], RatePerSecond: rate, OnRetry: h.OnRetry, OnWait: h.OnWait})
	return &suppliers.Adapter{Source: c, Orders: c, Balance: c.balance}, nil
}

// balance is the account's balance, for the balance capability.
func (c *Client) balance(ctx context.Context) (decimal.Decimal, error) {
	acct, err := c.Balance(ctx)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return acct.Balance, nil
}
