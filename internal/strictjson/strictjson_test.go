package strictjson_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/internal/strictjson/strictjsontest"
)

type order struct {
	Reference string            `json:"reference"`
	Fields    map[string]string `json:"fields"`
	Price     json.RawMessage   `json:"expected_price"`
	Lines     []line            `json:"lines"`
	Skipped   string            `json:"-"`
	At        *time.Time        `json:"at"`
	embedded
}

type line struct {
	Code string `json:"code"`
}

type embedded struct {
	Note string `json:"note"`
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, in string
		path     string // of the repeated member; "" for none
		err      error  // another error wanted
	}{
		{"one object", `{"a": 1, "b": [1, {"c": 2}]}`, "", nil},
		{"top level", `{"expected_price": 1, "expected_price": 20350}`, "expected_price", nil},
		{"nested", `{"a": {"b": 1, "c": {"d": 1, "d": 2}}}`, "a.c.d", nil},
		{"in an array", `{"data": [{"x": 1}, {"x": 1, "y": 2, "x": 3}]}`, "data[1].x", nil},
		{"in a top-level array", `[{}, {"k": 1, "k": 1}]`, "[1].k", nil},
		{"escaped name", `{"webhook_type": "bogus", "webhook_\u0074ype": "price_update"}`, "webhook_type", nil},
		{"case", `{"name": "a", "Name": "b"}`, "Name", nil},
		{"Kelvin sign folds to k", "{\"k\": 1, \"\u212a\": 2}", "\u212a", nil},
		{"same name in sibling objects", `{"a": {"x": 1}, "b": {"x": 1}}`, "", nil},
		{"same name at two depths", `{"x": {"x": {"x": 1}}}`, "", nil},
		{"empty name twice", `{"a": [{"": 1, "": 2}]}`, "a[0].", nil},
		{"many members, the last repeating the first", `{"m0":0,"m1":1,"m2":2,"m3":3,"m4":4,"m5":5,"m6":6,"m7":7,"m8":8,"m9":9,"m10":0,"m11":0,"m12":0,"m13":0,"m14":0,"m15":0,"m16":0,"m17":0,"M0":0}`, "M0", nil},
		{"repeated member in invalid JSON", `{"a": 1, "a": 2, }`, "a", nil},
		{"empty", ``, "", io.EOF},
		{"white space", " \n", "", io.EOF},
		{"truncated", `{"a": [1,`, "", io.ErrUnexpectedEOF},
		{"truncated name", `{"a": 1, "b`, "", io.ErrUnexpectedEOF},
		{"trailing object", `{} {}`, "", strictjson.ErrTrailing},
		{"trailing garbage", `{}x`, "", strictjson.ErrTrailing},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "", strictjson.ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strictjson.Check([]byte(tt.in))
			var dup *strictjson.DuplicateError
			switch {
			case tt.path != "":
				if !errors.As(err, &dup) || dup.Path != tt.path || !errors.Is(err, strictjson.ErrDuplicate) {
					t.Fatalf("got %v, want a repeated member at %q", err, tt.path)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, want %v", err, tt.err)
				}
			case err != nil:
				t.Fatalf("got %v, want nil", err)
			}
		})
	}
	var syntax *json.SyntaxError
	if err := strictjson.Check([]byte(`{"a" 1}`)); !errors.As(err, &syntax) {
		t.Fatalf("malformed: got %v, want a *json.SyntaxError", err)
	}
}

func TestDecode(t *testing.T) {
	var o order
	good := `{"reference": "r", "fields": {"user_id": "1", "server": "2"}, "expected_price": 5, "lines": [{"code": "a"}], "note": "n", "at": "2026-01-02T03:04:05Z"}`
	if err := strictjson.Decode([]byte(good), &o); err != nil || o.Reference != "r" || o.Fields["server"] != "2" || o.Note != "n" || string(o.Price) != "5" {
		t.Fatalf("got %+v, %v", o, err)
	}
	tests := []struct {
		name, in string
		want     string // in the error
		open     bool   // DecodeOpen
	}{
		{"repeated", `{"reference": "a", "reference": "b"}`, `repeated member "reference"`, false},
		{"repeated in a case", `{"reference": "a", "REFERENCE": "b"}`, `repeated member "REFERENCE"`, false},
		{"field in another case", `{"Reference": "a"}`, `member "Reference": names are case-sensitive; want "reference"`, false},
		{"field in another case, deep", `{"lines": [{"code": "a"}, {"Code": "b"}]}`, `"lines[1].Code"`, false},
		{"embedded field in another case", `{"NOTE": "x"}`, `want "note"`, false},
		{"repeated map key", `{"fields": {"user_id": "1", "user_id": "2"}}`, `repeated member "fields.user_id"`, false},
		{"repeated inside raw JSON", `{"expected_price": {"a": 1, "a": 2}}`, `repeated member "expected_price.a"`, false},
		{"unknown", `{"referense": "a"}`, `unknown field "referense"`, false},
		{"field in another case, open", `{"Reference": "a", "extra": 1}`, `names are case-sensitive`, true},
		{"repeated unknown member, open", `{"extra": 1, "extra": 2}`, `repeated member "extra"`, true},
		{"ignored field in another case", `{"Skipped": "x"}`, `unknown field "Skipped"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o order
			decode := strictjson.Decode
			if tt.open {
				decode = strictjson.DecodeOpen
			}
			err := decode([]byte(tt.in), &o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %s", err, tt.want)
			}
		})
	}
	if err := strictjson.DecodeOpen([]byte(`{"reference": "a", "extra": {"x": [1]}}`), &o); err != nil {
		t.Fatalf("open document with an unknown member: %v", err)
	}
}

// FuzzCheck: Check agrees with json.Valid on what is JSON, never accepts a
// document in which one object has two members equal ignoring case, and
// refuses every accepted document with a member repeated.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": [1, {"c": 2}]}`), uint(0))
	f.Add([]byte(`{"expected_price": 1, "expected_price": 20350}`), uint(1))
	f.Add([]byte(`[{"k": {"K": 1}}, "x"]`), uint(2))
	f.Add([]byte(`{"\u017f": 1, "S": 2}`), uint(0))
	f.Fuzz(func(t *testing.T, data []byte, n uint) {
		err := strictjson.Check(data)
		valid := json.Valid(data)
		switch {
		case !valid && err == nil:
			t.Fatalf("accepted invalid JSON %q", data)
		case valid && err != nil && !errors.Is(err, strictjson.ErrDuplicate) && !errors.Is(err, strictjson.ErrTooDeep):
			t.Fatalf("refused valid JSON %q: %v", data, err)
		case err != nil:
			return
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if names := distinctFold(t, v); names != countNames(t, data) {
			t.Fatalf("accepted %q, whose objects have %d member names but only %d distinct ignoring case", data, countNames(t, data), names)
		}
		if again, path, ok := strictjsontest.WithRepeat(data, n); ok {
			var dup *strictjson.DuplicateError
			if err := strictjson.Check(again); !errors.As(err, &dup) || dup.Path != path {
				t.Fatalf("with %q repeated, %q: got %v", path, again, err)
			}
		}
	})
}

// distinctFold counts the member names of v's objects that are distinct
// within their object ignoring case: each name keyed by the smallest
// rune of each of its runes' case orbits.
func distinctFold(t *testing.T, v any) int {
	switch x := v.(type) {
	case map[string]any:
		keys := map[string]bool{}
		n := 0
		for k, child := range x {
			keys[strings.Map(orbitMin, k)] = true
			n += distinctFold(t, child)
		}
		return n + len(keys)
	case []any:
		n := 0
		for _, child := range x {
			n += distinctFold(t, child)
		}
		return n
	}
	return 0
}

func orbitMin(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// countNames counts the member names written in data, repeats included.
func countNames(t *testing.T, data []byte) int {
	type frame struct{ object, wantName bool }
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var stack []*frame
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object && top.wantName {
				if tok == json.Delim('}') {
					stack = stack[:len(stack)-1]
				} else {
					n++
					top.wantName = false
				}
				continue
			}
			if tok == json.Delim(']') {
				stack = stack[:len(stack)-1]
				continue
			}
			top.wantName = true // a value starts; the member after it starts with a name
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantName: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}
