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
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	if json.Valid(data) {
		sc := scanner{data: data}
		return sc.value(t, 0)
	}
	// Not JSON: the token reader finds what is wrong, as encoding/json
	// reports it (and a repeated member before it, if there is one).
	w := walker{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if err := w.value(t, 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailing
	}
	return nil
}

// path is the JSON path to where a reader is, kept as a stack and written
// out only for an error.
type path []segment

type segment struct {
	name  []byte
	index int // an array element's; -1 for a member
}

func (p path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case b.Len() > 0:
			b.WriteString("." + string(s.name))
		default:
			b.Write(s.name)
		}
	}
	return b.String()
}

// members checks the member names of one object as a reader meets them,
// for the object's target type t.
type members struct {
	fields *fieldSet
	elem   reflect.Type
	names  [][]byte        // the names so far, while there are few
	folded map[string]bool // then their folded forms
	buf    [8][]byte
}

func (m *members) init(t reflect.Type) {
	m.names = m.buf[:0]
	switch t = target(t); {
	case t == nil:
	case t.Kind() == reflect.Struct:
		m.fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		m.elem = t.Elem()
	}
}

// member takes the next name: an error if it repeats one before it
// (ignoring case) or names a field in another case; otherwise the type
// of its value, nil if free-form or unknown.
func (m *members) member(name []byte, at path) (reflect.Type, error) {
	switch {
	case m.folded != nil:
		key := fold(string(name))
		if m.folded[key] {
			return nil, &DuplicateError{Path: at.String()}
		}
		m.folded[key] = true
	case slices.ContainsFunc(m.names, func(n []byte) bool { return bytes.EqualFold(n, name) }):
		return nil, &DuplicateError{Path: at.String()}
	case len(m.names) < 16:
		m.names = append(m.names, name)
	default:
		m.folded = make(map[string]bool, 2*len(m.names))
		for _, n := range append(m.names, name) {
			m.folded[fold(string(n))] = true
		}
	}
	if m.fields == nil {
		return m.elem, nil
	}
	if f, ok := m.fields.byName[string(name)]; ok {
		return f.typ, nil
	}
	if f, ok := m.fields.byFold[fold(string(name))]; ok {
		return nil, &NameError{Path: at.String(), Want: f.name}
	}
	return nil, nil // unknown: encoding/json refuses it or skips it
}

func elemOf(t reflect.Type) reflect.Type {
	if t = target(t); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// scanner reads a document json.Valid has accepted, byte by byte, so it
// sees every member name where encoding/json would keep only the last. It
// relies on the document being valid and checks no syntax itself.
type scanner struct {
	data []byte
	i    int
	at   path
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value; t is the Go type it will be decoded into, nil
// where that is not known (free-form JSON).
func (s *scanner) value(t reflect.Type, depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	s.space()
	switch s.data[s.i] {
	case '{':
		s.i++
		return s.object(t, depth)
	case '[':
		s.i++
		return s.array(t, depth)
	case '"':
		s.str()
		return nil
	}
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		s.i++
	}
	return nil
}

func (s *scanner) object(t reflect.Type, depth int) error {
	var m members
	m.init(t)
	s.space()
	if s.data[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		name := s.key()
		s.space()
		s.i++ // ':'
		s.at = append(s.at, segment{name: name, index: -1})
		ft, err := m.member(name, s.at)
		if err == nil {
			err = s.value(ft, depth+1)
		}
		if err != nil {
			return err
		}
		s.at = s.at[:len(s.at)-1]
		s.space()
		s.i++ // ',' or '}'
		if s.data[s.i-1] == '}' {
			return nil
		}
	}
}

func (s *scanner) array(t reflect.Type, depth int) error {
	elem := elemOf(t)
	s.space()
	if s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for i := 0; ; i++ {
		s.at = append(s.at, segment{index: i})
		if err := s.value(elem, depth+1); err != nil {
			return err
		}
		s.at = s.at[:len(s.at)-1]
		s.space()
		s.i++ // ',' or ']'
		if s.data[s.i-1] == ']' {
			return nil
		}
	}
}

// str skips a string.
func (s *scanner) str() {
	s.i++
	for {
		switch s.data[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return
		}
		s.i++
	}
}

// key reads a member name as encoding/json decodes it: from the document
// itself when it is plain UTF-8 without escapes.
func (s *scanner) key() []byte {
	start := s.i
	s.str()
	raw := s.data[start:s.i]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw[1 : len(raw)-1]
	}
	var name string
	_ = json.Unmarshal(raw, &name) // valid: json.Valid said so
	return []byte(name)
}

// walker reads a document token by token, as rules.Decode does; check
// uses it on what is not JSON, to say why as encoding/json would.
type walker struct {
	dec *json.Decoder
	at  path
}

func (w *walker) value(t reflect.Type, depth int) error {
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
		return w.object(t, depth)
	case json.Delim('['):
		return w.array(t, depth)
	}
	return nil
}

func (w *walker) object(t reflect.Type, depth int) error {
	var m members
	m.init(t)
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return truncated(err)
		}
		name, _ := tok.(string) // the decoder refuses an object key that is not a string
		w.at = append(w.at, segment{name: []byte(name), index: -1})
		ft, err := m.member(w.at[len(w.at)-1].name, w.at)
		if err == nil {
			err = w.value(ft, depth+1)
		}
		if err != nil {
			return err
		}
		w.at = w.at[:len(w.at)-1]
	}
	_, err := w.dec.Token()
	return truncated(err)
}

func (w *walker) array(t reflect.Type, depth int) error {
	elem := elemOf(t)
	for i := 0; w.dec.More(); i++ {
		w.at = append(w.at, segment{index: i})
		if err := w.value(elem, depth+1); err != nil {
			return err
		}
		w.at = w.at[:len(w.at)-1]
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

// fieldSet is a struct's JSON fields by name and by folded name.
type fieldSet struct {
	byName map[string]field
	byFold map[string]field
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]field{}, byFold: map[string]field{}}
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
			fs.byName[name] = fs.byFold[key]
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
