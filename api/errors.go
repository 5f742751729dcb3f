package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
)

// Errors reach the client in one envelope, {"error": {"code", "message",
// "details"}}, with the HTTP status fault's table gives the code. An error
// is the client's to read when it carries a code (a *fault.Error in its
// chain: the handlers' own and every domain package's); anything else is
// logged and answered as a bare 500, never shown.

// wireError is the envelope's "error".
type wireError struct {
	Code    fault.Code     `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// detailsOf are the machine-readable parts of a domain error: for a rule
// refused by lint, its findings (the rules, example items and why); for
// an order at a stale price, the price sent and the price now (null when
// the item has none); for a token name taken, the token that has it;
// for an accept of a held cost that moved since, the cost accepted and
// the cost held now.
func detailsOf(err error) map[string]any {
	var lint *rules.LintError
	if errors.As(err, &lint) {
		return map[string]any{"findings": lint.Findings}
	}
	var pc *orders.PriceChangedError
	if errors.As(err, &pc) {
		return map[string]any{"expected": pc.Expected, "current": pc.Current}
	}
	var nt *auth.NameTakenError
	if errors.As(err, &nt) {
		return map[string]any{"name": nt.Name, "token": nt.ID, "role": nt.Role}
	}
	var cm *offers.CostMovedError
	if errors.As(err, &cm) {
		return map[string]any{"expected": cm.Expected, "current": cm.Current}
	}
	return nil
}

// toWire is err as the client reads it, with its status; ok is false for
// an error without a code.
func toWire(err error) (wireError, int, bool) {
	fe := fault.As(err)
	if fe == nil {
		return wireError{}, 0, false
	}
	// A validation error is reported in its own words, whatever wraps it:
	// its fields say what is wrong. Any other in the words of the whole
	// chain, which name what it concerns ("rule r1: not found"); domain
	// errors are written for people, and no driver text reaches them.
	msg := err.Error()
	if fe.Fields != nil {
		msg = fe.Error()
	}
	details := map[string]any{}
	for f, m := range fe.Fields {
		details[f] = m
	}
	maps.Copy(details, fe.Details)
	maps.Copy(details, detailsOf(err))
	return wireError{Code: fe.Code, Message: msg, Details: details}, fault.Status(fe.Code), true
}

// writeError sends err in the envelope. Errors without a code are logged
// with the request id and reported as a bare 500.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, status, ok := toWire(err)
	if !ok {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", middleware.GetReqID(r.Context()), "err", err)
		e, status, _ = toWire(fault.New(fault.Internal, "internal error; see the server log for request "+middleware.GetReqID(r.Context())))
	}
	writeJSON(w, status, struct {
		Error wireError `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxBody bounds every request body.
const maxBody = 1 << 20

// decodeJSON reads one JSON object from the body into v, as decodeBody
// does, under the body limit.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return badJSON(err)
	}
	return decodeBody(body, v)
}

// decodeBody reads body into v the one strict way every body from outside
// is read (strictjson): a member repeated at any depth is a 400
// duplicate_member, one named in another case or unknown (a misspelt
// field would otherwise be silently ignored) a 400 bad_json, before
// anything is stored or changed.
func decodeBody(body []byte, v any) error {
	if err := strictjson.Decode(body, v); err != nil {
		return badJSON(err)
	}
	return nil
}

func badJSON(err error) *fault.Error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		dup      *strictjson.DuplicateError
		name     *strictjson.NameError
	)
	switch {
	case errors.As(err, &tooLarge):
		return fault.New(fault.TooLarge, fmt.Sprintf("request body is over %d bytes", tooLarge.Limit))
	case errors.As(err, &dup):
		return duplicateMember(dup, "")
	case errors.As(err, &name):
		e := fault.New(fault.BadJSON, name.Error())
		e.Details = map[string]any{"field": name.Path}
		return e
	case errors.Is(err, strictjson.ErrTrailing):
		return fault.New(fault.BadJSON, "request body has more after the JSON object")
	case errors.Is(err, io.EOF):
		return fault.New(fault.BadJSON, "request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.BadJSON, "request body is truncated JSON")
	case errors.As(err, &syntax):
		return fault.New(fault.BadJSON, fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ) && typ.Field == "":
		return fault.New(fault.BadJSON, "request body must be a JSON "+jsonKind(typ.Type.Kind()))
	case errors.As(err, &typ):
		e := fault.New(fault.BadJSON, fmt.Sprintf("field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind())))
		e.Details = map[string]any{"field": typ.Field}
		return e
	}
	// encoding/json reports an unknown field only in its message.
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, uerr := strconv.Unquote(f); uerr == nil {
			f = name
		}
		e := fault.New(fault.BadJSON, fmt.Sprintf("unknown field %q", f))
		e.Details = map[string]any{"field": f}
		return e
	}
	return fault.New(fault.BadJSON, "request body is not the JSON object expected")
}

// duplicateMember is the 400 for a body with a member repeated (under
// prefix, for a document inside a larger body): two readers of such a
// body could each take a different value.
func duplicateMember(dup *strictjson.DuplicateError, prefix string) *fault.Error {
	field := dup.Path
	if prefix != "" {
		field = prefix + "." + field
	}
	return &fault.Error{Code: fault.DuplicateMember,
		Message: fmt.Sprintf("member %q is repeated in its object (names compare ignoring case): send each member once", field),
		Details: map[string]any{"field": field}}
}

// badRule turns a *rules.DecodeError (a request body that is not a rule
// document) into a 400 naming the field, under path for a rule inside a
// larger body; other errors pass through. It is applied where a request
// is decoded: a DecodeError has no code, as a stored rule that fails to
// decode is our fault, never the client's.
func badRule(err error, path string) error {
	var de *rules.DecodeError
	if !errors.As(err, &de) {
		return err
	}
	if errors.Is(err, rules.ErrRepeated) {
		return duplicateMember(&strictjson.DuplicateError{Path: de.Field}, path)
	}
	field := de.Field
	if path != "" {
		field = strings.TrimSuffix(path+"."+de.Field, ".")
	}
	e := fault.New(fault.BadJSON, "malformed rule: "+de.Reason)
	if field != "" {
		e.Message = "malformed rule: " + field + ": " + de.Reason
		e.Details = map[string]any{"field": field}
	}
	return e
}

// jsonKind names the JSON type a Go kind decodes from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "number"
}
