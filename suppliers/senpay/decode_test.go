package senpay

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/offers"
)

// wantDecodeErr checks how a decoder refused a body: a *statusError with the
// given message when msg is not empty, otherwise an unreadable reply.
func wantDecodeErr(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	var se *statusError
	switch {
	case msg == "" && errors.As(err, &se):
		t.Errorf("got status error %v, want an unreadable-reply error", err)
	case msg != "" && !errors.As(err, &se):
		t.Errorf("got %v, want a status error with message %q", err, msg)
	case msg != "" && !strings.Contains(se.Message, msg):
		t.Errorf("got message %q, want %q", se.Message, msg)
	}
}

func TestDecodeProviders(t *testing.T) {
	t.Run("doc example", func(t *testing.T) {
		ps, err := decodeProviders(recorded(t, "providers.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 {
			t.Fatalf("got %d providers, want 2", len(ps))
		}
		akv := ps[0]
		if akv.ID != "9" || akv.Code != "AKV-BJ" || !akv.Active || akv.IconURL != "https://senpay.id/images/provider/1717861533U2HAY5jfw1.png" {
			t.Errorf("got %+v", akv)
		}
		want := []offers.Field{
			{Key: "id", Label: "UID", Type: "text"},
			{Key: "server", Label: "Sever List/Server ID", Type: "dropdown", Options: []offers.Option{
				{Name: "AMERICAS", Code: "10040400"}, {Name: "KR / JP / TW", Code: "10040300"}, {Name: "SEA / OCE", Code: "10040200"}}},
		}
		if got := akv.Form; !sameForm(got, want) {
			t.Errorf("got form %+v, want %+v", got, want)
		}
		if got := ps[1].Form; len(got) != 2 || got[0].Key != "player_id" || got[1].Options != nil {
			t.Errorf("got form %+v, want player_id and server text fields", got)
		}
	})
	t.Run("quirks", func(t *testing.T) {
		ps, err := decodeProviders(recorded(t, "providers_quirks.json"))
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			code    string
			id      string
			active  bool
			nFields int
		}{
			{"AKV-BJ", "9", true, 2},     // status, id and active as strings
			{"ABM22-RCF", "6", false, 0}, // active false, forms null
			{"RXNG-BJ", "7", false, 0},   // active "0"
			{"HOK-BJ", "8", false, 1},    // active missing: not on sale
		}
		if len(ps) != len(tests) {
			t.Fatalf("got %d providers, want %d", len(ps), len(tests))
		}
		for i, tt := range tests {
			p := ps[i]
			if p.Code != tt.code || p.ID != tt.id || p.Active != tt.active || len(p.Form) != tt.nFields {
				t.Errorf("provider %d: got %s id=%s active=%v fields=%d, want %s id=%s active=%v fields=%d",
					i, p.Code, p.ID, p.Active, len(p.Form), tt.code, tt.id, tt.active, tt.nFields)
			}
		}
		if got := ps[0].Form[1].Options[0].Code; got != "10040400" {
			t.Errorf("numeric option code: got %q, want %q", got, "10040400")
		}
	})
	refused := []struct{ file, msg string }{
		{"providers_doc_verbatim.txt", ""}, // comments and a trailing comma
		{"invalid_api_key.json", "Invalid API Key"},
		{"message_object.json", "The id field is required."},
		{"html_error.html", ""},
		{"empty.txt", ""},
		{"truncated.json", ""},
		{"data_wrong_shape.json", ""},
		{"data_null.json", ""},
		{"no_status.json", ""},
		{"laravel_500.json", ""},
	}
	for _, tt := range refused {
		t.Run(tt.file, func(t *testing.T) {
			_, err := decodeProviders(recorded(t, tt.file))
			wantDecodeErr(t, err, tt.msg)
		})
	}
}

func sameForm(a, b []offers.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Label != b[i].Label || a[i].Type != b[i].Type || len(a[i].Options) != len(b[i].Options) {
			return false
		}
		for j := range a[i].Options {
			if a[i].Options[j] != b[i].Options[j] {
				return false
			}
		}
	}
	return true
}

func TestDecodeProducts(t *testing.T) {
	tests := []struct {
		file string
		want []Product // Code, Active, Price, PriceRaw, ProviderCode compared
	}{
		{"products.json", []Product{
			{Code: "FFMAX-BJ-V3FFMAX_ID_10", Active: true, Price: dec("1864"), PriceRaw: "1864", ProviderCode: "FFMAX-BJ-V3"},
			{Code: "FFMAX-BJ-V3FFMAX_ID_100", Active: true, Price: dec("14882"), PriceRaw: "14882", ProviderCode: "FFMAX-BJ-V3"},
			{Code: "FFMAX-BJ-V3FFMAX_ID_1000", Active: true, Price: dec("130180"), PriceRaw: "130180", ProviderCode: "FFMAX-BJ-V3"},
		}},
		{"products_quirks.json", []Product{
			{Code: "FFMAX-BJ-V3FFMAX_ID_10", Active: true, Price: dec("1864.5"), PriceRaw: "1864.50", ProviderCode: "FFMAX-BJ-V3"},
			{Code: "FFMAX-BJ-V3FFMAX_ID_100", Active: true, Price: dec("14882"), PriceRaw: "14882", ProviderCode: "FFMAX-BJ-V3"},
			{Code: "FFMAX-BJ-V3FFMAX_ID_1000", Active: false, Price: dec("130180"), PriceRaw: "130180.0", ProviderCode: "FFMAX-BJ-V3"},
			{Code: "FFMAX-BJ-V3FFMAX_ID_140", Active: false, Price: dec("18610"), PriceRaw: "18610", ProviderCode: ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeProducts(recorded(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d products, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Code != w.Code || g.Active != w.Active || !g.Price.Equal(w.Price) || g.PriceRaw != w.PriceRaw || g.ProviderCode != w.ProviderCode {
					t.Errorf("product %d: got %s active=%v price=%s raw=%q provider=%q, want %s active=%v price=%s raw=%q provider=%q",
						i, g.Code, g.Active, g.Price, g.PriceRaw, g.ProviderCode, w.Code, w.Active, w.Price, w.PriceRaw, w.ProviderCode)
				}
			}
		})
	}
	refused := []struct{ file, msg string }{
		{"products_doc_verbatim.txt", ""},
		{"status_string_400.json", "Produk sedang tidak aktif"},
		{"price_negative.json", ""},
		{"price_absurd.json", ""},
		{"price_thousands_separator.json", ""}, // "130.180" could be 130180 or 130.18
		{"products_duplicate.json", ""},
		{"products_missing_code.json", ""},
		{"products_missing_price.json", ""},
		{"data_wrong_shape.json", ""},
		{"html_error.html", ""},
		{"truncated.json", ""},
	}
	for _, tt := range refused {
		t.Run(tt.file, func(t *testing.T) {
			_, err := decodeProducts(recorded(t, tt.file))
			wantDecodeErr(t, err, tt.msg)
		})
	}
}

func TestDecodeProduct(t *testing.T) {
	p, err := decodeProduct(recorded(t, "product.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "472" || p.Code != "FFMAX-BJ-V3FFMAX_ID_140" || p.Name != "140 Diamonds" || !p.Active ||
		!p.Price.Equal(dec("18610")) || p.ProviderCode != "FFMAX-BJ-V3" || p.ProviderName != "Free Fire MAX [PROMO TERMURAH] V3" {
		t.Errorf("got %+v", p)
	}
	_, err = decodeProduct(recorded(t, "product_not_found.json"))
	wantDecodeErr(t, err, "Produk tidak ditemukan")
	_, err = decodeProduct(recorded(t, "products.json")) // a list where an object belongs
	wantDecodeErr(t, err, "")
}

func TestDecodeTransaction(t *testing.T) {
	created, err := decodeTransaction(recorded(t, "create_success.json"))
	if err != nil {
		t.Fatal(err)
	}
	if created.Reference != "TRX24070385294000934" || created.PartnerReference != "INV12345678" ||
		created.Status != StatusProcessing || !created.Price.Equal(dec("1425")) || created.Final() ||
		created.InvoiceURL != "https://senpay.id/trx/TRX24070385294000934" || created.Product != "5 (5+0) Diamonds" {
		t.Errorf("create: got %+v", created)
	}

	st, err := decodeTransaction(recorded(t, "status_success.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantAt := time.Date(2024, 7, 2, 13, 9, 8, 0, time.UTC)
	if st.Status != StatusSuccess || !st.Final() || st.SN != "N/A" || !st.StatusAt.Equal(wantAt) || !st.WebhookSent ||
		st.PriceRaw != "" || st.Note != "Transaksi berhasil pada 2024/07/02 20:11:27 WIB" {
		t.Errorf("status: got %+v", st)
	}

	// An undocumented status is passed on for the router to judge; loose
	// informational fields do not make the status unreadable.
	odd, err := decodeTransaction(recorded(t, "status_unknown_value.json"))
	if err != nil {
		t.Fatal(err)
	}
	if odd.Status != "pending_review" || odd.Final() || odd.SN != "8830012345" || !odd.StatusAt.IsZero() || odd.WebhookSent {
		t.Errorf("odd status: got %+v", odd)
	}

	refused := []struct{ file, msg string }{
		{"create_fail.json", "Produk sedang tidak aktif"},
		{"status_fail.json", "Transaksi tidak ditemukan"},
		{"create_no_status.json", ""},
		{"html_error.html", ""},
		{"empty.txt", ""},
	}
	for _, tt := range refused {
		t.Run(tt.file, func(t *testing.T) {
			_, err := decodeTransaction(recorded(t, tt.file))
			wantDecodeErr(t, err, tt.msg)
		})
	}
}

// PHP may prefix a byte-order mark; it is not a reason to fail a sync.
func TestDecodeSkipsBOM(t *testing.T) {
	body := append([]byte("\xef\xbb\xbf"), recorded(t, "products.json")...)
	ps, err := decodeProducts(body)
	if err != nil || len(ps) != 3 {
		t.Fatalf("got %d products, %v; want 3, nil", len(ps), err)
	}
}
