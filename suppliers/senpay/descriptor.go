package senpay

import (
	"fmt"

	"github.com/syncd/syncd/suppliers"
)

// The settings of Senpay, by environment variable.
const (
	envBaseURL         = "SENPAY_BASE_URL"
	envAPIKey          = "SENPAY_API_KEY"
	envSecretKey       = "SENPAY_SECRET_KEY"
	envWebhookAllow    = "SENPAY_WEBHOOK_ALLOW"
	envWebhookSecret   = "SENPAY_WEBHOOK_SECRET"
	envSignatureHeader = "SENPAY_WEBHOOK_SIGNATURE_HEADER"
	envRateLimit       = "SENPAY_RATE_LIMIT"
)

// Descriptor is Senpay as syncd registers it: enabled by its API key and
// secret key, it syncs a catalog, takes orders and posts webhooks; it has
// no balance endpoint, and its product codes begin with their provider's
// code.
var Descriptor = suppliers.Descriptor{
	Name:  Name,
	Title: "Senpay",
	Settings: []suppliers.Setting{
		{Env: envBaseURL, Flag: "senpay-base-url", Default: DefaultBaseURL, Usage: "Senpay API base URL"},
		{Env: envAPIKey, Flag: "senpay-api-key", Usage: "Senpay API key", Secret: true, Credential: true},
		{Env: envSecretKey, Flag: "senpay-secret-key", Usage: "Senpay secret key", Secret: true, Credential: true},
		{Env: envWebhookAllow, Flag: "senpay-webhook-allow", Default: "206.189.83.1/32",
			Usage: "CIDRs allowed to send Senpay webhooks", Check: suppliers.CheckPrefixes},
		{Env: envWebhookSecret, Flag: "senpay-webhook-secret", Secret: true,
			Usage: "shared secret Senpay webhooks must be signed with (unset: no signature checked)"},
		{Env: envSignatureHeader, Flag: "senpay-webhook-signature-header", Default: "X-Signature",
			Usage: "header carrying a Senpay webhook's signature: hex HMAC-SHA256 of the body under the secret, or the secret itself",
			Check: suppliers.CheckHeaderName},
		{Env: envRateLimit, Flag: "senpay-rate-limit", Default: "20", Usage: "requests per second to Senpay", Check: suppliers.CheckRate},
	},
	Validate: func(v suppliers.Values) error {
		if err := suppliers.CheckURL(v[envBaseURL]); err != nil {
			return fmt.Errorf("%s: %w", envBaseURL, err)
		}
		return nil
	},
	Open:          openAdapter,
	PrefixedCodes: true,
	Webhook:       webhook,
	Sim:           sim,
}

func openAdapter(v suppliers.Values, h suppliers.Hooks) (*suppliers.Adapter, error) {
	rate, err := suppliers.ParseRate(v[envRateLimit])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envRateLimit, err)
	}
	c := New(Config{BaseURL: v[envBaseURL], APIKey: v[envAPIKey], SecretKey: v[envSecretKey],
		RatePerSecond: rate, OnRetry: h.OnRetry, OnWait: h.OnWait})
	return &suppliers.Adapter{Source: c, Orders: c}, nil
}
