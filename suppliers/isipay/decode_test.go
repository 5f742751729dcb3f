package isipay

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

const recordedDir = "../../testdata/isipay/recorded"

func recorded(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recordedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outcome sums up a decoder's error: "ok", "refused <code>" or "bad".
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var re *replyError
	if !errors.As(err, &re) {
		return "not a replyError: " + err.Error()
	}
	if re.err == nil {
		return "refused " + strconv.Itoa(re.code)
	}
	return "bad"
}

func TestOpenEnvelope(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"documented success", `{"error":false,"code":200,"message":"Success","data":1}`, "ok"},
		{"flags as strings", `{"error":"false","code":"200"}`, "ok"},
		{"error as 0", `{"error":0,"code":200}`, "ok"},
		{"code alone", `{"code":200}`, "ok"},
		{"error flag alone", `{"error":false}`, "ok"},
		{"surrounding whitespace", " \n{\"error\":false,\"code\":200}\n", "ok"},
		{"refusal", `{"error":true,"code":400,"message":"Saldo tidak mencukupi"}`, "refused 400"},
		{"refusal without code", `{"error":"true","message":"Gagal"}`, "refused 0"},
		{"error as 1, code as string", `{"error":1,"code":"400"}`, "refused 400"},
		{"failing code without error flag", `{"error":false,"code":500,"message":"Server Error"}`, "refused 500"},
		{"failing code alone", `{"code":404}`, "refused 404"},
		{"validation message object", `{"error":true,"code":422,"message":{"data":["required"]}}`, "refused 422"},
		{"error true with code 200", `{"error":true,"code":200}`, "bad"},
		{"error true with code 201", `{"error":true,"code":201}`, "bad"},
		{"created without error flag", `{"error":false,"code":201}`, "bad"},
		{"redirect code", `{"code":302}`, "bad"},
		{"empty object", `{}`, "bad"},
		{"null", `null`, "bad"},
		{"list", `[]`, "bad"},
		{"html", `<!DOCTYPE html><html></html>`, "bad"},
		{"empty", ``, "bad"},
		{"whitespace", " \n\t", "bad"},
		{"truncated", `{"error":false,"code":200,"data":[`, "bad"},
		{"flag not a flag", `{"error":"maybe","code":200}`, "bad"},
		{"code not a number", `{"error":false,"code":"OK"}`, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := open([]byte(tt.body))
			if got := outcome(err); got != tt.want {
				t.Errorf("open(%s): got %s, want %s (err %v)", tt.body, got, tt.want, err)
			}
		})
	}
}

func TestRefusalMessageIsBoundedText(t *testing.T) {
	_, err := open(recorded(t, "order-validation-object.json"))
	var re *replyError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a replyError", err)
	}
	if !strings.Contains(re.message, "The data field is required.") {
		t.Errorf("message: got %q, want the validation text", re.message)
	}
	_, err = open([]byte(`{"error":true,"code":400,"message":"` + strings.Repeat("x", 5000) + `"}`))
	if errors.As(err, &re); len(re.message) > 300 {
		t.Errorf("message length: got %d, want at most 300", len(re.message))
	}
}

func TestDecodeBalance(t *testing.T) {
	acc, err := decodeBalance(recorded(t, "balance.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Account{Name: "Bangirul Store", Email: "bangirulofficial@gmail.com", Phone: "6285787668876", Membership: "Gold"}
	if acc.Name != want.Name || acc.Email != want.Email || acc.Phone != want.Phone || acc.Membership != want.Membership || !acc.Balance.IsZero() {
		t.Errorf("got %+v, want %+v with balance 0", acc, want)
	}

	acc, err = decodeBalance(recorded(t, "balance-quirks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Balance.Equal(decimal.RequireFromString("1250000.50")) || acc.Phone != "6285787668876" {
		t.Errorf("quirks: got balance %s phone %q, want 1250000.50 and 6285787668876", acc.Balance, acc.Phone)
	}

	for _, body := range []string{
		`{"error":false,"code":200,"data":{"name":"x"}}`,                   // no balance
		`{"error":false,"code":200,"data":{"balance":"1.250.000"}}`,        // grouping
		`{"error":false,"code":200,"data":{"balance":"1.250"}}`,            // grouping
		`{"error":false,"code":200,"data":[{"balance":0}]}`,                // wrong shape
		`{"error":false,"code":200,"data":{"balance":{"amount":0}}}`,       // wrong type
		`{"error":false,"code":200,"message":"Success","data":null}`,       // no account
		`{"error":false,"code":200,"message":"Success","data":"Rp 1.000"}`, // a string
	} {
		if _, err := decodeBalance([]byte(body)); outcome(err) != "bad" {
			t.Errorf("decodeBalance(%s): got %s, want bad", body, outcome(err))
		}
	}
}

func TestDecodeProducts(t *testing.T) {
	ps, err := decodeProducts(recorded(t, "product.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0] != (Product{Code: "mobile-legends", Name: "Mobile Legends", Active: true}) {
		t.Errorf("doc example: got %+v", ps)
	}

	ps, err = decodeProducts(recorded(t, "product-quirks.json"))
	if err != nil {
		t.Fatal(err)
	}
	// is_active as true, 1, "active", "inactive", 0, and missing (inactive).
	want := []Product{
		{"mobile-legends", "Mobile Legends", true},
		{"free-fire", "Free Fire", true},
		{"genshin-impact", "Genshin Impact", true},
		{"call-of-duty-mobile", "Call of Duty Mobile", false},
		{"point-blank", "Point Blank", false},
		{"lords-mobile", "Lords Mobile", false},
	}
	if len(ps) != len(want) {
		t.Fatalf("quirks: got %d products, want %d", len(ps), len(want))
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("quirks[%d]: got %+v, want %+v", i, ps[i], want[i])
		}
	}

	tests := []struct{ name, body, want string }{
		{"empty list", `{"error":false,"code":200,"data":[]}`, "ok"},
		{"null list", `{"error":false,"code":200,"data":null}`, "ok"},
		{"object instead of list", string(recorded(t, "product-data-object.json")), "bad"},
		{"string instead of list", `{"error":false,"code":200,"data":"none"}`, "bad"},
		{"empty code", `{"error":false,"code":200,"data":[{"code":"","name":"X","is_active":true}]}`, "bad"},
		{"blank code", `{"error":false,"code":200,"data":[{"code":"  ","name":"X","is_active":true}]}`, "bad"},
		{"missing code", `{"error":false,"code":200,"data":[{"name":"X","is_active":true}]}`, "bad"},
		{"control character", `{"error":false,"code":200,"data":[{"code":"a\u0000b","is_active":true}]}`, "bad"},
		{"absurd length", `{"error":false,"code":200,"data":[{"code":"` + strings.Repeat("a", 200) + `"}]}`, "bad"},
		{"duplicate", `{"error":false,"code":200,"data":[{"code":"ff","is_active":true},{"code":"ff","is_active":false}]}`, "bad"},
		{"null element", `{"error":false,"code":200,"data":[null]}`, "bad"},
		{"flag not a flag", `{"error":false,"code":200,"data":[{"code":"ff","is_active":"maybe"}]}`, "bad"},
		{"numeric code", `{"error":false,"code":200,"data":[{"code":10040400,"is_active":true}]}`, "ok"},
		{"truncated", string(recorded(t, "truncated.json")), "bad"},
		{"html", string(recorded(t, "html-error.html")), "bad"},
		{"empty body", string(recorded(t, "empty.json")), "bad"},
		{"error in a 200", string(recorded(t, "error-in-200.json")), "refused 500"},
		{"contradictory", string(recorded(t, "error-contradictory.json")), "bad"},
		{"unauthorized", string(recorded(t, "unauthorized.json")), "refused 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeProducts([]byte(tt.body))
			if got := outcome(err); got != tt.want {
				t.Errorf("got %s, want %s (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestDecodeVariants(t *testing.T) {
	vs, err := decodeVariants(recorded(t, "variant.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("doc example: got %d variants, want 1", len(vs))
	}
	v := vs[0]
	if v.ID != "4090" || v.Code != "MLBB_ID_5" || v.Name != "5 (5+0) Diamonds" || !v.Active ||
		!v.Price.Equal(decimal.NewFromInt(1389)) || v.PriceRaw != "1389" || v.ProcessDuration != "0" {
		t.Errorf("doc example: got %+v", v)
	}

	vs, err = decodeVariants(recorded(t, "variant-quirks.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, code  string
		active    bool
		price, pd string
	}{
		{"4090", "MLBB_ID_5", true, "1389", "0"},
		{"4094", "MLBB_ID_86", true, "20350", "0"},       // id, price as strings; pd a number
		{"4105", "MLBB_ID_WDP", true, "27780.5", "10"},   // fractional price; is_active 1
		{"4103", "MLBB_ID_3688", false, "813450.00", ""}, // "inactive"; pd null
		{"4106", "MLBB_ID_WDP2", false, "55560", ""},     // false; pd absent; unknown field
	}
	if len(vs) != len(want) {
		t.Fatalf("quirks: got %d variants, want %d", len(vs), len(want))
	}
	for i, w := range want {
		v := vs[i]
		if v.ID != w.id || v.Code != w.code || v.Active != w.active || v.PriceRaw != w.price ||
			!v.Price.Equal(decimal.RequireFromString(w.price)) || v.ProcessDuration != w.pd {
			t.Errorf("quirks[%d]: got %+v, want %+v", i, v, w)
		}
	}

	tests := []struct{ file, want string }{
		{"variant-negative-price.json", "bad"},
		{"variant-absurd-price.json", "bad"},
		{"variant-duplicate-code.json", "bad"},
		{"variant-empty-code.json", "bad"},
		{"variant-missing-price.json", "bad"},
		{"variant-price-text.json", "bad"},
		{"product-data-object.json", "bad"},
		{"truncated.json", "bad"},
		{"html-error.html", "bad"},
		{"empty.json", "bad"},
		{"error-in-200.json", "refused 500"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := decodeVariants(recorded(t, tt.file))
			if got := outcome(err); got != tt.want {
				t.Errorf("got %s, want %s (err %v)", got, tt.want, err)
			}
		})
	}

	for _, body := range []string{
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":"1.389"}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":"1,389"}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":null}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":100000001}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":"-0.5"}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":1,"processDuration":{}}]}`,
	} {
		if _, err := decodeVariants([]byte(body)); outcome(err) != "bad" {
			t.Errorf("decodeVariants(%s): got %s, want bad", body, outcome(err))
		}
	}
	// At the limits: zero and MaxPrice are believed.
	body := `{"error":false,"code":200,"data":[{"code":"A","is_active":"active","price":0},{"code":"B","is_active":"active","price":"100000000"}]}`
	if _, err := decodeVariants([]byte(body)); err != nil {
		t.Errorf("limits: got %v, want ok", err)
	}
}

func TestDecodeOrder(t *testing.T) {
	o, err := decodeOrder(recorded(t, "order.json"))
	if err != nil || o.InvoiceNumber != "RZ-RAPIXXXXXXXXX" {
		t.Fatalf("doc example: got %+v, %v", o, err)
	}
	tests := []struct{ file, want string }{
		{"order-no-invoice.json", "bad"},
		{"order-null-data.json", "bad"},
		{"order-insufficient-balance.json", "refused 400"},
		{"order-duplicate-reference.json", "refused 400"},
		{"order-conflict.json", "refused 409"},
		{"order-validation-object.json", "refused 422"},
		{"truncated.json", "bad"},
		{"empty.json", "bad"},
	}
	for _, tt := range tests {
		if _, err := decodeOrder(recorded(t, tt.file)); outcome(err) != tt.want {
			t.Errorf("%s: got %s, want %s (err %v)", tt.file, outcome(err), tt.want, err)
		}
	}
	if _, err := decodeOrder([]byte(`{"error":false,"code":200,"data":{"invoiceNumber":" "}}`)); outcome(err) != "bad" {
		t.Errorf("blank invoice: got %s, want bad", outcome(err))
	}
}

func TestDecodeOrderStatus(t *testing.T) {
	st, err := decodeOrderStatus(recorded(t, "status-order.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := OrderStatus{InvoiceNumber: "RZ-RAPIXXXXXXXXX", ProductName: "string", UserData: "string", StatusCode: StatusSuccess}
	if *st != want {
		t.Errorf("doc example: got %+v, want %+v", *st, want)
	}
	st, err = decodeOrderStatus(recorded(t, "status-order-pending.json"))
	if err != nil || st.StatusCode != "Pending" || st.UserData != "12345678(1234)" {
		t.Errorf("pending: got %+v, %v", st, err)
	}
	// Unknown status values pass through untouched for the router to map.
	st, err = decodeOrderStatus([]byte(`{"error":false,"code":200,"data":{"invoiceNumber":"RZ-RAPI1","statusCode":"Refund"}}`))
	if err != nil || st.StatusCode != "Refund" {
		t.Errorf("unknown status: got %+v, %v", st, err)
	}
	for _, body := range []string{
		`{"error":false,"code":200,"data":{"invoiceNumber":"RZ-RAPI1"}}`,
		`{"error":false,"code":200,"data":{"statusCode":"Success"}}`,
		`{"error":false,"code":200,"data":[]}`,
		string(recorded(t, "order.json")),
	} {
		if _, err := decodeOrderStatus([]byte(body)); outcome(err) != "bad" {
			t.Errorf("decodeOrderStatus(%s): got %s, want bad", body, outcome(err))
		}
	}
	if _, err := decodeOrderStatus(recorded(t, "status-order-not-found.json")); outcome(err) != "refused 404" {
		t.Errorf("not found: got %s, want refused 404", outcome(err))
	}
}
