package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/syncd/syncd/offers"
)

// The canonical order form of a game is what a storefront asks its buyer:
// one set of fields whatever supplier ends up fulfilling the order. Each
// supplier's own form must be buildable from it, or that supplier's offers
// are not eligible.

// FormField is one field of a game's canonical form.
type FormField struct {
	Key     string          `json:"key"`
	Label   string          `json:"label"`
	Type    string          `json:"type"` // text | dropdown
	Options []offers.Option `json:"options,omitempty"`
}

// fieldAliases maps the suppliers' many names for the same input to one
// canonical key: one supplier's games say id, uid, player_id or user_id
// for the account and server or zone for the server.
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
// (some send none): the buyer's account id.
var defaultForm = []FormField{{Key: "user_id", Label: "User ID", Type: "text"}}

// supplierForm is one supplier game's form as the canonical merge sees it.
type supplierForm struct {
	Supplier string
	GameCode string
	Fields   []offers.Field
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

func fieldType(f offers.Field) string {
	if strings.EqualFold(f.Type, "dropdown") || len(f.Options) > 0 {
		return "dropdown"
	}
	return "text"
}

// compatible says why a supplier field cannot be filled from the canonical
// one, or "" if it can.
func compatible(canon FormField, f offers.Field) string {
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
