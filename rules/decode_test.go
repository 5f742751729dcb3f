package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/strictjson/strictjsontest"
)

// contractExample is the rule of DESIGN.md, "Margin rules (contract)".
const contractExample = `{
  "id": "assigned by server", "version": 3,
  "name": "MLBB +7% for members", "enabled": true, "note": "why this rule exists",
  "match": {"game": "mobile-legends", "item": null, "supplier": null, "tier": "member"},
  "action": {"kind": "markup_percent", "value": "7", "plus": 0},
  "round": {"step": 100, "mode": "up", "ending": 0},
  "guard": {"min_margin_percent": "2", "min_margin_amount": 100, "max_price": null},
  "valid_from": "2026-12-01T00:00:00Z", "valid_until": null,
  "priority": null
}`

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestDecodeContractExample(t *testing.T) {
	got, err := Decode([]byte(contractExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := Rule{
		ID: "assigned by server", Version: 3, Name: "MLBB +7% for members", Enabled: true,
		Note:      "why this rule exists",
		Match:     Match{Game: "mobile-legends", Tier: "member"},
		Action:    Action{Kind: MarkupPercent, Value: dec("7")},
		Round:     &Round{Step: dec("100"), Mode: Up},
		Guard:     &Guard{MinMarginPercent: dec("2"), MinMarginAmount: dec("100")},
		ValidFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}
	if !got.Equal(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestEncodeContractShape(t *testing.T) {
	r, err := Decode([]byte(contractExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got, err := Encode(r)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(contractExample)); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want.String())
	}
	// Inside another document too, through MarshalJSON.
	outer, err := json.Marshal(struct{ Rule Rule }{r})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !strings.Contains(string(outer), `"value":"7","plus":0`) {
		t.Fatalf("got %s, want the contract's action inside", outer)
	}
}

func TestEncodeUnsetAsNull(t *testing.T) {
	max := dec("50000")
	prio := int64(-2)
	r := Rule{
		Name: "n", Enabled: false,
		Match:      Match{Item: "ff.diamonds-70"},
		Action:     Action{Kind: MarginPercent, Value: dec("12.50"), Plus: dec("250")},
		Guard:      &Guard{MaxPrice: &max},
		ValidUntil: time.Date(2027, 1, 1, 7, 0, 0, 0, time.FixedZone("WIB", 7*3600)),
		Priority:   &prio,
	}
	got, err := Encode(r)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	want := `{"id":null,"version":0,"name":"n","enabled":false,"note":"",` +
		`"match":{"game":null,"item":"ff.diamonds-70","supplier":null,"tier":null},` +
		`"action":{"kind":"margin_percent","value":"12.5","plus":250},"round":null,` +
		`"guard":{"min_margin_percent":"0","min_margin_amount":0,"max_price":50000},` +
		`"valid_from":null,"valid_until":"2027-01-01T00:00:00Z","priority":-2}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := Decode(got)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !back.Equal(r) {
		t.Fatalf("round trip: got %+v, want %+v", back, r)
	}
}

func TestDecodeDefaults(t *testing.T) {
	got, err := Decode([]byte(`{"name":"n","action":{"kind":"cost_plus","value":"500"},"round":{"step":1000}}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !got.Enabled {
		t.Errorf("enabled: got false, want true when absent")
	}
	if got.Round == nil || got.Round.Mode != Up || !got.Round.Ending.IsZero() {
		t.Errorf("round: got %+v, want mode up, ending 0", got.Round)
	}
	if got.Guard != nil || got.Priority != nil || !got.ValidFrom.IsZero() {
		t.Errorf("got guard %v, priority %v, valid_from %v; want all unset", got.Guard, got.Priority, got.ValidFrom)
	}
}

func TestDecodeTimesInUTC(t *testing.T) {
	got, err := Decode([]byte(`{"name":"n","action":{"kind":"markup_percent","value":"1"},"valid_from":"2026-12-01T07:00:00+07:00"}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); got.ValidFrom != want {
		t.Fatalf("got %v, want %v", got.ValidFrom, want)
	}
}

func TestDecodeRefusesMalformed(t *testing.T) {
	const action = `"action":{"kind":"markup_percent","value":"7"}`
	tests := []struct {
		name, in, field string
	}{
		{"unknown top-level member", `{"name":"n",` + action + `,"prio":1}`, "prio"},
		{"unknown member in match", `{"name":"n",` + action + `,"match":{"games":"x"}}`, "match.games"},
		{"unknown member in action", `{"name":"n","action":{"kind":"markup_percent","value":"7","plsu":1}}`, "action.plsu"},
		{"unknown member in round", `{"name":"n",` + action + `,"round":{"step":100,"rounding":"up"}}`, "round.rounding"},
		{"unknown member in guard", `{"name":"n",` + action + `,"guard":{"max":1}}`, "guard.max"},
		{"member in another case", `{"Name":"n",` + action + `}`, "Name"},
		{"repeated member", `{"name":"n",` + action + `,"name":"m"}`, "name"},
		{"repeated member, escaped", `{"name":"n",` + action + `,"n\u0061me":"m"}`, "name"},
		{"repeated member in another case", `{"name":"n",` + action + `,"NAME":"m"}`, "NAME"},
		{"repeated member in match", `{"name":"n",` + action + `,"match":{"game":"a","game":"b"}}`, "match.game"},
		// One pass: the first fault met is the one named, here the unknown member.
		{"repeated member inside an unknown one", `{"name":"n",` + action + `,"x":{"y":1,"y":2}}`, "x"},
		{"value as a number", `{"name":"n","action":{"kind":"markup_percent","value":7}}`, "action.value"},
		{"value as a float", `{"name":"n","action":{"kind":"markup_percent","value":7.5}}`, "action.value"},
		{"min margin percent as a number", `{"name":"n",` + action + `,"guard":{"min_margin_percent":2}}`, "guard.min_margin_percent"},
		{"value with exponent", `{"name":"n","action":{"kind":"markup_percent","value":"1e2"}}`, "action.value"},
		{"value not a number", `{"name":"n","action":{"kind":"markup_percent","value":"seven"}}`, "action.value"},
		{"plus as a string", `{"name":"n","action":{"kind":"markup_percent","value":"7","plus":"100"}}`, "action.plus"},
		{"plus with a fraction", `{"name":"n","action":{"kind":"markup_percent","value":"7","plus":100.5}}`, "action.plus"},
		{"step with exponent", `{"name":"n",` + action + `,"round":{"step":1e3}}`, "round.step"},
		{"amount too large", `{"name":"n",` + action + `,"guard":{"max_price":12345678901234567890}}`, "guard.max_price"},
		{"name as a number", `{"name":1,` + action + `}`, "name"},
		{"enabled as a string", `{"name":"n","enabled":"yes",` + action + `}`, "enabled"},
		{"match as an array", `{"name":"n",` + action + `,"match":[]}`, "match"},
		{"tier as an object", `{"name":"n",` + action + `,"match":{"tier":{}}}`, "match.tier"},
		{"priority with a fraction", `{"name":"n",` + action + `,"priority":1.5}`, "priority"},
		{"date without zone", `{"name":"n",` + action + `,"valid_from":"2026-12-01T00:00:00"}`, "valid_from"},
		{"date only", `{"name":"n",` + action + `,"valid_from":"2026-12-01"}`, "valid_from"},
		{"impossible date", `{"name":"n",` + action + `,"valid_until":"2026-02-30T00:00:00Z"}`, "valid_until"},
		{"date as a number", `{"name":"n",` + action + `,"valid_until":1767225600}`, "valid_until"},
		{"trailing object", `{"name":"n",` + action + `} {}`, ""},
		{"trailing garbage", `{"name":"n",` + action + `}x`, ""},
		{"empty", ``, ""},
		{"blank", " \n\t", ""},
		{"not an object", `[]`, ""},
		{"null", `null`, ""},
		{"truncated", `{"name":"n",`, ""},
		{"trailing comma", `{"name":"n",` + action + `,}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError", err)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("got %v, want it to match ErrMalformed", err)
			}
			if de.Field != tt.field {
				t.Errorf("got field %q, want %q (%v)", de.Field, tt.field, err)
			}
		})
	}
}

func TestDecodeReportsMissingAsValidation(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // fields
	}{
		{"no action", `{"name":"n"}`, []string{"action", "action.kind"}},
		{"no value", `{"name":"n","action":{"kind":"markup_percent"}}`, []string{"action.value"}},
		{"null value", `{"name":"n","action":{"kind":"markup_percent","value":null}}`, []string{"action.value"}},
		{"round without step", `{"name":"n","action":{"kind":"markup_percent","value":"1"},"round":{"mode":"up"}}`, []string{"round.step"}},
		{"empty game", `{"name":"n","action":{"kind":"markup_percent","value":"1"},"match":{"game":""}}`, []string{"match.game"}},
		{"zero time", `{"name":"n","action":{"kind":"markup_percent","value":"1"},"valid_from":"0001-01-01T00:00:00Z"}`, []string{"valid_from"}},
		{"also what Validate finds", `{"name":"","action":{"kind":"markup_percent"}}`, []string{"action.value", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			fields := fault.FieldsOf(err)
			if fields == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want a validation error (ErrInvalid)", err)
			}
			for _, f := range tt.want {
				if _, ok := fields[f]; !ok {
					t.Errorf("got fields %v, want %q among them", fields, f)
				}
			}
			if len(fields) != len(tt.want) {
				t.Errorf("got fields %v, want exactly %v", fields, tt.want)
			}
		})
	}
}

func TestUnmarshalJSONIsStrict(t *testing.T) {
	var v struct{ Rule Rule }
	err := json.Unmarshal([]byte(`{"Rule":{"name":"n","action":{"kind":"markup_percent","value":7}}}`), &v)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
	if err := json.Unmarshal([]byte(`{"Rule":`+contractExample+`}`), &v); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if v.Rule.Name != "MLBB +7% for members" {
		t.Fatalf("got name %q, want the example's", v.Rule.Name)
	}
}

// FuzzDecode: Decode never panics; a rule it accepts, with any one member
// repeated, is refused as a repeated member; and a rule it accepts and
// Validate passes is one pricing accepts and encodes to JSON that decodes
// to an equal rule.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(contractExample))
	f.Add([]byte(`{"name":"n","action":{"kind":"fixed_price","value":"15000"},"guard":{"max_price":20000},"priority":-3}`))
	f.Add([]byte(`{"name":"x","action":{"kind":"margin_percent","value":"12.75","plus":100},"match":{"item":"ff.d-70","supplier":"senpay"},"valid_until":"2027-01-01T00:00:00.5+07:00"}`))
	f.Add([]byte(`{"name":"n","action":{"kind":"markup_percent","value":7}}`))
	f.Add([]byte(`{"name":"\u00e9\ud800","round":{"step":100,"mode":"nearest","ending":99}}`))
	f.Add([]byte(`{} []`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) && fault.FieldsOf(err) == nil {
				t.Fatalf("got %T %v, want a *DecodeError or a validation error", err, err)
			}
			return
		}
		if again, path, ok := strictjsontest.WithRepeat(data, uint(len(data))); ok {
			_, err := Decode(again)
			var de *DecodeError
			if !errors.As(err, &de) || de.Field != path || !errors.Is(err, ErrRepeated) {
				t.Fatalf("%s, with %q repeated: got %v, want a repeated member", again, path, err)
			}
		}
		if r.Validate() != nil {
			return
		}
		if err := pricingErr(r); err != nil {
			t.Fatalf("pricing refuses a valid rule %+v: %v", r, err)
		}
		enc, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", r, err)
		}
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(%s): %v", enc, err)
		}
		if !back.Equal(r) {
			t.Fatalf("round trip of %s: got %+v, want %+v", enc, back, r)
		}
	})
}
