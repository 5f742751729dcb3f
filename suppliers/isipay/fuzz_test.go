package isipay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/suppliers"
)

// seed adds every recorded body and a few hand-made edge cases: each decoder
// sees the others' bodies too, which is the wrong-endpoint reply it must
// survive anyway.
func seed(f *testing.F) {
	f.Helper()
	entries, err := os.ReadDir(recordedDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(recordedDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"error":false}`, `{"code":"200","data":null}`,
		`{"error":false,"code":200,"data":[{"code":"A","price":"1e-9999","is_active":1}]}`,
		`{"error":false,"code":200,"data":[{"code":"A","price":1e9999}]}`,
		`{"error":false,"code":200,"data":{"balance":"1e30","invoiceNumber":"X","statusCode":"Y"}}`,
		`{"error":"true","code":1e-9999}`,
	} {
		f.Add([]byte(s))
	}
}

// checkFailure asserts the one shape every decoder error has.
func checkFailure(t *testing.T, err error) {
	t.Helper()
	var re *replyError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a replyError", err, err)
	}
	if len(re.message) > 300 {
		t.Errorf("message of %d bytes, want it bounded", len(re.message))
	}
}

func checkCodes(t *testing.T, codes []string) {
	t.Helper()
	seen := make(map[string]bool)
	for _, c := range codes {
		if strings.TrimSpace(c) == "" || len(c) > maxCode {
			t.Errorf("code %q accepted", c)
		}
		if seen[c] {
			t.Errorf("duplicate code %q accepted", c)
		}
		seen[c] = true
	}
}

func FuzzDecodeBalance(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		acc, err := decodeBalance(body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if acc == nil {
			t.Fatal("nil account without an error")
		}
	})
}

func FuzzDecodeProducts(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := decodeProducts(body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		codes := make([]string, len(ps))
		for i, p := range ps {
			codes[i] = p.Code
		}
		checkCodes(t, codes)
	})
}

func FuzzDecodeVariants(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		vs, err := decodeVariants(body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		codes := make([]string, len(vs))
		for i, v := range vs {
			codes[i] = v.Code
			if err := suppliers.CheckPrice(v.Price); err != nil {
				t.Errorf("variant %q: %v", v.Code, err)
			}
			if v.PriceRaw == "" {
				t.Errorf("variant %q without the raw price", v.Code)
			}
			if _, err := suppliers.ParseAmount(v.PriceRaw); err != nil {
				t.Errorf("variant %q: raw price %q accepted but unparseable: %v", v.Code, v.PriceRaw, err)
			}
		}
		checkCodes(t, codes)
	})
}

func FuzzDecodeOrder(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeOrder(body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if strings.TrimSpace(o.InvoiceNumber) == "" {
			t.Errorf("order accepted without an invoice number")
		}
	})
}

func FuzzDecodeOrderStatus(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := decodeOrderStatus(body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if strings.TrimSpace(st.InvoiceNumber) == "" || strings.TrimSpace(st.StatusCode) == "" {
			t.Errorf("status accepted without invoice or status: %+v", st)
		}
	})
}
