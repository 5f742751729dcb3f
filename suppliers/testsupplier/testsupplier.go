package testsupplier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// Name identifies the test supplier everywhere.
const Name = "testsupplier"

// The settings, by environment variable.
const (
	envBaseURL   = "TESTSUPPLIER_BASE_URL"
	envAPIKey    = "TESTSUPPLIER_API_KEY"
	envRateLimit = "TESTSUPPLIER_RATE_LIMIT"
)

// Descriptor is the test supplier as a test registers it: enabled by its
// API key (its base URL is then required), a catalog, orders and a
// balance.
var Descriptor = suppliers.Descriptor{
	Name:  Name,
	Title: "Test Supplier",
	Settings: []suppliers.Setting{
		{Env: envBaseURL, Flag: "testsupplier-base-url", Usage: "test supplier API base URL", Required: true},
		{Env: envAPIKey, Flag: "testsupplier-api-key", Usage: "test supplier API key", Secret: true, Credential: true},
		{Env: envRateLimit, Flag: "testsupplier-rate-limit", Default: "50", Usage: "requests per second to the test supplier",
			Check: suppliers.CheckRate},
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
	Open: func(v suppliers.Values, h suppliers.Hooks) (*suppliers.Adapter, error) {
		rps, err := suppliers.ParseRate(v[envRateLimit])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envRateLimit, err)
		}
		c := New(v[envBaseURL], v[envAPIKey], rps, h)
		return &suppliers.Adapter{Source: c, Orders: c, Balance: c.Balance}, nil
	},
}

// ErrDuplicateReference: the supplier refused an order's reference as
// used, which means an earlier send with it landed.
var ErrDuplicateReference = errors.New("reference already used")

// ErrNotFound: the supplier does not know the order.
var ErrNotFound = errors.New("order not found")

// Client talks to the test supplier.
type Client struct {
	caller *suppliers.Caller
}

var (
	_ offers.Source   = (*Client)(nil)
	_ orders.Supplier = (*Client)(nil)
)

// New returns a client of the API at base; rate is requests per second (0:
// 50, negative: no limit).
func New(base, key string, rps float64, h suppliers.Hooks) *Client {
	return &Client{caller: &suppliers.Caller{
		Supplier:  Name,
		BaseURL:   base,
		HTTP:      &http.Client{Timeout: 10 * time.Second},
		Limiter:   limiter(rps),
		Authorize: func(r *http.Request) { r.Header.Set("X-Api-Key", key) },
		OnRetry:   h.OnRetry,
		OnWait:    h.OnWait,
	}}
}

// limiter is a limit of rps requests per second: 0 means 50, a negative
// rate none.
func limiter(rps float64) *rate.Limiter {
	switch {
	case rps < 0:
		return nil
	case rps == 0:
		rps = 50
	}
	return rate.NewLimiter(rate.Limit(rps), max(1, int(math.Ceil(rps))))
}

// The wire format.
type (
	wireCatalog struct {
		Games []wireGame `json:"games"`
	}
	wireGame struct {
		ID      string     `json:"id"`
		Title   string     `json:"title"`
		Enabled bool       `json:"enabled"`
		Items   []wireItem `json:"items"`
	}
	wireItem struct {
		SKU     string           `json:"sku"`
		Title   string           `json:"title"`
		Price   suppliers.Amount `json:"price"`
		Enabled bool             `json:"enabled"`
	}
	wireOrder struct {
		ID     string `json:"id"`
		Ref    string `json:"ref"`
		State  string `json:"state"`
		Serial string `json:"serial"`
	}
	wireError struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	wireBalance struct {
		Balance suppliers.Amount `json:"balance"`
	}
)

// call sends r and decodes a 2xx reply into out; any other reply is a
// classified *suppliers.Error (its Err the adapter's sentinel when the
// supplier's error code has one).
func (c *Client) call(ctx context.Context, r suppliers.Request, out any) error {
	resp, err := c.caller.Do(ctx, r)
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		var we wireError
		derr := json.Unmarshal(resp.Body, &we)
		e := c.caller.Judge(r, resp, 0, we.Message, derr)
		switch we.Error {
		case "duplicate_ref":
			e.Err = ErrDuplicateReference
		case "not_found":
			e.Err = ErrNotFound
		}
		return e
	}
	dec := json.NewDecoder(strings.NewReader(string(resp.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return c.caller.Judge(r, resp, 0, "", fmt.Errorf("decode: %w", err))
	}
	return nil
}

// bad is a reply whose values cannot be true: never a partial catalog.
func (c *Client) bad(op string, err error) error {
	return &suppliers.Error{Supplier: Name, Op: op, Kind: suppliers.KindBadReply, Status: 200, Err: err}
}

// FetchCatalog reads the whole catalog in one call. Any fault refuses it
// whole: no games, an item without a SKU or listed twice, a price that is
// missing, negative or absurd.
func (c *Client) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	r := suppliers.Request{Method: http.MethodGet, Path: "/catalog", Idempotent: true}
	var w wireCatalog
	if err := c.call(ctx, r, &w); err != nil {
		if errors.Is(err, suppliers.ErrUnauthorized) {
			err = fmt.Errorf("%w: %w", offers.ErrUnauthorized, err)
		}
		return nil, err
	}
	if len(w.Games) == 0 {
		return nil, c.bad(r.Op(), errors.New("no games"))
	}
	cat := &offers.SupplierCatalog{}
	seen := map[string]bool{}
	for _, g := range w.Games {
		cat.Games = append(cat.Games, offers.SupplierGame{Code: g.ID, Name: g.Title, Active: g.Enabled})
		for _, it := range g.Items {
			switch {
			case strings.TrimSpace(it.SKU) == "":
				return nil, c.bad(r.Op(), fmt.Errorf("game %s: an item without a sku", g.ID))
			case seen[it.SKU]:
				return nil, c.bad(r.Op(), fmt.Errorf("sku %s listed twice", it.SKU))
			case !it.Price.Set:
				return nil, c.bad(r.Op(), fmt.Errorf("sku %s: no price", it.SKU))
			}
			if err := suppliers.CheckPrice(it.Price.Value); err != nil {
				return nil, c.bad(r.Op(), fmt.Errorf("sku %s: %w", it.SKU, err))
			}
			seen[it.SKU] = true
			cat.Offers = append(cat.Offers, offers.Offer{Code: it.SKU, GameCode: g.ID, Name: it.Title,
				Cost: it.Price.Value, CostRaw: it.Price.Raw, Active: it.Enabled && g.Enabled})
		}
	}
	return cat, nil
}

// Place sends one order, never retried: the buyer's answers by canonical
// key, under our reference.
func (c *Client) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	r := suppliers.Request{Method: http.MethodPost, Path: "/orders",
		Body: map[string]any{"ref": p.Ref, "sku": p.Code, "fields": p.Values}}
	var w wireOrder
	if err := c.call(ctx, r, &w); err != nil {
		return orders.Receipt{}, fmt.Errorf("%s place %s ref %s: %w: %w", Name, p.Code, p.Ref, suppliers.PlaceOutcome(err, ErrDuplicateReference), err)
	}
	rc := receipt(w)
	rc.Ref = p.Ref
	return rc, nil
}

// Check reads an order by the supplier's id.
func (c *Client) Check(ctx context.Context, txn string) (orders.Receipt, error) {
	var w wireOrder
	r := suppliers.Request{Method: http.MethodGet, Path: "/orders/" + url.PathEscape(txn), Idempotent: true}
	if err := c.call(ctx, r, &w); err != nil {
		return orders.Receipt{}, fmt.Errorf("%s check %s: %w", Name, txn, err)
	}
	return receipt(w), nil
}

// Balance reads the account's deposit.
func (c *Client) Balance(ctx context.Context) (decimal.Decimal, error) {
	var w wireBalance
	r := suppliers.Request{Method: http.MethodGet, Path: "/balance", Idempotent: true}
	if err := c.call(ctx, r, &w); err != nil {
		return decimal.Decimal{}, err
	}
	if !w.Balance.Set {
		return decimal.Decimal{}, c.bad(r.Op(), errors.New("no balance"))
	}
	return w.Balance.Value, nil
}

func receipt(w wireOrder) orders.Receipt {
	rc := orders.Receipt{Txn: w.ID, Ref: w.Ref, Status: w.State, SN: w.Serial}
	switch w.State {
	case "done":
		rc.Progress = orders.Delivered
	case "failed":
		rc.Progress = orders.NotDelivered
	default: // pending, or a word syncd does not know: never a failure
		rc.Progress = orders.InFlight
	}
	return rc
}
