package suppliers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// MaxBody bounds a supplier reply. The largest real reply is one provider's
// product list (a few hundred KB); anything near this is not a catalog.
const MaxBody = 32 << 20

// Retry is how idempotent reads are retried. Writes are never retried here:
// retrying an order is the order router's decision, made with the same
// supplier reference.
type Retry struct {
	Attempts int           // total tries of one read, including the first
	Base     time.Duration // first backoff; doubles each try, with jitter
	Max      time.Duration // cap on one wait, including a Retry-After
}

// DefaultRetry suits a catalog sync that runs every few minutes.
var DefaultRetry = Retry{Attempts: 4, Base: 200 * time.Millisecond, Max: 10 * time.Second}

// Caller sends requests to one supplier. It owns rate limiting, retries of
// idempotent reads and the classification of transport failures; decoding
// the supplier's envelope is the adapter's job.
type Caller struct {
	Supplier  string
	BaseURL   string
	HTTP      *http.Client
	Limiter   *rate.Limiter              // nil: no client-side limit
	Retry     Retry                      // zero: DefaultRetry
	Authorize func(*http.Request)        // sets credentials on every request
	OnRetry   func(op string, err error) // observes each retry (metrics, logs)
	// OnWait observes each time the rate limiter held a request back.
	OnWait func(op string, waited time.Duration)
}

// Request is one call. Body, when not nil, is sent as JSON.
type Request struct {
	Method     string
	Path       string
	Query      url.Values
	Body       any
	Header     http.Header
	Idempotent bool // a read: safe to retry and never an unknown outcome
}

// Op names the endpoint in errors: "GET /api/prepaid/product".
func (r Request) Op() string { return r.Method + " " + r.Path }

// Response is a reply of any HTTP status, body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends r and returns the reply whatever its HTTP status. It returns an
// *Error only when no usable reply arrived. Idempotent requests are retried
// on network errors, 429 and 5xx with exponential backoff and jitter,
// honouring Retry-After.
func (c *Caller) Do(ctx context.Context, r Request) (*Response, error) {
	policy := c.Retry
	if policy.Attempts == 0 {
		policy = DefaultRetry
	}
	if !r.Idempotent {
		policy.Attempts = 1
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, c.fail(r, KindRejected, 0, fmt.Errorf("encode request: %w", err))
		}
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, r, body)
		retryable := err != nil && KindOf(err) == KindUnavailable ||
			err == nil && (resp.Status == http.StatusTooManyRequests || resp.Status >= 500)
		if !retryable || attempt >= policy.Attempts || ctx.Err() != nil {
			return resp, err
		}
		wait := backoff(policy, attempt)
		if resp != nil {
			if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait = min(ra, policy.Max)
			}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// The retry could not be sent in time: give back this reply
			// now rather than idle until the deadline to give back the same.
			return resp, err
		}
		if c.OnRetry != nil {
			cause := err
			if cause == nil {
				cause = fmt.Errorf("http %d", resp.Status)
			}
			c.OnRetry(r.Op(), cause)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if err == nil {
				return resp, nil
			}
			return nil, err
		case <-t.C:
		}
	}
}

// waitTurn holds r back until the rate limiter gives it a token. It does
// what rate.Limiter.Wait does, but through a reservation, so the wait it
// reports to OnWait is the one the limiter imposed: a request with a token
// at hand reports nothing, however long the scheduler took to run it.
func (c *Caller) waitTurn(ctx context.Context, r Request) error {
	res := c.Limiter.Reserve()
	if !res.OK() {
		return errors.New("rate limiter admits no request (burst 0)")
	}
	delay := res.Delay()
	if delay == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
		res.Cancel()
		return fmt.Errorf("waiting %s for a token would pass the deadline", delay.Round(time.Millisecond))
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		res.Cancel()
		return ctx.Err()
	case <-t.C:
	}
	if c.OnWait != nil {
		c.OnWait(r.Op(), delay)
	}
	return nil
}

func (c *Caller) once(ctx context.Context, r Request, body []byte) (*Response, error) {
	if c.Limiter != nil {
		if err := c.waitTurn(ctx, r); err != nil {
			// Nothing was sent: safe to treat as unavailable even for writes.
			return nil, c.fail(r, KindUnavailable, 0, fmt.Errorf("rate limit wait: %w", err))
		}
	}
	if err := ctx.Err(); err != nil {
		// Nothing was sent: never an unknown outcome, even for a write.
		return nil, c.fail(r, KindUnavailable, 0, err)
	}
	u := strings.TrimRight(c.BaseURL, "/") + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		return nil, c.fail(r, KindRejected, 0, fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Accept", "application/json")
	if body != nil || r.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.Authorize != nil {
		c.Authorize(req)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.fail(r, c.transportKind(r, err), 0, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		// The status line arrived but the body broke off.
		kind := KindUnavailable
		if !r.Idempotent {
			kind = KindUnknownOutcome
		}
		return nil, c.fail(r, kind, resp.StatusCode, fmt.Errorf("read reply: %w", err))
	}
	if len(data) > MaxBody {
		kind := KindBadReply
		if !r.Idempotent {
			kind = KindUnknownOutcome
		}
		return nil, c.fail(r, kind, resp.StatusCode, fmt.Errorf("reply larger than %d bytes", MaxBody))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// transportKind classifies an error from http.Client.Do. A write whose
// connection was never established was never sent; every other failure of a
// write may have reached the supplier.
func (c *Caller) transportKind(r Request, err error) Kind {
	if r.Idempotent || notSent(err) {
		return KindUnavailable
	}
	return KindUnknownOutcome
}

func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func (c *Caller) fail(r Request, kind Kind, status int, err error) *Error {
	return &Error{Supplier: c.Supplier, Op: r.Op(), Kind: kind, Status: status, Err: err}
}

// Judge classifies a reply that the adapter found to be a failure.
// bodyStatus is the envelope's own status code (0 if none could be read),
// message the supplier's message, decodeErr why the body could not be read
// (nil if it could). The body's status wins over a 200 HTTP status.
func (c *Caller) Judge(r Request, resp *Response, bodyStatus int, message string, decodeErr error) *Error {
	e := &Error{Supplier: c.Supplier, Op: r.Op(), Status: resp.Status, Message: message, Err: decodeErr}
	if decodeErr != nil {
		e.Snippet = Snippet(resp.Body)
	}
	switch {
	case resp.Status == 401 || resp.Status == 403 || bodyStatus == 401 || bodyStatus == 403 || authMessage(message):
		e.Kind = KindUnauthorized
	case resp.Status == 429 || bodyStatus == 429:
		e.Kind = KindRateLimited
	case resp.Status >= 500 || bodyStatus >= 500:
		e.Kind = KindUnavailable
		if !r.Idempotent {
			e.Kind = KindUnknownOutcome
		}
	case decodeErr != nil:
		// Without a readable envelope we cannot know what a write did.
		e.Kind = KindBadReply
		if !r.Idempotent {
			e.Kind = KindUnknownOutcome
		}
	default:
		e.Kind = KindRejected
	}
	return e
}

// authMessage recognises credential failures that suppliers report with a
// plain 400 ("Invalid API Key").
func authMessage(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"api key", "apikey", "api token", "unauthorized", "unauthenticated", "whitelist", "signature", "invalid token"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func backoff(p Retry, attempt int) time.Duration {
	d := p.Base << (attempt - 1)
	if d <= 0 || d > p.Max {
		d = p.Max
	}
	// Full jitter in [d/2, d): spreads retries of concurrent fetches.
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		// Clamped: more seconds than a Duration holds would wrap to a
		// negative wait, and so to an immediate retry.
		return min(time.Duration(secs), math.MaxInt64/time.Second) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}
