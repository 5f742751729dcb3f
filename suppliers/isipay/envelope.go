package isipay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"

	"github.com/syncd/syncd/suppliers"
)

// replyError says why a reply body is not a usable success. Every decoder
// returns one on failure so the client can hand its parts to Caller.Judge.
type replyError struct {
	code    int    // the envelope's code; 0 when none could be read
	message string // the envelope's message, bounded
	// err is nil for a clear refusal (the envelope itself reports failure)
	// and otherwise says why the body cannot be trusted.
	err error
}

func (e *replyError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("refused with code %d: %s", e.code, e.message)
	}
	return e.err.Error()
}

// envelope wraps every Isipay reply:
//
//	{"error": false, "code": 200, "message": "Success", "data": ...}
//
// The flags are read tolerantly (suppliers.Bool, suppliers.Int). message is
// kept raw because a framework's validation failure may send an object
// there, and such a refusal is still a refusal.
type envelope struct {
	Error   suppliers.Bool  `json:"error"`
	Code    suppliers.Int   `json:"code"`
	Message json.RawMessage `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// opened is an envelope that reported success.
type opened struct {
	code    int
	message string
	data    json.RawMessage
}

// fail reports a success envelope whose data cannot be used. The envelope's
// code and message go along so the error still says what Isipay claimed.
func (o opened) fail(format string, args ...any) error {
	return &replyError{code: o.code, message: o.message, err: fmt.Errorf(format, args...)}
}

// open reads the envelope and returns its data when the body reports
// success. The body's own status decides, whatever the HTTP status was:
//
//   - "error" true, or a "code" of 400 or more, is a refusal (the code may
//     be missing when "error" is true);
//   - "error" false or absent with "code" 200 or absent is a success, but
//     one of the two must be present or the body is not Isipay's envelope
//     (a proxy's JSON, "{}");
//   - anything else contradicts itself ("error" true with a 2xx code, a
//     "201" or "302" without "error"): unreadable, so a write's outcome is
//     unknown rather than refused. A refused order is routed to another
//     supplier, and a "201 Created" may well mean Isipay took it.
func open(body []byte) (opened, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return opened{}, &replyError{err: errors.New("empty body")}
	}
	if b[0] != '{' {
		return opened{}, &replyError{err: errors.New("body is not a JSON object")}
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return opened{}, &replyError{err: fmt.Errorf("decode envelope: %w", err)}
	}
	code := clampCode(env.Code.Value)
	msg := message(env.Message)
	switch {
	case !env.Error.Set && !env.Code.Set:
		return opened{}, &replyError{message: msg, err: errors.New("neither error nor code in reply: not an Isipay envelope")}
	case env.Error.Value && env.Code.Set && code >= 200 && code < 300:
		return opened{}, &replyError{code: code, message: msg, err: fmt.Errorf("contradictory envelope: error true with code %d", code)}
	case env.Error.Value || code >= 400:
		return opened{}, &replyError{code: code, message: msg}
	case env.Code.Set && code != 200:
		return opened{}, &replyError{code: code, message: msg, err: fmt.Errorf("unexpected code %d without an error flag", code)}
	}
	return opened{code: code, message: msg, data: env.Data}, nil
}

// clampCode keeps an absurd code from overflowing int on 32-bit platforms;
// any such code is a failure anyway.
func clampCode(n int64) int {
	const limit = 1 << 30
	switch {
	case n > limit:
		return limit
	case n < -limit:
		return -limit
	}
	return int(n)
}

// message renders the envelope's message as one bounded line: it ends up in
// errors and logs.
func message(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return suppliers.Snippet([]byte(s))
	}
	return suppliers.Snippet(raw)
}

// object decodes data that must be a JSON object.
func (o opened) object(v any) error {
	d := bytes.TrimSpace(o.data)
	if len(d) == 0 || d[0] != '{' {
		return o.fail("data is %s, want an object", shape(d))
	}
	if err := json.Unmarshal(d, v); err != nil {
		return o.fail("decode data: %w", err)
	}
	return nil
}

// list decodes data that must be a JSON list. A null or absent list is read
// as empty: a product without variants is plausibly sent either way, and an
// empty product list is refused by FetchCatalog, not here.
func (o opened) list(v any) error {
	d := bytes.TrimSpace(o.data)
	if len(d) == 0 || string(d) == "null" {
		return nil
	}
	if d[0] != '[' {
		return o.fail("data is %s, want a list", shape(d))
	}
	if err := json.Unmarshal(d, v); err != nil {
		return o.fail("decode data: %w", err)
	}
	return nil
}

func shape(d []byte) string {
	if len(d) == 0 {
		return "absent"
	}
	switch d[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// maxCode bounds a code: codes go back to Isipay in orders and URLs and
// into syncd's database; nothing real is near this long.
const maxCode = 128

// checkCode refuses codes that cannot name anything. The code is otherwise
// kept exactly as sent, because an order must send it back the same way.
func checkCode(what, code string) error {
	blank := true
	for _, r := range code {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s code %q has a control character", what, suppliers.Snippet([]byte(code)))
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank {
		return fmt.Errorf("%s with an empty code", what)
	}
	if len(code) > maxCode {
		return fmt.Errorf("%s code %q longer than %d bytes", what, suppliers.Snippet([]byte(code)), maxCode)
	}
	return nil
}
