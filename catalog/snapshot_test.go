package catalog

import (
	"encoding/json"
	"testing"
)

func FuzzAppendItemMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"86 (78+8) Diamonds", `quote " and \ back`, "tab\there", "<b>&</b>", "é ü 中", "\u2028", "\xff bad utf8", ""} {
		f.Add(s, int64(19500), true)
	}
	f.Fuzz(func(t *testing.T, name string, price int64, available bool) {
		v := ItemView{ID: "mobile-legends/" + name, Game: "mobile-legends", Name: name, Currency: Currency, Available: available}
		if available {
			v.Price = &price
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendItem(nil, v); string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
