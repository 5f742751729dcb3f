package isipaysim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestOrders(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, srv := start(t, demo(t), Options{Balance: 100_000, OrderDelay: 30 * time.Second, Now: func() time.Time { return now }})
	s.SetTargetOutcome("111(1)", StatusFailed)
	s.SetTargetOutcome("222(2)", StatusPending)

	var got struct {
		InvoiceNumber string `json:"invoiceNumber"`
	}
	invoices := make(map[string]string)
	for _, target := range []string{"999(9)", "111(1)", "222(2)"} {
		post(t, srv, PathOrder, fmt.Sprintf(`{"code":"MLBB_ID_86","referenceNumber":"ref-%s","data":%q}`, target, target)).into(t, &got)
		if !strings.HasPrefix(got.InvoiceNumber, "RZ-RAPI") || len(got.InvoiceNumber) != len("RZ-RAPIXXXXXXXXX") {
			t.Errorf("invoice: got %q, want RZ-RAPI and nine digits", got.InvoiceNumber)
		}
		invoices[target] = got.InvoiceNumber
	}
	if want := decimal.NewFromInt(100_000 - 3*20350); !s.Balance().Equal(want) {
		t.Errorf("balance after 3 orders: got %s, want %s", s.Balance(), want)
	}
	status := func(target string) string {
		var st struct {
			InvoiceNumber, ProductName, UserData, StatusCode string
		}
		post(t, srv, PathStatusOrder+invoices[target], "").into(t, &st)
		if st.InvoiceNumber != invoices[target] || st.UserData != target || st.ProductName != "Mobile Legends 86 (78+8) Diamonds" {
			t.Errorf("status of %s: got %+v", target, st)
		}
		return st.StatusCode
	}
	for target := range invoices {
		if got := status(target); got != StatusPending {
			t.Errorf("%s before the delay: got %s, want Pending", target, got)
		}
	}
	now = now.Add(30 * time.Second)
	for target, want := range map[string]string{"999(9)": StatusSuccess, "111(1)": StatusFailed, "222(2)": StatusPending} {
		if got := status(target); got != want {
			t.Errorf("%s after the delay: got %s, want %s", target, got, want)
		}
	}
	// The failed order was refunded, and the balance endpoint says so.
	var acc struct {
		Balance json.Number `json:"balance"`
	}
	post(t, srv, PathBalance, "").into(t, &acc)
	if want := fmt.Sprint(100_000 - 2*20350); string(acc.Balance) != want {
		t.Errorf("balance endpoint: got %s, want %s", acc.Balance, want)
	}
	if os := s.Orders(); len(os) != 3 || os[0].Status != StatusSuccess || os[1].Status != StatusFailed || !os[0].Price.Equal(decimal.NewFromInt(20350)) {
		t.Errorf("Orders: got %+v", os)
	}
	wantRefusal(t, post(t, srv, PathStatusOrder+"RZ-RAPI000000999", ""), 404, "Invoice not found")
}

func TestOrderRefusals(t *testing.T) {
	s, srv := start(t, demo(t), Options{Balance: 30_000})
	post(t, srv, PathOrder, `{"code":"MLBB_ID_86","referenceNumber":"r1","data":"1(1)"}`).into(t, &struct{}{})
	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"not JSON", `{"code":`, 400, "Invalid request body"},
		{"no code", `{"referenceNumber":"r2","data":"1(1)"}`, 400, "The code field is required."},
		{"no reference", `{"code":"MLBB_ID_5","data":"1(1)"}`, 400, "The referenceNumber field is required."},
		{"no data", `{"code":"MLBB_ID_5","referenceNumber":"r2"}`, 400, "The data field is required."},
		{"reused reference", `{"code":"MLBB_ID_5","referenceNumber":"r1","data":"1(1)"}`, 400, "referenceNumber already exists"},
		{"unknown variant", `{"code":"MLBB_ID_6","referenceNumber":"r2","data":"1(1)"}`, 404, "Variant not found"},
		{"inactive variant", `{"code":"MLBB_ID_3688","referenceNumber":"r2","data":"1(1)"}`, 400, "Produk sedang tidak tersedia"},
		{"inactive product", `{"code":"CODM_31","referenceNumber":"r2","data":"1"}`, 400, "Produk sedang tidak tersedia"},
		{"insufficient balance", `{"code":"MLBB_ID_86","referenceNumber":"r2","data":"1(1)"}`, 400, "Saldo tidak mencukupi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, post(t, srv, PathOrder, tt.body), tt.status, tt.msg)
		})
	}
	if n := len(s.Orders()); n != 1 {
		t.Errorf("orders: got %d, want 1", n)
	}
	if want := decimal.NewFromInt(30_000 - 20350); !s.Balance().Equal(want) {
		t.Errorf("balance: got %s, want %s", s.Balance(), want)
	}
	// A refused order does not use up its reference.
	s.SetBalance(1_000_000)
	post(t, srv, PathOrder, `{"code":"MLBB_ID_86","referenceNumber":"r2","data":"1(1)"}`).into(t, &struct{}{})
	// A fractional price is charged as it is.
	post(t, srv, PathOrder, `{"code":"GI_60","referenceNumber":"r3","data":"800123456"}`).into(t, &struct{}{})
	if want := decimal.RequireFromString("965774.5"); !s.Balance().Equal(want) {
		t.Errorf("balance after a fractional price: got %s, want %s", s.Balance(), want)
	}
}
