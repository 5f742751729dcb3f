package suppliers

import (
	"maps"
	"strings"
	"testing"

	"github.com/syncd/syncd/catalog"
)

// Blank must see exactly the placeholders Fill fills, or
// a value could go missing unnoticed.
func TestTemplateBlank(t *testing.T) {
	templates := []string{
		"{user_id}", "{user_id}({server})", "{user_id}|{server}|{character_name}",
		"id={user_id};zone={zone_2}", "plain", "{User_ID}", "{a-b}", "{}", "{{user_id}}",
	}
	for _, tmpl := range templates {
		values := map[string]string{}
		for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
			if key, blank := Template(tmpl).Blank(values); !blank || key != m[1] {
				t.Errorf("%q with %v: got {%s} %v, want {%s} blank", tmpl, values, key, blank, m[1])
			}
			values[m[1]] = "<" + m[1] + ">"
		}
		if key, blank := Template(tmpl).Blank(values); blank {
			t.Errorf("%q with %v: got {%s} blank, want none", tmpl, values, key)
		}
		values["unused"] = " "
		if got := Template(tmpl).Fill(values); placeholder.MatchString(got) {
			t.Errorf("Fill(%q): %q still has a placeholder", tmpl, got)
		}
	}
}

func TestTemplateCheck(t *testing.T) {
	two := []catalog.FormField{{Key: "user_id", Type: "text"}, {Key: "server", Type: "text"}}
	for _, ok := range []string{"{user_id}({server})", "{user_id}|{server}", "id={user_id};zone={server}", "{server} {user_id}"} {
		if err := Template(ok).Check(two); err != nil {
			t.Errorf("%q: got %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"", "{user_id}", "{user_id}({zone})", "{user_id}{server}", "{user_id}({server}}", "{{user_id}}|{server}",
		"{user_id}({server}){", "{user_id}\t{server}", "{user_id}\u202e{server}", "{user_id}\n{server}",
	} {
		if err := Template(bad).Check(two); err == nil {
			t.Errorf("%q: got nil, want an error", bad)
		}
	}
}

func TestTemplateDelimiters(t *testing.T) {
	for tmpl, want := range map[string]string{
		"{user_id}":                        "{}",
		"{user_id}({server})":              "{}()",
		"{user_id}|{server}|{zone}":        "{}|",
		"id={user_id};zone={server}":       "{}id=;zone",
		"{user_id} ({server})":             "{} ()",
		"{user_id}\u00b7{server}\u00b7end": "{}\u00b7end",
	} {
		if got := Template(tmpl).Delimiters(); got != want {
			t.Errorf("Delimiters(%q): got %q, want %q", tmpl, got, want)
		}
	}
}

// The values of issue 12, in the default template: each would send the
// supplier another player.
func TestTemplateCheckValueRefusesBreakers(t *testing.T) {
	const tmpl = "{user_id}({server})"
	for _, v := range []string{"{server}|x", "2001)(9999", "12(34", "{user_id}", "x}"} {
		if err := Template(tmpl).CheckValue(v); err == nil {
			t.Errorf("%q in %s: got nil, want an error", v, tmpl)
		}
	}
	for _, v := range []string{"12345678", "2001", "name#1234", "a|b"} {
		if err := Template(tmpl).CheckValue(v); err != nil {
			t.Errorf("%q in %s: got %v, want nil", v, tmpl, err)
		}
	}
	// What the check prevents: filled in, these read back otherwise.
	for _, values := range []map[string]string{{"user_id": "1", "server": "2001)(9999"}, {"user_id": "1)(2", "server": "3"}} {
		if got := readBack(tmpl, Template(tmpl).Fill(values), 2); len(got) == 1 && maps.Equal(got[0], values) {
			t.Errorf("%v reads back as itself alone; the test no longer shows a breaker", values)
		}
	}
	if key, err := Template(tmpl).Breaking(map[string]string{"user_id": "1", "server": "2001)(9999"}); key != "server" || err == nil {
		t.Errorf("Breaking: got {%s} %v, want {server} refused", key, err)
	}
}

// FuzzTemplateSplits: for any template Check accepts and any values
// CheckValue accepts, the filled string can be read back
// into fields in exactly one way, and that way gives the buyer's values.
// The reading back knows only the template: a placeholder may stand for
// any string at all.
func FuzzTemplateSplits(f *testing.F) {
	f.Add("{user_id}({server})", "12345678", "2001", "")
	f.Add("{user_id}|{server}|{zone}", "a", "b", "c")
	f.Add("id={user_id};zone={server}", "i=1", "z", "")
	f.Add("{user_id}({server})", "{server}|x", "2001)(9999", "")
	f.Add("{zone}-{user_id}-{zone}", "x", "", "y")
	f.Fuzz(func(t *testing.T, tmpl, a, b, c string) {
		if len(tmpl)+len(a)+len(b)+len(c) > 120 {
			return
		}
		var form []catalog.FormField
		values := map[string]string{}
		for i, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
			if _, ok := values[m[1]]; ok {
				continue
			}
			form = append(form, catalog.FormField{Key: m[1], Type: "text"})
			values[m[1]] = []string{a, b, c, a + b}[i%4]
		}
		if Template(tmpl).Check(form) != nil {
			return
		}
		for _, v := range values {
			if Template(tmpl).CheckValue(v) != nil {
				return
			}
		}
		data := Template(tmpl).Fill(values)
		parses := readBack(tmpl, data, 2)
		if len(parses) != 1 {
			t.Fatalf("%q filled with %v is %q, which reads back %d ways: %v", tmpl, values, data, len(parses), parses)
		}
		for k, v := range values {
			if parses[0][k] != v {
				t.Fatalf("%q filled with %v is %q, which reads back as %v", tmpl, values, data, parses[0])
			}
		}
	})
}

// readBack lists up to limit ways to read data as tmpl filled in, where
// each placeholder may stand for any string (the same one wherever it
// recurs).
func readBack(tmpl, data string, limit int) []map[string]string {
	type segment struct{ lit, key string }
	var segs []segment
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(tmpl, -1) {
		segs = append(segs, segment{lit: tmpl[last:loc[0]]}, segment{key: tmpl[loc[2]:loc[3]]})
		last = loc[1]
	}
	segs = append(segs, segment{lit: tmpl[last:]})
	var out []map[string]string
	var walk func(i, pos int, got map[string]string)
	walk = func(i, pos int, got map[string]string) {
		switch {
		case len(out) >= limit:
			return
		case i == len(segs):
			if pos == len(data) {
				out = append(out, maps.Clone(got))
			}
			return
		case segs[i].key == "":
			if strings.HasPrefix(data[pos:], segs[i].lit) {
				walk(i+1, pos+len(segs[i].lit), got)
			}
			return
		}
		k := segs[i].key
		if v, ok := got[k]; ok {
			if strings.HasPrefix(data[pos:], v) {
				walk(i+1, pos+len(v), got)
			}
			return
		}
		for end := pos; end <= len(data); end++ {
			got[k] = data[pos:end]
			walk(i+1, end, got)
			delete(got, k)
		}
	}
	walk(0, 0, map[string]string{})
	return out
}
