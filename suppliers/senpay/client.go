package senpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/syncd/syncd/suppliers"
)

// DefaultBaseURL is Senpay's production API.
const DefaultBaseURL = "https://senpay.id"

const (
	pathProviders   = "/api/prepaid/provider"
	pathProducts    = "/api/prepaid/product"
	pathCreate      = "/api/prepaid/transaction/create"
	pathTransaction = "/api/prepaid/transaction/"
)

// Defaults for a zero Config. The rate limit is a guess at polite use of an
// undocumented quota; a catalog of a few hundred providers still syncs in
// well under a minute.
const (
	defaultTimeout     = 15 * time.Second
	defaultRate        = 20
	defaultBurst       = 20
	defaultConcurrency = 8
)

// Errors a caller can test for with errors.Is on a *suppliers.Error.
var (
	// ErrNotFound: Senpay says the product, provider or transaction does
	// not exist ("Produk tidak ditemukan", "Transaksi tidak ditemukan").
	ErrNotFound = errors.New("not found")
	// ErrDuplicateReference: Senpay refused a create because of its
	// partner_reference. A reference is only ever reused when an earlier
	// attempt with it may have reached Senpay, so such a refusal is reported
	// as KindUnknownOutcome, never as a clean rejection: the earlier order
	// may exist and must be reconciled before anything else is bought.
	ErrDuplicateReference = errors.New("partner reference already used")
)

// Config configures a Client. Zero values take the defaults noted.
type Config struct {
	BaseURL   string // DefaultBaseURL if empty
	APIKey    string // sent as "Authorization: Bearer <APIKey>"
	SecretKey string // sent as "Signature: <SecretKey>" on create, as Senpay's doc does
	// HTTP defaults to a client with a 15 s timeout that pools a connection
	// per concurrent fetch and does not follow redirects (a redirected
	// create would silently become a GET).
	HTTP *http.Client
	// RatePerSecond limits requests client-side: 0 means 20/s, a negative
	// value means no limit (benchmarks against the simulator).
	RatePerSecond float64
	Burst         int             // 0 means 20
	Retry         suppliers.Retry // zero means suppliers.DefaultRetry
	Concurrency   int             // product listings FetchCatalog fetches at once; 0 means 8
	// OnRetry, if set, observes every retried read (for metrics or logs).
	OnRetry func(op string, err error)
	// OnWait, if set, observes every time the rate limit held a request back.
	OnWait func(op string, waited time.Duration)
}

// String keeps the keys out of logs and error messages.
func (c Config) String() string {
	return fmt.Sprintf("senpay.Config{BaseURL: %q, APIKey: %s, SecretKey: %s}", c.BaseURL, redact(c.APIKey), redact(c.SecretKey))
}

// GoString covers %#v, which would otherwise print the keys.
func (c Config) GoString() string { return c.String() }

func redact(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "set"
}

// Client talks to Senpay. It is safe for concurrent use.
type Client struct {
	caller      *suppliers.Caller
	secretKey   string
	concurrency int
}

// New returns a Client for cfg with defaults filled in.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Concurrency
		cfg.HTTP = &http.Client{
			Timeout:   defaultTimeout,
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	var limiter *rate.Limiter
	if cfg.RatePerSecond >= 0 {
		rps, burst := cfg.RatePerSecond, cfg.Burst
		if rps == 0 {
			rps = defaultRate
		}
		if burst <= 0 {
			burst = defaultBurst
		}
		limiter = rate.NewLimiter(rate.Limit(rps), burst)
	}
	apiKey := cfg.APIKey
	return &Client{
		caller: &suppliers.Caller{
			Supplier: Name,
			BaseURL:  cfg.BaseURL,
			HTTP:     cfg.HTTP,
			Limiter:  limiter,
			Retry:    cfg.Retry,
			Authorize: func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer "+apiKey)
			},
			OnRetry: cfg.OnRetry,
			OnWait:  cfg.OnWait,
		},
		secretKey:   cfg.SecretKey,
		concurrency: cfg.Concurrency,
	}
}

// String names the client without its keys.
func (c *Client) String() string { return "senpay.Client(" + c.caller.BaseURL + ")" }

// Providers lists every provider, active or not: sync must see inactive ones
// to mark their offers unavailable.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	r := suppliers.Request{Method: http.MethodGet, Path: pathProviders, Idempotent: true}
	ps, _, err := call(ctx, c, r, decodeProviders)
	return ps, err
}

// Products lists every product of one provider, active or not.
func (c *Client) Products(ctx context.Context, provider string) ([]Product, error) {
	r := suppliers.Request{Method: http.MethodGet, Path: pathProducts, Query: url.Values{"provider": {provider}}, Idempotent: true}
	if strings.TrimSpace(provider) == "" {
		return nil, refuse(r, errors.New("empty provider code"))
	}
	ps, resp, err := call(ctx, c, r, decodeProducts)
	if err != nil {
		return nil, err
	}
	// A listing that ignored the provider filter would file every product
	// under every provider; the listing's own provider codes tell.
	for i := range ps {
		switch ps[i].ProviderCode {
		case "":
			ps[i].ProviderCode = provider
		case provider:
		default:
			return nil, c.caller.Judge(r, resp, 0, "", fmt.Errorf("product %q belongs to provider %q, asked for %q", ps[i].Code, ps[i].ProviderCode, provider))
		}
	}
	return ps, nil
}

// Product returns one product by its full code.
func (c *Client) Product(ctx context.Context, code string) (*Product, error) {
	r := suppliers.Request{Method: http.MethodGet, Path: pathProducts + "/" + url.PathEscape(code), Idempotent: true}
	if strings.TrimSpace(code) == "" {
		return nil, refuse(r, errors.New("empty product code"))
	}
	p, resp, err := call(ctx, c, r, decodeProduct)
	if err != nil {
		return nil, err
	}
	if p.Code != code {
		return nil, c.caller.Judge(r, resp, 0, "", fmt.Errorf("asked for product %q, got %q", code, p.Code))
	}
	return p, nil
}

// CreateTransaction places an order. It is sent once and never retried here.
// A *suppliers.Error of KindRejected or KindUnauthorized means Senpay did not
// take the order; KindUnavailable means it was never sent; every other
// failure is KindUnknownOutcome and must be reconciled (see
// ErrDuplicateReference) before the order is tried elsewhere.
func (c *Client) CreateTransaction(ctx context.Context, req TransactionRequest) (*Transaction, error) {
	r := suppliers.Request{
		Method: http.MethodPost,
		Path:   pathCreate,
		Header: http.Header{"Signature": {c.secretKey}},
	}
	body, err := createBody(req)
	if err != nil {
		return nil, refuse(r, err)
	}
	r.Body = body
	t, resp, err := call(ctx, c, r, decodeTransaction)
	if err != nil {
		var e *suppliers.Error
		if errors.As(err, &e) && e.Kind == suppliers.KindRejected && mentionsReference(e.Message) {
			e.Kind, e.Err = suppliers.KindUnknownOutcome, ErrDuplicateReference
		}
		return nil, err
	}
	if t.PartnerReference != "" && t.PartnerReference != req.PartnerReference {
		return nil, c.caller.Judge(r, resp, 0, "", fmt.Errorf("sent partner_reference %q, reply has %q", req.PartnerReference, t.PartnerReference))
	}
	return t, nil
}

// createBody is the JSON object Senpay expects: the two fixed keys plus one
// top-level string per form field. A form key that shadows a fixed key would
// change what is bought, so it is refused.
func createBody(req TransactionRequest) (map[string]string, error) {
	if strings.TrimSpace(req.ProductCode) == "" {
		return nil, errors.New("empty product code")
	}
	if strings.TrimSpace(req.PartnerReference) == "" {
		return nil, errors.New("empty partner reference")
	}
	body := make(map[string]string, len(req.Fields)+2)
	for k, v := range req.Fields {
		if strings.TrimSpace(k) == "" || k == "target_product_code" || k == "partner_reference" {
			return nil, fmt.Errorf("form field key %q not allowed", k)
		}
		body[k] = v
	}
	body["target_product_code"] = req.ProductCode
	body["partner_reference"] = req.PartnerReference
	return body, nil
}

// mentionsReference recognises a refusal about partner_reference. Senpay's
// wording is not documented ("Partner reference sudah digunakan", Laravel's
// "The partner reference has already been taken."), so any mention counts.
func mentionsReference(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "reference") || strings.Contains(m, "referensi")
}

// Transaction looks up an order by Senpay's reference. Senpay offers no
// lookup by partner_reference.
func (c *Client) Transaction(ctx context.Context, reference string) (*Transaction, error) {
	r := suppliers.Request{Method: http.MethodGet, Path: pathTransaction + url.PathEscape(reference), Idempotent: true}
	if strings.TrimSpace(reference) == "" {
		return nil, refuse(r, errors.New("empty reference"))
	}
	t, resp, err := call(ctx, c, r, decodeTransaction)
	if err != nil {
		return nil, err
	}
	if t.Reference != reference {
		return nil, c.caller.Judge(r, resp, 0, "", fmt.Errorf("asked for transaction %q, got %q", reference, t.Reference))
	}
	return t, nil
}

// call sends r and decodes the reply. The HTTP status is checked as well as
// the body's: a success envelope under a non-2xx status is not trusted.
func call[T any](ctx context.Context, c *Client, r suppliers.Request, decode func([]byte) (T, error)) (T, *suppliers.Response, error) {
	var zero T
	resp, err := c.caller.Do(ctx, r)
	if err != nil {
		return zero, nil, err
	}
	v, err := decode(resp.Body)
	if err == nil && resp.Status/100 != 2 {
		err = fmt.Errorf("success envelope under http %d", resp.Status)
	}
	if err != nil {
		return zero, resp, c.judge(r, resp, err)
	}
	return v, resp, nil
}

func (c *Client) judge(r suppliers.Request, resp *suppliers.Response, err error) *suppliers.Error {
	var se *statusError
	if !errors.As(err, &se) {
		return c.caller.Judge(r, resp, 0, "", err)
	}
	e := c.caller.Judge(r, resp, se.Status, se.Message, nil)
	if e.Kind == suppliers.KindRejected {
		m := strings.ToLower(se.Message)
		if strings.Contains(m, "tidak ditemukan") || strings.Contains(m, "not found") {
			e.Err = ErrNotFound
		}
	}
	return e
}

// refuse reports a request that was never sent because it is malformed.
func refuse(r suppliers.Request, err error) *suppliers.Error {
	return &suppliers.Error{Supplier: Name, Op: r.Op(), Kind: suppliers.KindRejected, Err: err, Unsent: true}
}
