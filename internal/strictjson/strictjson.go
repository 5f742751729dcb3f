// Package strictjson is syncd's one reading of JSON that comes from
// outside (storefront, merchandiser and admin requests, supplier
// webhooks): a document is refused when two parsers could read it
// differently. encoding/json alone takes the last of two members with the
// same name, and matches member names to struct fields ignoring case, so
// {"expected_price": 1, "Expected_Price": 20350} means 20350 to Go and 1
// to a proxy, a log pipeline or a supplier that reads the first.
//
// It is a leaf over the standard library, importable by every package but
// rules, which imports only pricing and refuses a repeated member in its
// own one-pass rule decoder (rules.ErrRepeated, answered the same way).
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
)

// ErrDuplicate is what every *DuplicateError is.
var ErrDuplicate = errors.New("repeated JSON member")

// DuplicateError is an object with two members of one name, compared as
// encoding/json matches a name to a field: ignoring case.
type DuplicateError struct {
	Path string // JSON path of the second member: "fields.user_id", "data[2].price_new"
}

func (e *DuplicateError) Error() string { return "repeated member " + strconv.Quote(e.Path) }

// Is makes a DuplicateError match ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// NameError is a member that names a field of the target only when case
// is ignored ("Expected_Price" for expected_price): encoding/json would
// take it, a case-sensitive reader would not.
type NameError struct {
	Path string // the member's JSON path, as sent
	Want string // the field's name
}

func (e *NameError) Error() string {
	return fmt.Sprintf("member %q: names are case-sensitive; want %q", e.Path, e.Want)
}

// ErrTrailing is a document with more after its one value.
var ErrTrailing = errors.New("more after the JSON value")

// ErrTooDeep is a document nested deeper than any body syncd takes.
var ErrTooDeep = fmt.Errorf("JSON nested more than %d levels deep", maxDepth)

const maxDepth = 64

// Check reads data as one JSON value, with only white space after it, in
// which no object has two members whose names are equal ignoring case, at
// any depth. It returns io.EOF for an empty document,
// io.ErrUnexpectedEOF for a truncated one, a *json.SyntaxError, a
// *DuplicateError, ErrTrailing or ErrTooDeep.
func Check(data []byte) error { return check(data, nil) }

// Decode is Check, then encoding/json into v with numbers kept as
// json.Number and unknown members refused; and a member that names one of
// v's fields (at any depth) must name it exactly, case included.
// encoding/json's own errors (an unknown field, a mistyped value) come
// back as it returns them.
func Decode(data []byte, v any) error { return decode(data, v, false) }

// DecodeOpen is Decode for a document that may carry members v does not
// name, such as a supplier's webhook, which may grow fields. The members
// it names are held to the same rules.
func DecodeOpen(data []byte, v any) error { return decode(data, v, true) }

func decode(data []byte, v any, open bool) error {
	if err := check(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if !open {
		dec.DisallowUnknownFields()
	}
	return dec.Decode(v)
}

func check(data []byte, t reflect.Type) error {
	if json.Valid(data) {
		sc := scanner{data: data}
		return sc.value(t, 0)
	}
	// Not JSON: the token reader finds what is wrong, as encoding/json
	// reports it (and a repeated member before it, if there is one).
	w := walker{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if err := w.value(t, 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailing
	}
	return nil
}
