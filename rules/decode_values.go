package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The readers of single values. Each reads one token at path: null
// leaves the destination unset; a value of another JSON type or an
// unreadable form is a *DecodeError naming path.

func (d *decoder) optString(path string, dst *string) error {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return err
	}
	s, ok := tok.(string)
	if !ok {
		return typeError(path, "a string or null", tok)
	}
	*dst = s
	return nil
}

func (d *decoder) optBool(path string, dst *bool) error {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return err
	}
	b, ok := tok.(bool)
	if !ok {
		return typeError(path, "true, false or null", tok)
	}
	*dst = b
	return nil
}

var (
	integerSyntax = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)
	decimalSyntax = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?$`)
)

func (d *decoder) optInt(path string) (*int64, error) {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return nil, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return nil, typeError(path, "an integer or null", tok)
	}
	if !integerSyntax.MatchString(string(n)) {
		return nil, &DecodeError{Field: path, Reason: fmt.Sprintf("must be an integer of at most 18 digits, got %s", clip(string(n)))}
	}
	v, _ := strconv.ParseInt(string(n), 10, 64) // 18 digits always fit
	return &v, nil
}

// optAmount reads a whole-rupiah amount: a JSON integer, never a string
// or a number with a fraction or exponent.
func (d *decoder) optAmount(path string) (*decimal.Decimal, error) {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return nil, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return nil, typeError(path, "a whole number of rupiah (a JSON integer) or null", tok)
	}
	if !integerSyntax.MatchString(string(n)) {
		return nil, &DecodeError{Field: path, Reason: fmt.Sprintf("must be a whole number of rupiah written as a JSON integer of at most 18 digits, got %s", clip(string(n)))}
	}
	v := decimal.RequireFromString(string(n))
	return &v, nil
}

// optRate reads a rate: a decimal string such as "7.5", never a JSON
// number (money and rates never travel as floats).
func (d *decoder) optRate(path string) (*decimal.Decimal, error) {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return nil, err
	}
	s, ok := tok.(string)
	if !ok {
		return nil, typeError(path, `a decimal string such as "7.5" or null`, tok)
	}
	if !decimalSyntax.MatchString(s) {
		return nil, &DecodeError{Field: path, Reason: fmt.Sprintf(`must be a decimal string such as "7.5" (at most 18 digits before the point and 12 after), got %q`, clip(s))}
	}
	v := decimal.RequireFromString(s)
	return &v, nil
}

// optTime reads an RFC 3339 time and returns it in UTC; null is the zero
// time (unbounded).
func (d *decoder) optTime(path string) (time.Time, error) {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return time.Time{}, err
	}
	s, ok := tok.(string)
	if !ok {
		return time.Time{}, typeError(path, "an RFC 3339 time string or null", tok)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &DecodeError{Field: path, Reason: fmt.Sprintf("must be an RFC 3339 time such as \"2026-12-01T00:00:00Z\", got %q", clip(s)), Err: err}
	}
	if t.IsZero() {
		// The zero time means "unbounded" here, so it cannot be a bound.
		d.missing[path] = timeRange
	}
	return t.UTC(), nil
}

func unknown(path string) error {
	return &DecodeError{Field: path, Reason: "unknown member"}
}

// typeError reports a value of the wrong JSON type.
func typeError(path, want string, tok any) error {
	var got string
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			got = "an array"
		} else {
			got = "an object"
		}
	case string:
		got = "a string"
	case json.Number:
		got = "a number"
	case bool:
		got = "a boolean"
	case nil:
		got = "null"
	}
	return &DecodeError{Field: path, Reason: "must be " + want + ", got " + got}
}

// clip bounds outside text quoted back in an error.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
