// Package strictjsontest makes documents with a repeated member, for the
// fuzz tests of every decoder built on strictjson: whatever a decoder
// accepts, the same document with one member repeated must be refused.
package strictjsontest

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// member is where a member of data could be repeated: just after its
// object's '{', and its name and path.
type member struct {
	at   int64
	name string
	path string
}

// WithRepeat returns data with one of its members repeated: member n
// (counting the members of every object in document order, modulo their
// number) is written again, with the value null, first in its object, so
// that a last-wins reader still sees the original value. path is the
// member's JSON path as strictjson reports it. ok is false when data is
// not JSON or has no member.
func WithRepeat(data []byte, n uint) (out []byte, path string, ok bool) {
	if !json.Valid(data) {
		return nil, "", false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var members []member
	var walk func(path string) bool
	walk = func(path string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			at := dec.InputOffset()
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return false
				}
				name, _ := tok.(string)
				p := name
				if path != "" {
					p = path + "." + name
				}
				members = append(members, member{at: at, name: name, path: p})
				if !walk(p) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if !walk(path + "[" + strconv.Itoa(i) + "]") {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	if !walk("") || len(members) == 0 {
		return nil, "", false
	}
	m := members[n%uint(len(members))]
	name, _ := json.Marshal(m.name)
	out = append(out, data[:m.at]...)
	out = append(out, name...)
	out = append(out, ":null,"...)
	out = append(out, data[m.at:]...)
	return out, m.path, true
}
