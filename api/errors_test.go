package api

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
)

// TestDomainErrorsAnswer holds every domain error to the answer api gave
// it when it listed each package's sentinels itself: now each carries its
// code, and the status comes from fault's table.
func TestDomainErrorsAnswer(t *testing.T) {
	current := int64(1500)
	tests := []struct {
		err     error
		status  int
		code    fault.Code
		details map[string]any
	}{
		{offers.ErrSyncRunning, http.StatusConflict, "sync_running", nil},
		{catalog.ErrNotFound, http.StatusNotFound, "not_found", nil},
		{catalog.ErrInvalid, http.StatusUnprocessableEntity, "validation", nil},
		{catalog.ErrVersionGone, http.StatusGone, "version_gone", nil},
		{offers.ErrNotHeld, http.StatusConflict, "not_held", nil},
		{offers.ErrCostMoved, http.StatusConflict, "cost_changed", nil},
		{&offers.CostMovedError{Expected: 900, Current: 950}, http.StatusConflict, "cost_changed",
			map[string]any{"expected": int64(900), "current": int64(950)}},
		{auth.ErrNotFound, http.StatusNotFound, "token_not_found", nil},
		{auth.ErrNameTaken, http.StatusConflict, "token_name_taken", nil},
		{&auth.NameTakenError{Name: "shop", ID: 7, Role: auth.RoleStorefront}, http.StatusConflict, "token_name_taken",
			map[string]any{"name": "shop", "token": int64(7), "role": auth.RoleStorefront}},
		{auth.ErrRevoked, http.StatusConflict, "token_revoked", nil},
		{rules.ErrNotFound, http.StatusNotFound, "rule_not_found", nil},
		{rules.ErrStale, http.StatusPreconditionFailed, "version_mismatch", nil},
		{rules.ErrConflict, http.StatusConflict, "rule_conflict", nil},
		{&rules.LintError{Findings: []rules.Finding{{Code: "conflict", Rules: []string{"a", "b"}}}}, http.StatusConflict, "rule_conflict",
			map[string]any{"findings": []rules.Finding{{Code: "conflict", Rules: []string{"a", "b"}}}}},
		{rules.ErrTierExists, http.StatusConflict, "tier_exists", nil},
		{orders.ErrNotFound, http.StatusNotFound, "order_not_found", nil},
		{orders.ErrInvalid, http.StatusUnprocessableEntity, "validation", nil},
		{orders.ErrReferenceReused, http.StatusConflict, "reference_conflict", nil},
		{orders.ErrPriceChanged, http.StatusConflict, "price_changed", nil},
		{&orders.PriceChangedError{Expected: 1480, Current: &current}, http.StatusConflict, "price_changed",
			map[string]any{"expected": int64(1480), "current": &current}},
		{orders.ErrUnavailable, http.StatusConflict, "item_unavailable", nil},
		{orders.ErrNotReady, http.StatusServiceUnavailable, "catalog_not_ready", nil},
		{orders.ErrNotSettleable, http.StatusConflict, "not_settleable", nil},
		{orders.ErrDeliveryFilter, http.StatusBadRequest, "bad_request", nil},
	}
	for _, tt := range tests {
		err := fmt.Errorf("doing x: %w", tt.err)
		got, status, ok := toWire(err)
		if !ok || status != tt.status || got.Code != tt.code {
			t.Errorf("%v: got %d %s (coded %v), want %d %s", tt.err, status, got.Code, ok, tt.status, tt.code)
			continue
		}
		if got.Message != err.Error() {
			t.Errorf("%v: got message %q, want the whole chain's %q", tt.err, got.Message, err.Error())
		}
		if len(got.Details) != len(tt.details) || len(tt.details) > 0 && !reflect.DeepEqual(got.Details, tt.details) {
			t.Errorf("%v: got details %#v, want %#v", tt.err, got.Details, tt.details)
		}
	}
}

func TestValidationErrorsAnswer(t *testing.T) {
	for _, err := range []error{
		rules.ErrInvalid.WithFields(map[string]string{"name": "required", "round.step": "must be above 0"}),
		orders.ErrInvalid.WithFields(map[string]string{"name": "required", "round.step": "must be above 0"}),
		fault.Invalid("invalid token", map[string]string{"name": "required", "round.step": "must be above 0"}),
	} {
		got, status, ok := toWire(fmt.Errorf("compile r1: %w", err))
		if !ok || status != http.StatusUnprocessableEntity || got.Code != "validation" {
			t.Fatalf("%v: got %d %s, want 422 validation", err, status, got.Code)
		}
		// Its own words, not the chain's: the fields say what is wrong.
		if got.Message != err.Error() {
			t.Errorf("got message %q, want %q", got.Message, err.Error())
		}
		want := map[string]any{"name": "required", "round.step": "must be above 0"}
		if !reflect.DeepEqual(got.Details, want) {
			t.Errorf("got details %v, want %v", got.Details, want)
		}
	}
}

// Errors without a code are syncd's own: a 500 that shows nothing of them.
func TestUncodedErrorsAreInternal(t *testing.T) {
	_, decodeErr := rules.Decode([]byte(`{`))
	for _, err := range []error{
		errors.New("disk I/O error"),
		fmt.Errorf("candidates: %w", catalog.ErrNotReady),
		auth.ErrInvalidToken,
		decodeErr, // a stored rule that does not decode is ours, not the client's
	} {
		if got, status, ok := toWire(err); ok {
			t.Errorf("%v: got %d %s, want no code (a 500)", err, status, got.Code)
		}
	}
}

// TestErrorCodesDocumented: every code the API can answer with is named
// in openapi.json (a response's description or example), except those
// listed here with why. The document has no enum of codes: fault's table
// is the list, and this keeps the two in step.
func TestErrorCodesDocumented(t *testing.T) {
	undocumented := map[fault.Code]string{
		fault.Internal:         "any route may fail; a 500 names the request, never the cause",
		fault.MethodNotAllowed: "chi's answer to a method no route takes",
		fault.NotReady:         "GET /readyz: probes read the status",
		fault.SupplierNotFound: "admin sync of a supplier that is not enabled",
		fault.SyncRunning:      "admin sync while one runs (202 otherwise)",
		fault.BadWebhook:       "answered in Senpay's shape, which has no code",
	}
	for _, code := range fault.Codes() {
		named := regexp.MustCompile(`\b` + regexp.QuoteMeta(string(code)) + `\b`).Match(openapiDoc)
		if _, ok := undocumented[code]; !ok && !named {
			t.Errorf("code %s (%d) is in fault's table but openapi.json names it nowhere", code, fault.Status(code))
		}
	}
	for code := range undocumented {
		if !slices.Contains(fault.Codes(), code) {
			t.Errorf("code %s is listed as undocumented but is not in fault's table", code)
		}
	}
}
