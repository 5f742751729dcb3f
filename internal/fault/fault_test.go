package fault

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestEveryCodeIsInTheTable: a code declared without a row would be
// answered as a 500 by api and as a server error by the console.
func TestEveryCodeIsInTheTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, name := range vs.Names {
				code, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				declared++
				if !slices.Contains(Codes(), Code(code)) {
					t.Errorf("%s (%q) is declared but not in the table", name.Name, code)
				}
			}
		}
	}
	if declared != len(Codes()) {
		t.Errorf("%d codes declared, %d in the table", declared, len(Codes()))
	}
}

func TestEveryCodeHasAStatusAndATitle(t *testing.T) {
	for _, c := range Codes() {
		if s := Status(c); s < 400 || s > 599 {
			t.Errorf("%s: status %d, want a 4xx or 5xx", c, s)
		}
		if s := PageStatus(c); s < 400 || s > 599 {
			t.Errorf("%s: page status %d, want a 4xx or 5xx", c, s)
		}
		if Title(c) == "" {
			t.Errorf("%s: no title", c)
		}
	}
	if got := Status("no_such_code"); got != http.StatusInternalServerError {
		t.Errorf("unknown code: got %d, want 500", got)
	}
	if got, want := PageStatus(VersionMismatch), http.StatusConflict; got != want {
		t.Errorf("version_mismatch on a page: got %d, want %d", got, want)
	}
	if got, want := PageStatus(NotFound), http.StatusNotFound; got != want {
		t.Errorf("not_found on a page: got %d, want %d", got, want)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{New(NotFound, "not found"), "not found"},
		{Invalid("invalid rule", map[string]string{"round.step": "b", "name": "a"}), "invalid rule: name: a; round.step: b"},
		{Invalid("invalid rule", map[string]string{}), "invalid rule"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSentinels(t *testing.T) {
	errInvalid := New(Validation, "invalid order")
	errGone := New(RuleNotFound, "not found")

	ve := errInvalid.WithFields(map[string]string{"item": "required"})
	if !errors.Is(ve, errInvalid) || errors.Is(ve, errGone) {
		t.Fatalf("WithFields: errors.Is its sentinel %v, another %v; want true, false", errors.Is(ve, errInvalid), errors.Is(ve, errGone))
	}
	wrapped := fmt.Errorf("create order: %w", ve)
	if got := CodeOf(wrapped); got != Validation {
		t.Errorf("code of a wrapped validation error: got %q, want %q", got, Validation)
	}
	if got := FieldsOf(wrapped); got["item"] != "required" || len(got) != 1 {
		t.Errorf("fields of a wrapped validation error: got %v, want item only", got)
	}
	if got, want := wrapped.Error(), "create order: invalid order: item: required"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	gone := fmt.Errorf("rule r1: %w", errGone)
	if got := CodeOf(gone); got != RuleNotFound {
		t.Errorf("code of a wrapped sentinel: got %q, want %q", got, RuleNotFound)
	}
	if FieldsOf(gone) != nil {
		t.Errorf("fields of a sentinel that is not a validation error: got %v, want nil", FieldsOf(gone))
	}
	if got := CodeOf(errors.New("disk full")); got != "" {
		t.Errorf("code of an error without one: got %q, want none", got)
	}
}
