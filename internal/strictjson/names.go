package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

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
// for the object's target type t. The names live on a stack the reader
// shares across objects (a nested object's above its parent's, popped by
// done), so reading a document allocates nothing per object.
type members struct {
	fields *fieldSet
	elem   reflect.Type
	stack  *[][]byte       // names of every open object; this one's from base
	base   int             //
	folded map[string]bool // once this object has many names, their folded forms
}

func (m *members) init(t reflect.Type, stack *[][]byte) {
	m.stack, m.base = stack, len(*stack)
	switch t = target(t); {
	case t == nil:
	case t.Kind() == reflect.Struct:
		m.fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		m.elem = t.Elem()
	}
}

// done pops the object's names off the shared stack.
func (m *members) done() { *m.stack = (*m.stack)[:m.base] }

// member takes the next name: an error if it repeats one before it
// (ignoring case) or names a field in another case; otherwise the type
// of its value, nil if free-form or unknown.
func (m *members) member(name []byte, at path) (reflect.Type, error) {
	names := (*m.stack)[m.base:]
	switch {
	case m.folded != nil:
		key := fold(string(name))
		if m.folded[key] {
			return nil, &DuplicateError{Path: at.String()}
		}
		m.folded[key] = true
	case slices.ContainsFunc(names, func(n []byte) bool { return bytes.EqualFold(n, name) }):
		return nil, &DuplicateError{Path: at.String()}
	case len(names) < 16:
		*m.stack = append(*m.stack, name)
	default:
		m.folded = make(map[string]bool, 2*len(names))
		for _, n := range append(names, name) {
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
