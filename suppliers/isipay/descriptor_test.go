package isipay

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/suppliers"
)

// TestDescriptorDataTemplate: Isipay's one game setting is its data
// template, defaulting to the convention of Indonesian top-up sites, and
// checked against the game's form.
func TestDescriptorDataTemplate(t *testing.T) {
	if len(Descriptor.GameSettings) != 1 || Descriptor.GameSettings[0].Key != settingData {
		t.Fatalf("game settings: got %+v, want the data template alone", Descriptor.GameSettings)
	}
	st := Descriptor.GameSettings[0]
	field := func(keys ...string) []catalog.FormField {
		var out []catalog.FormField
		for _, k := range keys {
			out = append(out, catalog.FormField{Key: k, Type: "text"})
		}
		return out
	}
	for _, tt := range []struct {
		form []catalog.FormField
		want string
	}{
		{field("user_id"), "{user_id}"},
		{field("user_id", "server"), "{user_id}({server})"},
		{field("user_id", "server", "character"), "{user_id}({server})|{character}"},
	} {
		if got := st.Default(tt.form); got != tt.want {
			t.Errorf("default for %v: got %q, want %q", tt.form, got, tt.want)
		}
		if err := st.Check(st.Default(tt.form), tt.form); err != nil {
			t.Errorf("default for %v refused: %v", tt.form, err)
		}
	}
	if err := st.Check("{user_id}", field("user_id", "server")); err == nil {
		t.Error("a template leaving out the server: got nil, want an error")
	}
	if err := st.CheckAnswer("{user_id}({server})", "2001)(9999"); err == nil {
		t.Error("an answer holding the template's delimiters: got nil, want an error")
	}
}

// TestDescriptorSettings: enabled by the token; the base URL is then
// required and must be an http(s) URL.
func TestDescriptorSettings(t *testing.T) {
	for _, tt := range []struct {
		v       suppliers.Values
		enabled bool
		err     string
	}{
		{suppliers.Values{}, false, ""},
		{suppliers.Values{envAPIToken: "t"}, true, envBaseURL},
		{suppliers.Values{envAPIToken: "t", envBaseURL: "isipay.example"}, true, envBaseURL},
		{suppliers.Values{envAPIToken: "t", envBaseURL: "https://isipay.example", envRateLimit: "ten"}, true, envRateLimit},
		{suppliers.Values{envAPIToken: "t", envBaseURL: "https://isipay.example", envRateLimit: "10"}, true, ""},
	} {
		if got := Descriptor.Enabled(tt.v); got != tt.enabled {
			t.Errorf("%v: enabled %v, want %v", tt.v, got, tt.enabled)
		}
		err := Descriptor.Check(tt.v)
		if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%v: got %v, want an error naming %q", tt.v, err, tt.err)
		}
	}
	ad, err := Descriptor.Open(suppliers.Values{envAPIToken: "t", envBaseURL: "https://isipay.example"}, suppliers.Hooks{})
	if err != nil || ad.Source == nil || ad.Orders == nil || ad.Balance == nil {
		t.Fatalf("open: got %+v, %v; want a source, orders and a balance", ad, err)
	}
	if got := Descriptor.EnabledBy(); got != "ISIPAY_API_TOKEN+ISIPAY_BASE_URL" {
		t.Errorf("enabled by: got %q", got)
	}
}
