package orders

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/printable"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/pricing"
)

// Status is an order's status as storefronts see it.
type Status string

// The statuses. pending → processing → success | failed, and attention
// for an outcome an operator must settle. Never backwards; success and
// failed are final.
const (
	Pending    Status = "pending"    // stored, no supplier has it yet
	Processing Status = "processing" // a supplier has (or may have) it
	Success    Status = "success"
	Failed     Status = "failed"
	Attention  Status = "attention" // unknown outcome nobody could settle
)

// Final reports whether s can no longer change.
func (s Status) Final() bool { return s == Success || s == Failed }

// next lists where each status may go.
var next = map[Status][]Status{
	Pending:    {Processing, Success, Failed, Attention},
	Processing: {Success, Failed, Attention},
	Attention:  {Success, Failed},
}

// canMove reports whether from → to moves forward.
func canMove(from, to Status) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Order is a storefront's order as the API shows it.
type Order struct {
	ID        string            `json:"id"`
	Reference string            `json:"reference"`
	Item      string            `json:"item"`
	Game      string            `json:"game"`
	ItemName  string            `json:"item_name"`
	Tier      string            `json:"tier"`
	Fields    map[string]string `json:"fields"`
	Price     int64             `json:"price"`
	Currency  string            `json:"currency"`
	Status    Status            `json:"status"`
	Reason    string            `json:"reason,omitempty"`
	Supplier  string            `json:"supplier,omitempty"`
	SN        string            `json:"sn,omitempty"`
	// Version counts the order's status changes, so a storefront can tell
	// a late notification from a newer one.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Request is a storefront's order, as POST /v1/orders takes it.
type Request struct {
	Reference     string            `json:"reference"`
	Item          string            `json:"item"`
	Tier          string            `json:"tier"`
	Fields        map[string]string `json:"fields"`
	ExpectedPrice int64             `json:"expected_price"`
}

// Limits on a request: generous for any real storefront, small enough
// that a hostile one cannot make syncd store or send megabytes.
const (
	MaxRequestBytes = 16 << 10
	maxFields       = 16
	maxValueLen     = 128
	// maxPrice is the catalog's cap (pricing.MaxPrice): no published
	// price is above it, so no honest order is either.
	maxPrice = pricing.MaxPrice
)

var referencePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$`)

// DecodeRequest reads a request strictly: one JSON object, no unknown
// members (a typo such as "expected_prise" must not be ignored), an
// integer price. The tier defaults to public. It checks the request's
// shape; whether the item, tier and fields fit the catalog is Create's.
func DecodeRequest(data []byte) (Request, error) {
	var req Request
	if len(data) > MaxRequestBytes {
		return req, invalid("body", fmt.Sprintf("larger than %d bytes", MaxRequestBytes))
	}
	var raw struct {
		Reference     *string           `json:"reference"`
		Item          *string           `json:"item"`
		Tier          *string           `json:"tier"`
		Fields        map[string]string `json:"fields"`
		ExpectedPrice json.RawMessage   `json:"expected_price"`
	}
	// Strict: {"expected_price": 1, "expected_price": 20350} must not
	// mean one price here and another to whatever else reads the body.
	if err := strictjson.Decode(data, &raw); err != nil {
		ve := invalid("body", jsonProblem(err))
		ve.Err = errors.Join(ErrInvalid, err) // a repeated member stays one to errors.As
		return req, ve
	}
	fe := map[string]string{}
	if raw.Reference == nil || !referencePattern.MatchString(*raw.Reference) {
		fe["reference"] = "required: 1 to 64 letters, digits or . _ : -, starting with a letter or digit"
	} else {
		req.Reference = *raw.Reference
	}
	if raw.Item == nil || strings.TrimSpace(*raw.Item) == "" || len(*raw.Item) > 200 {
		fe["item"] = "required: an item id from the catalog"
	} else {
		req.Item = *raw.Item
	}
	req.Tier = "public"
	if raw.Tier != nil {
		req.Tier = *raw.Tier
		if strings.TrimSpace(req.Tier) == "" || len(req.Tier) > 64 {
			fe["tier"] = "must be a price tier name"
		}
	}
	switch {
	case raw.ExpectedPrice == nil || string(raw.ExpectedPrice) == "null":
		fe["expected_price"] = "required: the price shown to the buyer, whole rupiah"
	default:
		// A quoted number decodes into json.Number too; amounts are JSON
		// integers, so "1480" is refused like 1480.5.
		quoted := len(raw.ExpectedPrice) > 0 && raw.ExpectedPrice[0] == '"'
		p, err := json.Number(raw.ExpectedPrice).Int64()
		if quoted || err != nil || p <= 0 || p > maxPrice {
			fe["expected_price"] = fmt.Sprintf("must be a whole number of rupiah between 1 and %d, got %s", maxPrice, clip(string(raw.ExpectedPrice)))
		}
		req.ExpectedPrice = p
	}
	if len(raw.Fields) > maxFields {
		fe["fields"] = fmt.Sprintf("at most %d fields", maxFields)
	}
	req.Fields = make(map[string]string, len(raw.Fields))
	for k, v := range raw.Fields {
		// What the buyer typed goes to a supplier and back to the
		// storefront and its operators: text only, no tab, escape or
		// bidi control (whether it fits the game's form is Create's).
		if len(k) > 64 || printable.Line(k) != nil {
			fe["fields."+clip(k)] = "not a field of any game's form"
			continue
		}
		if len(v) > maxValueLen {
			fe["fields."+k] = fmt.Sprintf("must be at most %d bytes", maxValueLen)
			continue
		}
		if err := printable.Line(v); err != nil {
			fe["fields."+k] = err.Error()
			continue
		}
		req.Fields[k] = v
	}
	if len(fe) > 0 {
		return req, ErrInvalid.WithFields(fe)
	}
	return req, nil
}

// jsonProblem words a decoding error for the client, without Go's type
// names where a plainer word serves.
func jsonProblem(err error) string {
	var (
		te   *json.UnmarshalTypeError
		dup  *strictjson.DuplicateError
		name *strictjson.NameError
	)
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("%s has the wrong type (%s)", te.Field, te.Value)
	case errors.As(err, &dup), errors.As(err, &name):
		return err.Error()
	case errors.Is(err, strictjson.ErrTrailing):
		return "must be one JSON object"
	case errors.Is(err, io.EOF):
		return "empty; want a JSON object"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return "unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "not a valid JSON object: " + err.Error()
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// hash is the request's identity for idempotency: the same reference with
// a different hash is a different order, refused. json.Marshal sorts map
// keys, so field order does not matter.
func (r Request) hash() string {
	b, _ := json.Marshal(struct {
		Item   string            `json:"item"`
		Tier   string            `json:"tier"`
		Fields map[string]string `json:"fields"`
		Price  int64             `json:"price"`
	}{r.Item, r.Tier, r.Fields, r.ExpectedPrice})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
