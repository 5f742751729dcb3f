package suppliers

import (
	"encoding/json"
	"testing"
)

func TestAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`1480`, "1480", false},
		{`"1480"`, "1480", false},
		{`"1864.50"`, "1864.5", false},
		{`1864.5`, "1864.5", false},
		{`" 1480 "`, "1480", false},
		{`"1.480"`, "", true},     // thousands grouping: ambiguous
		{`"1.220.380"`, "", true}, // thousands grouping
		{`1.480`, "", true},       // the same as a JSON number
		{`"1e9999"`, "", true},    // absurd exponent
		{`""`, "", true},
		{`"Rp 1.480"`, "", true},
		{`"abc"`, "", true},
		{`true`, "", true},
		{`[1]`, "", true},
	}
	for _, tt := range tests {
		var a Amount
		err := json.Unmarshal([]byte(tt.in), &a)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: got %s, want an error", tt.in, a.Value)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if a.Value.String() != tt.want || !a.Set {
			t.Errorf("%s: got %s (set %v), want %s", tt.in, a.Value, a.Set, tt.want)
		}
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{
		`true`: true, `false`: false, `1`: true, `0`: false, `"1"`: true, `"0"`: false,
		`"active"`: true, `"inactive"`: false, `"Active"`: true, `"true"`: true,
	} {
		var b Bool
		if err := json.Unmarshal([]byte(in), &b); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if b.Value != want {
			t.Errorf("%s: got %v, want %v", in, b.Value, want)
		}
	}
	for _, in := range []string{`2`, `"maybe"`, `[]`, `{}`} {
		var b Bool
		if err := json.Unmarshal([]byte(in), &b); err == nil {
			t.Errorf("%s: got %v, want an error", in, b.Value)
		}
	}
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int64{`200`: 200, `"200"`: 200, `200.0`: 200, `"400"`: 400} {
		var i Int
		if err := json.Unmarshal([]byte(in), &i); err != nil || i.Value != want {
			t.Errorf("%s: got %d, %v, want %d", in, i.Value, err, want)
		}
	}
	for _, in := range []string{`"two hundred"`, `200.5`, `true`, `""`} {
		var i Int
		if err := json.Unmarshal([]byte(in), &i); err == nil {
			t.Errorf("%s: got %d, want an error", in, i.Value)
		}
	}
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{`1480`, `"1864.50"`, `"1.480"`, `"1e3"`, `-5`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Amount
		if err := json.Unmarshal(data, &a); err != nil || !a.Set {
			return
		}
		if len(a.Value.String()) > 64 {
			t.Fatalf("%q parsed to an unbounded number %s", data, a.Value)
		}
		if groupedAmount.MatchString(a.Raw) {
			t.Fatalf("%q: grouped amount accepted", data)
		}
	})
}

func TestTextDecodesLikeEncodingJSON(t *testing.T) {
	for _, in := range []string{`"plain"`, `"with \"quote\""`, `"tab\tx"`, `"é ü"`, `"\u00e9"`, `"a\\b"`, `""`, `10040400`, `null`} {
		var got Text
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want string
		if in != `10040400` && in != `null` {
			json.Unmarshal([]byte(in), &want)
		} else if in == `10040400` {
			want = "10040400"
		}
		if string(got) != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\"b"`, `"\u00e9"`, `"é"`, `12`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Text
		err := json.Unmarshal(data, &got)
		var want string
		werr := json.Unmarshal(data, &want)
		if werr == nil && err == nil && string(got) != want {
			t.Fatalf("%q: got %q, want %q as encoding/json decodes it", data, got, want)
		}
		if werr == nil && err != nil {
			t.Fatalf("%q: encoding/json accepts it as a string, Text refused: %v", data, err)
		}
	})
}
