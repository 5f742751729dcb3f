package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"unicode/utf8"
)

// scanner reads a document json.Valid has accepted, byte by byte, so it
// sees every member name where encoding/json would keep only the last. It
// relies on the document being valid and checks no syntax itself.
type scanner struct {
	data  []byte
	i     int
	at    path
	names [][]byte // the member names of the open objects (see members)
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
	m.init(t, &s.names)
	defer m.done()
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
	dec   *json.Decoder
	at    path
	names [][]byte // the member names of the open objects (see members)
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
	m.init(t, &w.names)
	defer m.done()
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
