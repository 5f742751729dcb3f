package console

import (
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/fault"
)

func newBare(t *testing.T) *Console {
	t.Helper()
	c, err := New(Config{}, slog.New(slog.DiscardHandler), nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEveryCodeHasAPage: the console shows every code of fault's table,
// the API's table, with the status and heading the table gives it, in
// the words of the error.
func TestEveryCodeHasAPage(t *testing.T) {
	c := newBare(t)
	for _, code := range fault.Codes() {
		msg := "what went wrong with " + string(code)
		for _, err := range []error{
			fmt.Errorf("doing x: %w", fault.New(code, msg)),
			&pageError{code: code, message: msg},
		} {
			w := httptest.NewRecorder()
			c.fail(w, httptest.NewRequest(http.MethodGet, "/console/x", nil), err)
			body := html.UnescapeString(w.Body.String())
			if w.Code != fault.PageStatus(code) {
				t.Errorf("%s (%T): got status %d, want %d", code, err, w.Code, fault.PageStatus(code))
			}
			if !strings.Contains(body, "<h1>"+fault.Title(code)+"</h1>") || !strings.Contains(body, msg) {
				t.Errorf("%s (%T): got %.300s, want heading %q and %q", code, err, body, fault.Title(code), msg)
			}
		}
	}
}

func TestFailShows(t *testing.T) {
	c := newBare(t)
	tests := []struct {
		name   string
		err    error
		status int
		says   string
		hides  string
	}{
		{"a heading of its own", &pageError{code: fault.NotFound, heading: "No such offer", message: "There is no offer 7."},
			http.StatusNotFound, "<h1>No such offer</h1>", ""},
		{"a form's version conflict", fault.New(fault.VersionMismatch, "changed"), http.StatusConflict, "changed", ""},
		{"an error without a code", errors.New("database is locked"), http.StatusInternalServerError,
			"<h1>Server error</h1>", "database is locked"},
		{"a coded error the handler did not expect", ours(fault.New(fault.Validation, "invalid rule: name: x")),
			http.StatusInternalServerError, "<h1>Server error</h1>", "invalid rule"},
		{"a refused action", &notice{Prefix + "/rules", "Nothing changed."}, http.StatusSeeOther, "", ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		c.fail(w, httptest.NewRequest(http.MethodPost, "/console/x", nil), tt.err)
		body := html.UnescapeString(w.Body.String())
		if w.Code != tt.status || !strings.Contains(body, tt.says) || tt.hides != "" && strings.Contains(body, tt.hides) {
			t.Errorf("%s: got %d %.300s, want %d saying %q without %q", tt.name, w.Code, body, tt.status, tt.says, tt.hides)
		}
	}
	w := httptest.NewRecorder()
	c.fail(w, httptest.NewRequest(http.MethodPost, "/console/x", nil), &notice{Prefix + "/rules", "Nothing changed."})
	if loc := w.Header().Get("Location"); loc != Prefix+"/rules" {
		t.Errorf("notice: got Location %q, want %s/rules", loc, Prefix)
	}
}
