// Package strictjson is syncd's one reading of JSON that comes from
// outside (storefront, merchandiser and admin requests, supplier
// webhooks): a document is refused when two parsers could read it
// differently. encoding/json alone takes the last of two members with the
// same name, and matches member names to struct fields ignoring case, so
// {"expected_price": 1, "Expected_Price": 20350} means 20350 to Go and 1
// to a proxy, a log pipeline or a supplier that reads the first.
//
// It is a leaf over the standard library, importable by every package
// (rules included, which otherwise imports only pricing), so that each
// body is read by the same code.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
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
	w := walker{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if err := w.value("", t, 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailing
	}
	return nil
}

// walker reads a document token by token, as rules.Decode does, so it
// sees every member name where encoding/json would keep only the last.
type walker struct {
	dec *json.Decoder
}

// value reads one value at path; t is the Go type it will be decoded
// into, nil where that is not known (free-form JSON).
func (w *walker) value(path string, t reflect.Type, depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	tok, err := w.dec.Token()
	if err != nil {
		if depth == 0 && errors.Is(err, io.EOF) {
			return io.EOF
		}
		return truncated(err)
	}
	switch tok {
	case json.Delim('{'):
		return w.object(path, t, depth)
	case json.Delim('['):
		return w.array(path, t, depth)
	}
	return nil
}

func (w *walker) object(path string, t reflect.Type, depth int) error {
	t = target(t)
	var (
		fields *fieldSet
		elem   reflect.Type
	)
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return truncated(err)
		}
		name, _ := tok.(string) // the decoder refuses an object key that is not a string
		p := name
		if path != "" {
			p = path + "." + name
		}
		key := fold(name)
		if seen[key] {
			return &DuplicateError{Path: p}
		}
		seen[key] = true
		ft := elem
		if fields != nil {
			f, ok := fields.byFold[key]
			if ok && f.name != name {
				return &NameError{Path: p, Want: f.name}
			}
			ft = f.typ // nil for an unknown member: encoding/json refuses it or skips it
		}
		if err := w.value(p, ft, depth+1); err != nil {
			return err
		}
	}
	_, err := w.dec.Token()
	return truncated(err)
}

func (w *walker) array(path string, t reflect.Type, depth int) error {
	t = target(t)
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(path+"["+strconv.Itoa(i)+"]", elem, depth+1); err != nil {
			return err
		}
	}
	_, err := w.dec.Token()
	return truncated(err)
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type whose fields or elements a value fills: t without
// pointers, or nil when its shape is not encoding/json's to decide (an
// interface, a type with its own UnmarshalJSON such as json.RawMessage).
// Free-form parts are still checked for repeated members.
func target(t reflect.Type) reflect.Type {
	for t != nil {
		if p := reflect.PointerTo(t); p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

type field struct {
	name string
	typ  reflect.Type
}

// fieldSet is a struct's JSON fields by folded name.
type fieldSet struct {
	byFold map[string]field
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byFold: map[string]field{}}
	collect(t, fs, 0)
	fieldCache.Store(t, fs)
	return fs
}

// collect adds t's fields as encoding/json names them: the tag's name or
// the Go name, "-" left out, the fields of an untagged embedded struct
// promoted (a shallower field wins, as in encoding/json).
func collect(t reflect.Type, fs *fieldSet, depth int) {
	if depth > 8 {
		return
	}
	var embedded []reflect.Type
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		key := fold(name)
		if _, ok := fs.byFold[key]; !ok {
			fs.byFold[key] = field{name: name, typ: sf.Type}
		}
	}
	for _, et := range embedded {
		collect(et, fs, depth+1)
	}
}

// fold maps a name to the same key as every name equal to it ignoring
// case, the way encoding/json matches names to fields (each rune to the
// smallest rune of its Unicode simple folding orbit: "K", "k" and the
// Kelvin sign are one).
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}
