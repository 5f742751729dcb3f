package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/catalog"
)

// Error is an error meant for the client: a stable machine code, a message
// a person can act on, and optional details. Anything that is not an *Error
// is reported as an internal error and logged, never shown.
type Error struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// domainErrors maps domain sentinels to responses: the one table that turns
// package errors into HTTP.
var domainErrors = []struct {
	err    error
	status int
	code   string
}{
	{catalog.ErrSyncRunning, http.StatusConflict, "sync_running"},
}

func toAPIError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, d := range domainErrors {
		if errors.Is(err, d.err) {
			return &Error{Status: d.status, Code: d.code, Message: d.err.Error()}
		}
	}
	return nil
}

// writeError sends err in the envelope. Unknown errors are logged with the
// request id and reported as a bare 500.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := toAPIError(err)
	if e == nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", middleware.GetReqID(r.Context()), "err", err)
		e = errorf(http.StatusInternalServerError, "internal", "internal error; see the server log for request "+middleware.GetReqID(r.Context()))
	}
	writeJSON(w, e.Status, struct {
		Error *Error `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
