package suppliers

import (
	"errors"
	"fmt"
)

// Kind says what a caller may do about a failed supplier call.
type Kind int

const (
	// KindRejected: the supplier understood the request and refused it
	// (inactive product, out of stock, insufficient balance, bad target).
	// For a write, the supplier definitely did not take it.
	KindRejected Kind = iota + 1
	// KindUnauthorized: credentials or IP whitelist refused.
	KindUnauthorized
	// KindRateLimited: the supplier asked us to slow down (HTTP 429).
	KindRateLimited
	// KindUnavailable: the supplier could not be reached or failed before
	// it could have acted (connection refused, 5xx on a read).
	KindUnavailable
	// KindBadReply: a read got a reply that cannot be trusted: HTML, empty,
	// truncated JSON, impossible values.
	KindBadReply
	// KindUnknownOutcome: a write was sent and we cannot tell whether the
	// supplier acted on it (timeout, reset, 5xx, unreadable reply). Never
	// retry such a write elsewhere; reconcile it.
	KindUnknownOutcome
)

var kindNames = map[Kind]string{
	KindRejected:       "rejected",
	KindUnauthorized:   "unauthorized",
	KindRateLimited:    "rate_limited",
	KindUnavailable:    "unavailable",
	KindBadReply:       "bad_reply",
	KindUnknownOutcome: "unknown_outcome",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Sentinels for errors.Is; an *Error matches the one of its Kind.
var (
	ErrRejected       = errors.New("rejected by supplier")
	ErrUnauthorized   = errors.New("unauthorized at supplier")
	ErrRateLimited    = errors.New("rate limited by supplier")
	ErrUnavailable    = errors.New("supplier unavailable")
	ErrBadReply       = errors.New("bad reply from supplier")
	ErrUnknownOutcome = errors.New("unknown outcome at supplier")
)

var kindSentinel = map[Kind]error{
	KindRejected:       ErrRejected,
	KindUnauthorized:   ErrUnauthorized,
	KindRateLimited:    ErrRateLimited,
	KindUnavailable:    ErrUnavailable,
	KindBadReply:       ErrBadReply,
	KindUnknownOutcome: ErrUnknownOutcome,
}

// Error is a classified failure of one supplier call.
type Error struct {
	Supplier string // "senpay", "isipay"
	Op       string // the endpoint, e.g. "POST /api/v1/order"
	Kind     Kind
	Status   int    // HTTP status, 0 when none was received
	Message  string // the supplier's own message, when it sent one
	Snippet  string // a bounded, single-line excerpt of a bad body
	Err      error  // the underlying cause, if any
	// Unsent: syncd refused the request before sending it (a value the
	// supplier's format cannot carry, a blank field). Nothing reached the
	// supplier, so a rejection of this kind says nothing about it.
	Unsent bool
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Supplier, e.Op, e.Kind)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (http %d)", e.Status)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Snippet != "" {
		msg += fmt.Sprintf(" [body: %q]", e.Snippet)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRejected) and friends work.
func (e *Error) Is(target error) bool { return kindSentinel[e.Kind] == target }

// KindOf returns the Kind of a classified error, or 0 if err is not one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// snippetMax bounds how much of a bad body goes into an error (and so into
// logs): enough to recognise an HTML error page, never a whole catalog.
const snippetMax = 200

// Snippet returns a bounded, single-line excerpt of body for error messages.
func Snippet(body []byte) string {
	b := body
	if len(b) > snippetMax {
		b = b[:snippetMax]
	}
	out := make([]rune, 0, len(b))
	for _, r := range string(b) {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			out = append(out, ' ')
		case r < 0x20 || r == 0x7f || r == 0xfffd:
			out = append(out, '?')
		default:
			out = append(out, r)
		}
	}
	s := string(out)
	if len(body) > snippetMax {
		s += "…"
	}
	return s
}
