package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/syncd/syncd/internal/printable"
)

// The canonical order form of a game is what a storefront asks its buyer:
// one set of fields whatever supplier ends up fulfilling the order. Each
// supplier's own form must be buildable from it, or that supplier's offers
// are not eligible.

// FormField is one field of a game's canonical form.
type FormField struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"` // text | dropdown
	Options []Option `json:"options,omitempty"`
}

// fieldAliases maps the suppliers' many names for the same input to one
// canonical key. Senpay providers use id, uid, player_id, user_id for the
// account and server or zone for the server.
var fieldAliases = map[string]string{
	"id": "user_id", "uid": "user_id", "userid": "user_id", "playerid": "user_id",
	"gameid": "user_id", "akun": "user_id", "account": "user_id", "accountid": "user_id",
	"server": "server", "serverid": "server", "zone": "server", "zoneid": "server", "region": "server",
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// CanonicalKey maps a supplier's form key to the canonical form's key.
func CanonicalKey(supplierKey string) string {
	k := strings.ToLower(strings.TrimSpace(supplierKey))
	flat := nonAlnum.ReplaceAllString(k, "")
	if c, ok := fieldAliases[flat]; ok {
		return c
	}
	return strings.Trim(nonAlnum.ReplaceAllString(k, "_"), "_")
}

// defaultForm is the form of a game none of whose suppliers describes one
// (Isipay sends none): the buyer's account id.
var defaultForm = []FormField{{Key: "user_id", Label: "User ID", Type: "text"}}

// supplierForm is one supplier game's form as the canonical merge sees it.
type supplierForm struct {
	Supplier string
	GameCode string
	Fields   []Field
}

// mergeForms builds a game's canonical form from its suppliers' forms,
// taken in order (preferred supplier first). The first form to name a
// canonical key defines that field; a later form is compatible if each of
// its fields is the same kind of input (a dropdown's options must all
// exist in it). It returns the form and, per incompatible supplier game,
// why its offers cannot be ordered with that form.
func mergeForms(forms []supplierForm) ([]FormField, map[string]string) {
	var out []FormField
	index := map[string]int{}
	unfit := map[string]string{}
	for _, f := range forms {
		for _, field := range f.Fields {
			key := CanonicalKey(field.Key)
			if key == "" {
				unfit[f.Supplier+"/"+f.GameCode] = fmt.Sprintf("form field %q has no usable key", field.Key)
				break
			}
			i, seen := index[key]
			if !seen {
				index[key] = len(out)
				out = append(out, FormField{Key: key, Label: field.Label, Type: fieldType(field), Options: field.Options})
				continue
			}
			if why := compatible(out[i], field); why != "" {
				unfit[f.Supplier+"/"+f.GameCode] = why
			}
		}
	}
	if len(out) == 0 {
		out = slices.Clone(defaultForm)
	}
	return out, unfit
}

func fieldType(f Field) string {
	if strings.EqualFold(f.Type, "dropdown") || len(f.Options) > 0 {
		return "dropdown"
	}
	return "text"
}

// compatible says why a supplier field cannot be filled from the canonical
// one, or "" if it can.
func compatible(canon FormField, f Field) string {
	if fieldType(f) == "text" {
		return "" // any value the buyer gives is text
	}
	if canon.Type != "dropdown" {
		return fmt.Sprintf("field %s is a choice at this supplier but free text in the game form", canon.Key)
	}
	codes := map[string]bool{}
	for _, o := range f.Options {
		codes[o.Code] = true
	}
	for _, o := range canon.Options {
		if !codes[o.Code] {
			return fmt.Sprintf("field %s: option %q (%s) is not offered by this supplier", canon.Key, o.Name, o.Code)
		}
	}
	return ""
}

// placeholder matches {key} in an Isipay data template.
var placeholder = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// DefaultIsipayData is the template for Isipay's single "data" string when
// a game sets none: the user id, then the server in parentheses if the game
// has one ("12345678(2001)"), the convention of Indonesian top-up sites for
// Mobile Legends. Isipay's document does not say; a game whose supplier
// expects otherwise sets its own template.
func DefaultIsipayData(form []FormField) string {
	var b strings.Builder
	for i, f := range form {
		switch {
		case i == 0:
			fmt.Fprintf(&b, "{%s}", f.Key)
		case i == 1:
			fmt.Fprintf(&b, "({%s})", f.Key)
		default:
			fmt.Fprintf(&b, "|{%s}", f.Key)
		}
	}
	return b.String()
}

// CheckIsipayData validates a template against a form: every placeholder
// must be a field, and every field must be used, or the supplier would be
// sent an order without something the buyer was asked for. The filled
// string must split back into the buyer's values: two placeholders need
// text between them ("{user_id}{server}" cannot tell 123|45 from 12|345),
// and a brace outside a placeholder is refused, since braces are how a
// placeholder is written.
func CheckIsipayData(tmpl string, form []FormField) error {
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

// adjacentPlaceholders matches two placeholders with nothing between.
var adjacentPlaceholders = regexp.MustCompile(`\{[a-z0-9_]+\}\{[a-z0-9_]+\}`)

// TemplateDelimiters are the characters a value filling tmpl may not
// hold: the template's own text outside its placeholders ("(" and ")" in
// "{user_id}({server})") and the braces that write a placeholder. Values
// without them cannot change how the filled string splits back into its
// fields (CheckIsipayData makes sure text separates every two
// placeholders): a user id of "{server}|x" or a server of "2001)(9999"
// would send the supplier another player than the buyer named.
func TemplateDelimiters(tmpl string) string {
	var b strings.Builder
	b.WriteString("{}")
	for _, r := range placeholder.ReplaceAllString(tmpl, "") {
		if !strings.ContainsRune(b.String(), r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckTemplateValue says why v cannot fill a placeholder of tmpl: it
// holds one of TemplateDelimiters(tmpl). Nil if it can.
func CheckTemplateValue(tmpl, v string) error {
	delims := TemplateDelimiters(tmpl)
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

// BreakingIsipayValue returns the first placeholder of tmpl whose value
// in values would change the template's shape (CheckTemplateValue), and
// why. Orders are checked when they are taken; this is the check at the
// point of sending, for a template changed since.
func BreakingIsipayValue(tmpl string, values map[string]string) (key string, err error) {
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if err := CheckTemplateValue(tmpl, values[m[1]]); err != nil {
			return m[1], err
		}
	}
	return "", nil
}

// IsipayData fills a template with the buyer's values.
func IsipayData(tmpl string, values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		return values[m[1:len(m)-1]]
	})
}

// BlankIsipayValue returns the first placeholder of tmpl that values
// leaves missing or blank: filling it would send Isipay half a target
// such as "12345678()".
func BlankIsipayValue(tmpl string, values map[string]string) (key string, blank bool) {
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if strings.TrimSpace(values[m[1]]) == "" {
			return m[1], true
		}
	}
	return "", false
}

// SenpayFields maps the buyer's canonical values to a Senpay provider's
// own form keys.
func SenpayFields(fields []Field, values map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		out[f.Key] = values[CanonicalKey(f.Key)]
	}
	return out
}
