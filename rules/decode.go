package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/internal/fault"
)

// ErrMalformed is what every *DecodeError is: the input is not a rule
// document at all (not JSON, an unknown or repeated member, a value of the
// wrong JSON type or unreadable form, data after the object).
var ErrMalformed = errors.New("malformed rule")

// ErrRepeated is what a *DecodeError for a repeated member also is, so the
// API can answer it as it answers a repeated member in any other body.
var ErrRepeated = errors.New("repeated member")

// DecodeError says why a rule document could not be read, and where.
type DecodeError struct {
	Field  string // JSON path of the offending member, "action.value"; "" for the document
	Reason string
	Err    error // the underlying JSON error, if any
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "malformed rule: " + e.Reason
	}
	return "malformed rule: " + e.Field + ": " + e.Reason
}

// Unwrap makes a DecodeError match ErrMalformed and the JSON error under it.
func (e *DecodeError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrMalformed}
	}
	return []error{ErrMalformed, e.Err}
}

// Decode reads one rule from its JSON contract form, strictly: member
// names are matched exactly (case included) at every level; an unknown or
// repeated member, a value of the wrong type, a rate sent as a number, an
// amount with a fraction, a time that is not RFC 3339, and anything after
// the object are refused with a *DecodeError. Times are returned in UTC.
//
// Absent or null optional members mean "not set"; "enabled" defaults to
// true. What JSON alone can get wrong about a readable document (a
// required member absent, "" where null means any) is reported as a
// validation error (ErrInvalid) that also carries everything Validate
// finds. Decode
// does not otherwise validate: call Validate.
func Decode(data []byte) (Rule, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Rule{}, &DecodeError{Reason: "empty document; want a JSON object", Err: io.EOF}
	}
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(data)), missing: map[string]string{}}
	d.dec.UseNumber()
	r := Rule{Enabled: true}
	if err := d.rule(&r); err != nil {
		return Rule{}, err
	}
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		return Rule{}, &DecodeError{Reason: "data after the rule object", Err: err}
	}
	if len(d.missing) > 0 {
		for f, msg := range fault.FieldsOf(r.Validate()) {
			if _, ok := d.missing[f]; !ok {
				d.missing[f] = msg
			}
		}
		return Rule{}, invalid(d.missing)
	}
	return r, nil
}

// UnmarshalJSON is Decode, so a Rule inside another document is read just
// as strictly. As encoding/json's convention asks, null leaves r as it is.
func (r *Rule) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	v, err := Decode(data)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// decoder reads a rule token by token, so it knows the JSON type and the
// path of every value and can refuse what encoding/json would let pass
// (member names in another case, repeated members, numbers as rates), in
// one pass.
type decoder struct {
	dec     *json.Decoder
	missing map[string]string // field → why, for the validation error
}

func (d *decoder) rule(r *Rule) error {
	var action bool
	err := d.object("", func(key, path string) error {
		var err error
		switch key {
		case "id":
			err = d.optString(path, &r.ID)
		case "version":
			var v *int64
			if v, err = d.optInt(path); v != nil {
				r.Version = *v
			}
		case "name":
			err = d.optString(path, &r.Name)
		case "enabled":
			err = d.optBool(path, &r.Enabled)
		case "note":
			err = d.optString(path, &r.Note)
		case "match":
			err = d.optObject(path, func() error { return d.match(&r.Match, path) })
		case "action":
			err = d.optObject(path, func() error { action = true; return d.action(&r.Action, path) })
		case "round":
			err = d.optObject(path, func() error { r.Round = &Round{}; return d.round(r.Round, path) })
		case "guard":
			err = d.optObject(path, func() error { r.Guard = &Guard{}; return d.guard(r.Guard, path) })
		case "valid_from":
			r.ValidFrom, err = d.optTime(path)
		case "valid_until":
			r.ValidUntil, err = d.optTime(path)
		case "priority":
			r.Priority, err = d.optInt(path)
		default:
			return unknown(path)
		}
		return err
	})
	if err != nil {
		return err
	}
	if !action {
		d.missing["action"] = "required"
	}
	return nil
}

func (d *decoder) match(m *Match, prefix string) error {
	return d.members(prefix, func(key, path string) error {
		var dst *string
		switch key {
		case "game":
			dst = &m.Game
		case "item":
			dst = &m.Item
		case "supplier":
			dst = &m.Supplier
		case "tier":
			dst = &m.Tier
		default:
			return unknown(path)
		}
		tok, err := d.token(path)
		switch s, ok := tok.(string); {
		case err != nil || tok == nil:
			return err
		case !ok:
			return typeError(path, "a string or null", tok)
		case s == "":
			// "" would silently mean "any"; only null says that.
			d.missing[path] = "must not be empty; use null for any"
		default:
			*dst = s
		}
		return nil
	})
}

func (d *decoder) action(a *Action, prefix string) error {
	var value bool
	err := d.members(prefix, func(key, path string) error {
		var (
			v   *decimal.Decimal
			err error
		)
		switch key {
		case "kind":
			var s string
			err = d.optString(path, &s)
			a.Kind = Kind(s)
		case "value":
			if v, err = d.optRate(path); v != nil {
				a.Value, value = *v, true
			}
		case "plus":
			if v, err = d.optAmount(path); v != nil {
				a.Plus = *v
			}
		default:
			return unknown(path)
		}
		return err
	})
	if err == nil && !value {
		d.missing[prefix+".value"] = "required"
	}
	return err
}

func (d *decoder) round(g *Round, prefix string) error {
	g.Mode = Up
	var step bool
	err := d.members(prefix, func(key, path string) error {
		var (
			v   *decimal.Decimal
			err error
		)
		switch key {
		case "step":
			if v, err = d.optAmount(path); v != nil {
				g.Step, step = *v, true
			}
		case "ending":
			if v, err = d.optAmount(path); v != nil {
				g.Ending = *v
			}
		case "mode":
			s := string(g.Mode)
			err = d.optString(path, &s)
			g.Mode = Mode(s)
		default:
			return unknown(path)
		}
		return err
	})
	if err == nil && !step {
		d.missing[prefix+".step"] = "required"
	}
	return err
}

func (d *decoder) guard(g *Guard, prefix string) error {
	return d.members(prefix, func(key, path string) error {
		var (
			v   *decimal.Decimal
			err error
		)
		switch key {
		case "min_margin_percent":
			if v, err = d.optRate(path); v != nil {
				g.MinMarginPercent = *v
			}
		case "min_margin_amount":
			if v, err = d.optAmount(path); v != nil {
				g.MinMarginAmount = *v
			}
		case "max_price":
			g.MaxPrice, err = d.optAmount(path)
		default:
			return unknown(path)
		}
		return err
	})
}

// object reads a JSON object at prefix, calling member for each member
// with its name and path.
func (d *decoder) object(prefix string, member func(key, path string) error) error {
	tok, err := d.token(prefix)
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return typeError(prefix, "an object", tok)
	}
	return d.members(prefix, member)
}

// optObject reads null, or an object whose '{' it consumes before calling
// body to read the members.
func (d *decoder) optObject(path string, body func() error) error {
	tok, err := d.token(path)
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('{') {
		return typeError(path, "an object or null", tok)
	}
	return body()
}

// members reads an object's members up to and including its '}'. member
// must consume exactly the member's value.
func (d *decoder) members(prefix string, member func(key, path string) error) error {
	// A rule's objects have a handful of members: a slice beats a map.
	var seen []string
	for d.dec.More() {
		tok, err := d.token(prefix)
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return &DecodeError{Field: prefix, Reason: "malformed JSON: want a member name"}
		}
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		// Ignoring case, as encoding/json matches names and as every
		// other body from outside is read.
		if slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, key) }) {
			return &DecodeError{Field: path, Reason: "repeated member", Err: ErrRepeated}
		}
		seen = append(seen, key)
		if err := member(key, path); err != nil {
			return err
		}
	}
	_, err := d.token(prefix) // the '}'; the decoder checks the syntax
	return err
}

// token reads the next token. A syntax error or a premature end is a
// *DecodeError.
func (d *decoder) token(path string) (any, error) {
	tok, err := d.dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return nil, &DecodeError{Reason: "truncated JSON", Err: io.ErrUnexpectedEOF}
	case err != nil:
		return nil, &DecodeError{Reason: "malformed JSON: " + err.Error(), Err: err}
	}
	return tok, nil
}
