package suppliers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// The suppliers' documents show one encoding per field, but real replies
// drift: numbers arrive as strings ("1389"), flags as 1, "1", true or
// "active". These types accept every plausible reading and refuse anything
// else with an error, so a decoder is tolerant and strict at once.

// unquote returns the content of a JSON string token, or the raw token.
func unquote(data []byte) (string, bool, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		s, err := jsonString(data)
		if err != nil {
			return "", true, err
		}
		return strings.TrimSpace(s), true, nil
	}
	return string(data), false, nil
}

// jsonString decodes a JSON string token. Most supplier strings hold no
// escapes; slicing those directly instead of re-entering encoding/json
// halves the cost of decoding a 50,000-offer catalog.
func jsonString(data []byte) (string, error) {
	if n := len(data); n >= 2 && data[n-1] == '"' && bytes.IndexByte(data[1:n-1], '\\') < 0 && bytes.IndexByte(data[1:n-1], '"') < 0 {
		inner := data[1 : n-1]
		plain := true
		for _, c := range inner {
			if c < 0x20 || c >= 0x80 {
				plain = false // control bytes are invalid JSON; non-ASCII needs UTF-8 checks
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(data, &s)
	return s, err
}

// Amount is a money amount sent as a JSON number or a numeric string.
// Raw keeps the text exactly as sent, for audit.
type Amount struct {
	Value decimal.Decimal
	Raw   string
	Set   bool // false when the field was absent or null
}

func (a *Amount) UnmarshalJSON(data []byte) error {
	s, _, err := unquote(data)
	if err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	if s == "null" {
		*a = Amount{}
		return nil
	}
	d, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = Amount{Value: d, Raw: s, Set: true}
	return nil
}

// groupedAmount matches Indonesian thousands grouping: "1.389", "1.220.380".
var groupedAmount = regexp.MustCompile(`^-?[0-9]{1,3}(\.[0-9]{3})+$`)

// ParseAmount parses a plain decimal number ("1480", "1480.50", "1.5e3").
// Thousands grouping is refused: "1.480" reads as 1.48 but an Indonesian
// supplier almost surely meant 1480, no rupiah cost has three decimals, and
// guessing the small reading would sell at a loss. Exponents are bounded so
// that "1e9999" cannot become a ten-thousand-digit number.
func ParseAmount(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, fmt.Errorf("amount: empty")
	}
	if len(s) > 40 {
		return decimal.Decimal{}, fmt.Errorf("amount: too long")
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-+eE", r) {
			return decimal.Decimal{}, fmt.Errorf("amount: %q is not a number", s)
		}
	}
	if groupedAmount.MatchString(s) {
		return decimal.Decimal{}, fmt.Errorf("amount: %q reads as thousands grouping; refusing to guess", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("amount: %q is not a number", s)
	}
	if e := d.Exponent(); e > 18 || e < -18 {
		return decimal.Decimal{}, fmt.Errorf("amount: %q is out of range", s)
	}
	return d, nil
}

// Int is an integer sent as a JSON number or a numeric string.
type Int struct {
	Value int64
	Set   bool
}

func (i *Int) UnmarshalJSON(data []byte) error {
	s, _, err := unquote(data)
	if err != nil {
		return fmt.Errorf("int: %w", err)
	}
	if s == "null" {
		*i = Int{}
		return nil
	}
	if s == "" {
		return fmt.Errorf("int: empty")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// 200.0 is an integer too.
		d, derr := decimal.NewFromString(s)
		if derr != nil || !d.IsInteger() || len(s) > 25 {
			return fmt.Errorf("int: %q is not an integer", s)
		}
		n = d.IntPart()
	}
	*i = Int{Value: n, Set: true}
	return nil
}

// Bool is a flag sent as true/false, 1/0, "1"/"0", "true"/"false",
// "active"/"inactive", "yes"/"no" or "on"/"off" (case-insensitive).
type Bool struct {
	Value bool
	Set   bool
}

func (b *Bool) UnmarshalJSON(data []byte) error {
	s, _, err := unquote(data)
	if err != nil {
		return fmt.Errorf("bool: %w", err)
	}
	switch strings.ToLower(s) {
	case "null":
		*b = Bool{}
	case "true", "1", "active", "yes", "on", "aktif":
		*b = Bool{Value: true, Set: true}
	case "false", "0", "inactive", "no", "off", "nonaktif", "tidak aktif", "":
		*b = Bool{Value: false, Set: true}
	default:
		return fmt.Errorf("bool: %q is not a flag", s)
	}
	return nil
}

// Text is a string that some replies send as a number (codes such as
// "10040400" arrive as 10040400).
type Text string

func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return fmt.Errorf("text: empty")
	}
	switch data[0] {
	case '"':
		s, err := jsonString(data)
		if err != nil {
			return err
		}
		*t = Text(s)
	case 'n':
		*t = ""
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return err
		}
		*t = Text(n.String())
	default:
		return fmt.Errorf("text: got %s, want a string", Snippet(data))
	}
	return nil
}

// MaxPrice is the largest cost syncd believes from a supplier: IDR 100
// million. No top-up item comes near it; a larger value is a decoding slip or
// a supplier bug, and storing it would make an item look unsellable or, in a
// margin rule, absurdly profitable.
const MaxPrice = 100_000_000

// CheckPrice refuses a negative or absurd price.
func CheckPrice(d decimal.Decimal) error {
	if d.IsNegative() {
		return fmt.Errorf("negative price %s", d)
	}
	if d.GreaterThan(decimal.NewFromInt(MaxPrice)) {
		return fmt.Errorf("price %s above the IDR %d sanity limit", d, MaxPrice)
	}
	return nil
}
