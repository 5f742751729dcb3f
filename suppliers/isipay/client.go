package isipay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/syncd/syncd/suppliers"
)

// Every endpoint is a POST, reads included (the document offers no other
// method).
const (
	pathBalance     = "/api/v1/balance"
	pathProduct     = "/api/v1/product"
	pathVariant     = "/api/v1/variant"
	pathOrder       = "/api/v1/order"
	pathStatusOrder = "/api/v1/status-order/"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout       = 15 * time.Second
	DefaultRatePerSecond = 10
	DefaultConcurrency   = 4
)

// ErrDuplicateReference is the Err of an order refusal that concerns its
// referenceNumber (see Client.Order). A reference is only ever sent again
// when an earlier send with it may have reached Isipay, so such a refusal
// is read as that earlier order standing: it is reported as
// KindUnknownOutcome, never as a clean rejection.
var ErrDuplicateReference = errors.New("reference number already used")

// Config is how to reach one Isipay account.
type Config struct {
	// BaseURL is required: Isipay's document names no default host.
	BaseURL string
	// APIToken is sent as a bearer token. It never appears in errors.
	APIToken string
	// HTTP defaults to a client with DefaultTimeout.
	HTTP *http.Client
	// RatePerSecond limits requests: 0 means DefaultRatePerSecond, a
	// negative value means unlimited (benchmarks against the simulator).
	// Isipay publishes no limit; 10/s keeps a full sync polite.
	RatePerSecond float64
	// Burst defaults to the rate, rounded up.
	Burst int
	// Retry governs reads only; zero means suppliers.DefaultRetry. Orders
	// are never retried here.
	Retry suppliers.Retry
	// Concurrency bounds the variant requests FetchCatalog has in flight;
	// 0 means DefaultConcurrency.
	Concurrency int
	// OnRetry, if set, observes each retried read (metrics, logs).
	OnRetry func(op string, err error)
	// OnWait, if set, observes every time the rate limit held a request back.
	OnWait func(op string, waited time.Duration)
}

// Validate reports a configuration that cannot work, for start-up checks.
func (cfg Config) Validate() error {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL itself is not echoed: it may carry credentials.
		return errors.New("isipay: base URL must be an absolute http(s) URL")
	}
	if strings.TrimSpace(cfg.APIToken) == "" {
		return errors.New("isipay: API token is empty")
	}
	return nil
}

// Client calls Isipay's API. It is safe for concurrent use.
type Client struct {
	caller      *suppliers.Caller
	concurrency int
	invalid     error // from Config.Validate; every call fails with it
}

// New returns a client for cfg. A config that fails Validate yields a client
// whose every call fails as KindUnavailable without sending anything, so a
// mistake in wiring can never turn an order into an unknown outcome.
func New(cfg Config) *Client {
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	rps := cfg.RatePerSecond
	if rps == 0 {
		rps = DefaultRatePerSecond
	}
	var limiter *rate.Limiter
	if rps > 0 {
		burst := cfg.Burst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(rps)))
		}
		limiter = rate.NewLimiter(rate.Limit(rps), burst)
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	token := cfg.APIToken
	return &Client{
		caller: &suppliers.Caller{
			Supplier: Name,
			BaseURL:  cfg.BaseURL,
			HTTP:     hc,
			Limiter:  limiter,
			Retry:    cfg.Retry,
			Authorize: func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer "+token)
			},
			OnRetry: cfg.OnRetry,
			OnWait:  cfg.OnWait,
		},
		concurrency: conc,
		invalid:     cfg.Validate(),
	}
}

// Balance returns the account and its deposit balance.
func (c *Client) Balance(ctx context.Context) (*Account, error) {
	return call(ctx, c, read(pathBalance, nil), decodeBalance)
}

// Products lists every product, active or not.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	return call(ctx, c, read(pathProduct, nil), decodeProducts)
}

// Variants lists the variants of one product, active or not.
func (c *Client) Variants(ctx context.Context, productCode string) ([]Variant, error) {
	req := read(pathVariant, struct {
		Code string `json:"code"`
	}{productCode})
	if err := checkCode("product", productCode); err != nil {
		return nil, notSent(req, suppliers.KindRejected, err)
	}
	return call(ctx, c, req, decodeVariants)
}

// Order buys one variant. It is sent once and never retried here.
//
// ReferenceNumber is ours and must be unique per attempt. Isipay's document
// does not say what it does with a reference it has seen; we assume it
// refuses it. Such a refusal does not prove the first order failed, so any
// refusal that mentions the reference (or a duplicate, or code 409) is
// KindUnknownOutcome with Err ErrDuplicateReference, never KindRejected: the
// router must reconcile rather than buy elsewhere.
//
// Failures are classified for routing: KindRejected when Isipay clearly
// refused (e.g. "Saldo tidak mencukupi"), KindUnavailable when nothing was
// sent, KindUnknownOutcome for everything in between (timeout, dropped
// connection, 5xx, unreadable reply, success without an invoice number).
func (c *Client) Order(ctx context.Context, o OrderRequest) (*Order, error) {
	req := suppliers.Request{
		Method: http.MethodPost,
		Path:   pathOrder,
		Body: struct {
			Code            string `json:"code"`
			ReferenceNumber string `json:"referenceNumber"`
			Data            string `json:"data"`
		}{o.Code, o.ReferenceNumber, o.Data},
	}
	if err := checkCode("variant", o.Code); err != nil {
		return nil, notSent(req, suppliers.KindRejected, err)
	}
	switch {
	case strings.TrimSpace(o.ReferenceNumber) == "":
		return nil, notSent(req, suppliers.KindRejected, errors.New("empty referenceNumber"))
	case strings.TrimSpace(o.Data) == "":
		return nil, notSent(req, suppliers.KindRejected, errors.New("empty data (customer target)"))
	case ctx.Err() != nil:
		// Without this a cancelled context would surface from the HTTP
		// client as an unknown outcome although nothing left the process.
		return nil, notSent(req, suppliers.KindUnavailable, ctx.Err())
	}
	return call(ctx, c, req, decodeOrder)
}

// OrderStatus asks where an order stands. A reply about another invoice is
// refused as a bad reply rather than trusted. An unknown invoice is
// whatever Isipay answers: in the simulator a 404 refusal (KindRejected).
func (c *Client) OrderStatus(ctx context.Context, invoice string) (*OrderStatus, error) {
	req := read(pathStatusOrder+url.PathEscape(invoice), nil)
	if strings.TrimSpace(invoice) == "" {
		return nil, notSent(read(pathStatusOrder, nil), suppliers.KindRejected, errors.New("empty invoice number"))
	}
	return call(ctx, c, req, func(body []byte) (*OrderStatus, error) {
		st, err := decodeOrderStatus(body)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(strings.TrimSpace(st.InvoiceNumber), strings.TrimSpace(invoice)) {
			return nil, &replyError{code: 200, err: fmt.Errorf("status of invoice %q in reply about %q",
				suppliers.Snippet([]byte(st.InvoiceNumber)), suppliers.Snippet([]byte(invoice)))}
		}
		return st, nil
	})
}

// read is a request that changes nothing at Isipay. It is a POST like every
// Isipay call, yet safe to retry and never an unknown outcome.
func read(path string, body any) suppliers.Request {
	return suppliers.Request{Method: http.MethodPost, Path: path, Body: body, Idempotent: true}
}

// notSent reports a request that was never sent: refused by syncd as
// malformed (KindRejected), or with no way to send it (KindUnavailable).
func notSent(req suppliers.Request, kind suppliers.Kind, err error) error {
	return &suppliers.Error{Supplier: Name, Op: req.Op(), Kind: kind, Err: err, Unsent: true}
}

// call sends req and decodes the reply. The body decides success: a 2xx
// whose envelope reports failure fails, and a success envelope under a
// failing HTTP status is not believed either.
func call[T any](ctx context.Context, c *Client, req suppliers.Request, decode func([]byte) (T, error)) (T, error) {
	var zero T
	if c.invalid != nil {
		return zero, notSent(req, suppliers.KindUnavailable, c.invalid)
	}
	resp, err := c.caller.Do(ctx, req)
	if err != nil {
		return zero, err
	}
	v, err := decode(resp.Body)
	if err == nil && resp.Status >= 200 && resp.Status < 300 {
		return v, nil
	}
	var re *replyError
	switch {
	case err == nil:
		re = &replyError{err: fmt.Errorf("success envelope under http %d", resp.Status)}
	case !errors.As(err, &re):
		re = &replyError{err: err}
	}
	e := c.caller.Judge(req, resp, re.code, re.message, re.err)
	if !req.Idempotent && e.Kind == suppliers.KindRejected && aboutReference(resp.Status, re) {
		e.Kind, e.Err = suppliers.KindUnknownOutcome, ErrDuplicateReference
	}
	return zero, e
}

// aboutReference recognises a refusal that may concern an order we already
// placed: a conflict code, or a message about the reference or a duplicate
// ("referenceNumber already exists", "Nomor referensi sudah digunakan").
func aboutReference(status int, re *replyError) bool {
	if status == http.StatusConflict || re.code == http.StatusConflict {
		return true
	}
	m := strings.ToLower(re.message)
	return strings.Contains(m, "referen") || strings.Contains(m, "duplicat") || strings.Contains(m, "duplikat")
}
