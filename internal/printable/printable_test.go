package printable_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/syncd/syncd/internal/printable"
)

func TestLine(t *testing.T) {
	for _, ok := range []string{
		"", "86 Diamonds", "Mobile Legends (78+8) — ダイヤ", "Rp 1.480", "تست", "naïve", "👨\u200d👩\u200d👧", "می\u200cخواهم",
		"emoji ❤️", "{user_id}", "\u00a0no-break space",
	} {
		if err := printable.Line(ok); err != nil {
			t.Errorf("Line(%q): got %v, want nil", ok, err)
		}
	}
	for _, tt := range []struct {
		in   string
		want rune
	}{
		{"a\x00b", 0}, {"bell\a", 7}, {"two\nlines", '\n'}, {"cr\r", '\r'}, {"tab\there", '\t'}, {"esc\x1b[31m", 0x1b},
		{"del\x7f", 0x7f}, {"c1\u0085", 0x85}, {"csi\u009b", 0x9b},
		{"gnp\u202eexe", 0x202e}, {"\u202a", 0x202a}, {"\u2066x\u2069", 0x2066}, {"\u2069", 0x2069}, {"\u200f", 0x200f}, {"\u061c", 0x61c},
		{"zero\u200bwidth", 0x200b}, {"\ufeffbom", 0xfeff}, {"word\u2060joiner", 0x2060}, {"ls\u2028", 0x2028}, {"ps\u2029", 0x2029},
		{"tag\U000e0041", 0xe0041}, {"soft\u00adhyphen", 0xad},
	} {
		err := printable.Line(tt.in)
		var pe *printable.Error
		if !errors.As(err, &pe) || pe.Rune != tt.want {
			t.Errorf("Line(%q): got %v, want it refused for %U", tt.in, err, tt.want)
		}
	}
	if err := printable.Line("bad \xff byte"); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: got %v", err)
	}
	if err := printable.Line("\ufffd is a character"); err != nil {
		t.Errorf("U+FFFD written out: got %v, want nil", err)
	}
	if err := printable.Line("x\u202ey"); err == nil || !strings.Contains(err.Error(), "U+202E") || !strings.Contains(err.Error(), "bidirectional") {
		t.Errorf("message: got %v, want it to name U+202E and say what it is", err)
	}
}

func TestText(t *testing.T) {
	for _, ok := range []string{"line one\nline two", "windows\r\nlines\r\n", "\n"} {
		if err := printable.Text(ok); err != nil {
			t.Errorf("Text(%q): got %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"lone\rcarriage return", "tab\t", "nul\x00", "rlo\u202e", "\r"} {
		if err := printable.Text(bad); err == nil {
			t.Errorf("Text(%q): got nil, want an error", bad)
		}
	}
}

// FuzzLine: what Line accepts is UTF-8 with no control, format or
// separator character other than ZWJ and ZWNJ; Text accepts it too, and
// accepts nothing Line refuses but line breaks.
func FuzzLine(f *testing.F) {
	f.Add("86 Diamonds")
	f.Add("a\u202eb\r\n")
	f.Add("\xff\u200d")
	f.Fuzz(func(t *testing.T, s string) {
		line, text := printable.Line(s), printable.Text(s)
		if line == nil {
			if !utf8.ValidString(s) {
				t.Fatalf("Line accepted invalid UTF-8 %q", s)
			}
			for _, r := range s {
				if r != '\u200c' && r != '\u200d' && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
					t.Fatalf("Line accepted %U in %q", r, s)
				}
			}
			if text != nil {
				t.Fatalf("Text refused %q, which Line accepts: %v", s, text)
			}
		}
		if text == nil && line != nil && printable.Line(strings.NewReplacer("\r\n", "", "\n", "").Replace(s)) != nil {
			t.Fatalf("Text accepted %q, which is more than lines Line accepts", s)
		}
	})
}
