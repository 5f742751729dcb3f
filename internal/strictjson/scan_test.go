package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzScannerMatchesWalker: on JSON, the byte scanner check uses finds
// what the token reader it falls back to on anything else finds, for free
// documents and for a typed target alike.
func FuzzScannerMatchesWalker(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": [1, {"c": 2, "C": 3}]}`))
	f.Add([]byte(`{"reference": "r", "Fields": {"user_id": "1"}, "expected_price": 5}`))
	f.Add([]byte(`{"lines": [{"code": "a"}, {"code": "b", "code": "c"}], "x\u0041": "\u00e9\ud800"}`))
	f.Add([]byte(` [ "a\"b" , -1.5e3, true, null, {"": {"": 1}} ] `))
	type line struct {
		Code string `json:"code"`
	}
	type doc struct {
		Reference string            `json:"reference"`
		Fields    map[string]string `json:"fields"`
		Lines     []line            `json:"lines"`
		Raw       json.RawMessage   `json:"raw"`
	}
	types := []reflect.Type{nil, reflect.TypeFor[doc](), reflect.TypeFor[[]doc]()}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		for _, typ := range types {
			sc := scanner{data: data}
			fast := sc.value(typ, 0)
			w := walker{dec: json.NewDecoder(bytes.NewReader(data))}
			w.dec.UseNumber()
			slow := w.value(typ, 0)
			if slow == nil {
				if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
					t.Fatalf("walker left %v after a valid document", err)
				}
			}
			if !sameError(fast, slow) {
				t.Fatalf("%s into %v: scanner %v, walker %v", data, typ, fast, slow)
			}
		}
	})
}

func sameError(a, b error) bool {
	var da, db *DuplicateError
	var na, nb *NameError
	switch {
	case a == nil || b == nil:
		return a == b
	case errors.As(a, &da):
		return errors.As(b, &db) && *da == *db
	case errors.As(a, &na):
		return errors.As(b, &nb) && *na == *nb
	}
	return errors.Is(a, ErrTooDeep) && errors.Is(b, ErrTooDeep)
}
