// Package fault is syncd's one error vocabulary: the machine codes that
// storefronts and the console act on, the one application error type that
// carries a code (with per-field problems when a request is refused as
// invalid), and the one table that says what each code means over HTTP
// and on a console page (codes.go).
//
// Domain packages (auth, catalog, inbox, orders, rules) declare their
// sentinels as *Error values with a code, wrap them with %w and the
// identifying values as before, and return *Error for a refused request,
// so that api and console find the code with CodeOf and never list
// another package's sentinels. An error without a code is syncd's own
// failure: logged, and shown as a 500 that names the request, never in
// its own words.
//
// It imports only the standard library and nothing of syncd's, so that
// every package may use it: rules imports pricing and this package only.
// pricing does not use it: pricing stays a leaf (its package doc says why
// its own errors are enough).
package fault

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Code is a machine-readable kind of failure. Its text is the code the
// API sends in its error envelope, so it never changes once released.
type Code string

// Error is an error with a code, in words a person can act on.
type Error struct {
	Code Code
	// Message says what went wrong; with Fields, what was refused
	// ("invalid rule"), and Error lists the fields after it.
	Message string
	// Fields are the problems of a request refused as invalid, by field
	// (a JSON path as the request names it: "action.value"), shown beside
	// each field of a form and as the details of the API's 422.
	Fields map[string]string
	// Details are more machine-readable facts for the API's envelope.
	Details map[string]any
	// Err is what the error wraps (a package's sentinel, a cause), for
	// errors.Is and errors.As; it is never shown.
	Err error
}

// New returns an error of code with a message: what a package declares
// its sentinels with.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Invalid returns a validation error: subject names what was refused
// ("invalid token"), fields what is wrong with each field.
func Invalid(subject string, fields map[string]string) *Error {
	return &Error{Code: Validation, Message: subject, Fields: fields}
}

// WithFields returns a validation error in e's words with fields, which
// wraps e: a package's ErrInvalid.WithFields(...) is errors.Is that
// ErrInvalid.
func (e *Error) WithFields(fields map[string]string) *Error {
	return &Error{Code: e.Code, Message: e.Message, Fields: fields, Err: e}
}

// Error is the message, then each field's problem in field order:
// "invalid rule: name: required; round.step: must be ...".
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for i, f := range slices.Sorted(maps.Keys(e.Fields)) {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f + ": " + e.Fields[f])
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// As returns the outermost *Error in err's chain, or nil: the one whose
// code, fields and details describe err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf is the code of err's outermost *Error, "" for an error that has
// none (syncd's own failure, never the client's).
func CodeOf(err error) Code {
	if e := As(err); e != nil {
		return e.Code
	}
	return ""
}

// FieldsOf returns the fields of a validation error in err's chain, nil
// when it is not one.
func FieldsOf(err error) map[string]string {
	if e := As(err); e != nil && e.Code == Validation {
		return e.Fields
	}
	return nil
}
