package catalog

import "testing"

// BlankIsipayValue must see exactly the placeholders IsipayData fills, or
// a value could go missing unnoticed.
func TestBlankIsipayValue(t *testing.T) {
	templates := []string{
		"{user_id}", "{user_id}({server})", "{user_id}|{server}|{character_name}",
		"id={user_id};zone={zone_2}", "plain", "{User_ID}", "{a-b}", "{}", "{{user_id}}",
	}
	for _, tmpl := range templates {
		values := map[string]string{}
		for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
			if key, blank := BlankIsipayValue(tmpl, values); !blank || key != m[1] {
				t.Errorf("%q with %v: got {%s} %v, want {%s} blank", tmpl, values, key, blank, m[1])
			}
			values[m[1]] = "<" + m[1] + ">"
		}
		if key, blank := BlankIsipayValue(tmpl, values); blank {
			t.Errorf("%q with %v: got {%s} blank, want none", tmpl, values, key)
		}
		values["unused"] = " "
		if got := IsipayData(tmpl, values); placeholder.MatchString(got) {
			t.Errorf("IsipayData(%q): %q still has a placeholder", tmpl, got)
		}
	}
}
