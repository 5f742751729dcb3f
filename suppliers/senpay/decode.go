package senpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/syncd/syncd/suppliers"
)

// Every Senpay reply is an envelope: {"status": 200, "data": ...} on success,
// {"status": 400, "message": "..."} on failure. Assumptions, each covered by
// a test against testdata/senpay/recorded:
//   - the body's status decides, whatever the HTTP status: Senpay answers
//     failures such as "Invalid API Key" with a body status of 400, and the
//     HTTP status is not documented;
//   - status is a number or a numeric string; any 2xx is success; a reply
//     without a status is unreadable, not a success;
//   - message is a string; anything else is kept as a JSON snippet rather
//     than losing a rejection's reason;
//   - a UTF-8 byte-order mark (PHP templates emit one) is skipped;
//   - the JSON must be complete and strict: the doc's own examples carry
//     comments and trailing commas, which no real JSON reply can.
//
// The decoders below are pure so that they can be fuzzed. They return a
// *statusError when Senpay said no and any other error when the reply could
// not be read; the client turns either into a classified *suppliers.Error.

// statusError is a readable reply in which Senpay reports a failure.
type statusError struct {
	Status  int
	Message string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("senpay status %d: %s", e.Status, e.Message)
}

type envelope struct {
	Status  suppliers.Int   `json:"status"`
	Message json.RawMessage `json:"message"`
	Data    json.RawMessage `json:"data"`
}

var bom = []byte("\xef\xbb\xbf")

// openEnvelope returns the data of a successful reply.
func openEnvelope(body []byte) (json.RawMessage, error) {
	body = bytes.TrimPrefix(body, bom)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body")
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not a JSON envelope: %w", err)
	}
	if !env.Status.Set {
		return nil, errors.New("envelope without status")
	}
	if env.Status.Value < 200 || env.Status.Value > 299 {
		return nil, &statusError{Status: int(env.Status.Value), Message: messageText(env.Message)}
	}
	if isNull(env.Data) {
		return nil, errors.New("envelope without data")
	}
	return env.Data, nil
}

func messageText(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return suppliers.Snippet(raw)
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// decodeProviders reads GET /api/prepaid/provider. Provider codes must be
// present and unique: products are fetched and stored by them.
func decodeProviders(body []byte) ([]Provider, error) {
	data, err := openEnvelope(body)
	if err != nil {
		return nil, err
	}
	var wire []wireProvider
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("provider list: %w", err)
	}
	out := make([]Provider, 0, len(wire))
	seen := make(map[string]bool, len(wire))
	for i, w := range wire {
		p, err := w.provider()
		if err != nil {
			return nil, fmt.Errorf("provider list item %d: %w", i, err)
		}
		if seen[p.Code] {
			return nil, fmt.Errorf("provider list: duplicate provider code %q", p.Code)
		}
		seen[p.Code] = true
		out = append(out, p)
	}
	return out, nil
}

// decodeProducts reads GET /api/prepaid/product?provider=CODE. A product
// code listed twice makes the listing ambiguous (which price is right?), so
// the whole listing is refused.
func decodeProducts(body []byte) ([]Product, error) {
	data, err := openEnvelope(body)
	if err != nil {
		return nil, err
	}
	var wire []wireProduct
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("product list: %w", err)
	}
	out := make([]Product, 0, len(wire))
	seen := make(map[string]bool, len(wire))
	for i, w := range wire {
		p, err := w.product()
		if err != nil {
			return nil, fmt.Errorf("product list item %d: %w", i, err)
		}
		if seen[p.Code] {
			return nil, fmt.Errorf("product list: duplicate product code %q", p.Code)
		}
		seen[p.Code] = true
		out = append(out, p)
	}
	return out, nil
}

// decodeProduct reads GET /api/prepaid/product/{code}.
func decodeProduct(body []byte) (*Product, error) {
	data, err := openEnvelope(body)
	if err != nil {
		return nil, err
	}
	var w wireProduct
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("product: %w", err)
	}
	p, err := w.product()
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// decodeTransaction reads both POST /api/prepaid/transaction/create and
// GET /api/prepaid/transaction/{reference}: they share one data shape.
func decodeTransaction(body []byte) (*Transaction, error) {
	data, err := openEnvelope(body)
	if err != nil {
		return nil, err
	}
	var w wireTransaction
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("transaction: %w", err)
	}
	t, err := w.transaction()
	if err != nil {
		return nil, err
	}
	return &t, nil
}
