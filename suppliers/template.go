package suppliers

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/printable"
)

// Template joins a buyer's answers to a game's form into the one string
// some suppliers take instead of a form (Isipay's "data"): each {key}
// stands for the answer to that field, "{user_id}({server})". An adapter
// that takes one declares it as a catalog.GameSetting (Setting).
type Template string

// placeholder matches {key} in a template.
var placeholder = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// adjacentPlaceholders matches two placeholders with nothing between.
var adjacentPlaceholders = regexp.MustCompile(`\{[a-z0-9_]+\}\{[a-z0-9_]+\}`)

// Check validates a template against a form: every placeholder must be a
// field, and every field must be used, or the supplier would be sent an
// order without something the buyer was asked for. The filled string
// must split back into the buyer's values: two placeholders need text
// between them ("{user_id}{server}" cannot tell 123|45 from 12|345), and
// a brace outside a placeholder is refused, since braces are how a
// placeholder is written.
func (t Template) Check(form []catalog.FormField) error {
	tmpl := string(t)
	if strings.TrimSpace(tmpl) == "" {
		return fmt.Errorf("empty template")
	}
	if err := printable.Line(tmpl); err != nil {
		return fmt.Errorf("template %w", err)
	}
	if loc := adjacentPlaceholders.FindStringIndex(tmpl); loc != nil {
		return fmt.Errorf("template puts %s with nothing between: a value could not be told from the next", tmpl[loc[0]:loc[1]])
	}
	if rest := placeholder.ReplaceAllString(tmpl, ""); strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("template has a { or } that is not part of a {field}")
	}
	used := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		used[m[1]] = true
	}
	var unknown, missing []string
	keys := map[string]bool{}
	for _, f := range form {
		keys[f.Key] = true
		if !used[f.Key] {
			missing = append(missing, f.Key)
		}
	}
	for k := range used {
		if !keys[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(unknown) > 0:
		return fmt.Errorf("template names %v, which the game form does not have", unknown)
	case len(missing) > 0:
		return fmt.Errorf("template leaves out %v, which the game form asks for", missing)
	}
	return nil
}

// Delimiters are the characters a value filling the template may not
// hold: its own text outside its placeholders ("(" and ")" in
// "{user_id}({server})") and the braces that write a placeholder. Values
// without them cannot change how the filled string splits back into its
// fields (Check makes sure text separates every two placeholders): a user
// id of "{server}|x" or a server of "2001)(9999" would send the supplier
// another player than the buyer named.
func (t Template) Delimiters() string {
	var b strings.Builder
	b.WriteString("{}")
	for _, r := range placeholder.ReplaceAllString(string(t), "") {
		if !strings.ContainsRune(b.String(), r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckValue says why v cannot fill a placeholder of the template: it
// holds one of its Delimiters. Nil if it can.
func (t Template) CheckValue(v string) error {
	delims := t.Delimiters()
	if i := strings.IndexAny(v, delims); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		return fmt.Errorf("must not contain %q: this game's order form reserves %s", r, quoteRunes(delims))
	}
	return nil
}

func quoteRunes(s string) string {
	var parts []string
	for _, r := range s {
		parts = append(parts, strconv.QuoteRune(r))
	}
	return strings.Join(parts, " ")
}

// Breaking returns the first placeholder whose value in values would
// change the template's shape (CheckValue), and why. Orders are checked
// when they are taken; this is the check at the point of sending, for a
// template changed since.
func (t Template) Breaking(values map[string]string) (key string, err error) {
	for _, m := range placeholder.FindAllStringSubmatch(string(t), -1) {
		if err := t.CheckValue(values[m[1]]); err != nil {
			return m[1], err
		}
	}
	return "", nil
}

// Fill fills the template with the buyer's values.
func (t Template) Fill(values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(string(t), func(m string) string {
		return values[m[1:len(m)-1]]
	})
}

// Blank returns the first placeholder that values leaves missing or
// blank: filling it would send the supplier half a target such as
// "12345678()".
func (t Template) Blank(values map[string]string) (key string, blank bool) {
	for _, m := range placeholder.FindAllStringSubmatch(string(t), -1) {
		if strings.TrimSpace(values[m[1]]) == "" {
			return m[1], true
		}
	}
	return "", false
}

// TemplateSetting is a template as a per-game setting of a supplier: key
// and label name it, def builds the template of a game that sets none,
// and a buyer's answer may hold none of the template's delimiters.
func TemplateSetting(key, label string, def func(form []catalog.FormField) Template) catalog.GameSetting {
	return catalog.GameSetting{
		Key:         key,
		Label:       label,
		Default:     func(form []catalog.FormField) string { return string(def(form)) },
		Check:       func(v string, form []catalog.FormField) error { return Template(v).Check(form) },
		CheckAnswer: func(v, answer string) error { return Template(v).CheckValue(answer) },
	}
}
