package fault

import (
	"maps"
	"net/http"
	"slices"
)

// The codes, by what a client does about them.
const (
	// The request as sent: fix it before sending it again.
	Validation      Code = "validation" // fields refused; Fields says why
	BadJSON         Code = "bad_json"
	DuplicateMember Code = "duplicate_member"
	BadRequest      Code = "bad_request"
	TooLarge        Code = "too_large"
	UnknownTier     Code = "unknown_tier"
	BadWebhook      Code = "bad_webhook" // answered in the supplier's shape, never in the envelope

	// Who is asking.
	Unauthorized  Code = "unauthorized"
	Forbidden     Code = "forbidden"
	TierForbidden Code = "tier_forbidden"

	// What the request names.
	NotFound         Code = "not_found"
	ItemNotFound     Code = "item_not_found"
	GameNotFound     Code = "game_not_found"
	RuleNotFound     Code = "rule_not_found"
	OrderNotFound    Code = "order_not_found"
	TokenNotFound    Code = "token_not_found"
	SupplierNotFound Code = "supplier_not_found"
	MethodNotAllowed Code = "method_not_allowed"
	VersionGone      Code = "version_gone"

	// The state of what it names: look again, then decide.
	VersionMismatch      Code = "version_mismatch"
	PreconditionRequired Code = "precondition_required"
	RuleConflict         Code = "rule_conflict"
	TierExists           Code = "tier_exists"
	TokenNameTaken       Code = "token_name_taken"
	TokenRevoked         Code = "token_revoked"
	ReferenceConflict    Code = "reference_conflict"
	PriceChanged         Code = "price_changed"
	ItemUnavailable      Code = "item_unavailable"
	NotSettleable        Code = "not_settleable"
	NotHeld              Code = "not_held"
	CostChanged          Code = "cost_changed"
	SyncRunning          Code = "sync_running"

	// syncd itself: try again later, or tell an operator.
	CatalogNotReady Code = "catalog_not_ready"
	NotReady        Code = "not_ready"
	Unavailable     Code = "unavailable"
	Internal        Code = "internal"
)

// meaning is what a code is to each adapter: the API's HTTP status, the
// status of a console page that shows it where that differs, and the
// heading of the console's error page.
type meaning struct {
	status int
	page   int // 0: status
	title  string
}

// codes is the one table of codes: api answers with status, console with
// page (or status) and title. A code outside it is a 500.
var codes = map[Code]meaning{
	Validation:      {http.StatusUnprocessableEntity, 0, "Not valid"},
	BadJSON:         {http.StatusBadRequest, 0, "Bad request"},
	DuplicateMember: {http.StatusBadRequest, 0, "Bad request"},
	BadRequest:      {http.StatusBadRequest, 0, "Bad request"},
	TooLarge:        {http.StatusRequestEntityTooLarge, 0, "Too large"},
	UnknownTier:     {http.StatusBadRequest, 0, "No such price tier"},
	BadWebhook:      {http.StatusBadRequest, 0, "Bad webhook"},

	Unauthorized:  {http.StatusUnauthorized, 0, "Signed out"},
	Forbidden:     {http.StatusForbidden, 0, "Not allowed"},
	TierForbidden: {http.StatusForbidden, 0, "Not allowed"},

	NotFound:         {http.StatusNotFound, 0, "Not found"},
	ItemNotFound:     {http.StatusNotFound, 0, "No such item"},
	GameNotFound:     {http.StatusNotFound, 0, "No such game"},
	RuleNotFound:     {http.StatusNotFound, 0, "No such rule"},
	OrderNotFound:    {http.StatusNotFound, 0, "No such order"},
	TokenNotFound:    {http.StatusNotFound, 0, "No such token"},
	SupplierNotFound: {http.StatusNotFound, 0, "No such supplier"},
	MethodNotAllowed: {http.StatusMethodNotAllowed, 0, "Not allowed"},
	VersionGone:      {http.StatusGone, 0, "Version gone"},

	// A console form carries the version it was opened at in a field,
	// not in If-Match: a change made since is a conflict there.
	VersionMismatch:      {http.StatusPreconditionFailed, http.StatusConflict, "Changed meanwhile"},
	PreconditionRequired: {http.StatusPreconditionRequired, 0, "Version required"},
	RuleConflict:         {http.StatusConflict, 0, "Rules conflict"},
	TierExists:           {http.StatusConflict, 0, "Tier exists"},
	TokenNameTaken:       {http.StatusConflict, 0, "Name taken"},
	TokenRevoked:         {http.StatusConflict, 0, "Token revoked"},
	ReferenceConflict:    {http.StatusConflict, 0, "Reference used"},
	PriceChanged:         {http.StatusConflict, 0, "Price changed"},
	ItemUnavailable:      {http.StatusConflict, 0, "Item unavailable"},
	NotSettleable:        {http.StatusConflict, 0, "Cannot be settled"},
	NotHeld:              {http.StatusConflict, 0, "Cost not held"},
	CostChanged:          {http.StatusConflict, 0, "Cost changed"},
	SyncRunning:          {http.StatusConflict, 0, "Sync running"},

	CatalogNotReady: {http.StatusServiceUnavailable, 0, "Catalog not ready"},
	NotReady:        {http.StatusServiceUnavailable, 0, "Not ready"},
	Unavailable:     {http.StatusServiceUnavailable, 0, "Unavailable"},
	Internal:        {http.StatusInternalServerError, 0, "Server error"},
}

// Status is the API's HTTP status for code; 500 for a code the table
// does not hold.
func Status(code Code) int {
	if m, ok := codes[code]; ok {
		return m.status
	}
	return http.StatusInternalServerError
}

// PageStatus is the status of a console page that shows code.
func PageStatus(code Code) int {
	if m, ok := codes[code]; ok && m.page != 0 {
		return m.page
	}
	return Status(code)
}

// Title is the heading of the console's error page for code.
func Title(code Code) string {
	if m, ok := codes[code]; ok {
		return m.title
	}
	return codes[Internal].title
}

// Codes lists every code of the table, sorted.
func Codes() []Code {
	return slices.Sorted(maps.Keys(codes))
}
