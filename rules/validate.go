package rules

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/pricing"
)

// ErrInvalid is what every validation error of a rule or tier is: a
// *fault.Error of code fault.Validation whose fields are keyed by the
// field's JSON path ("action.value", "round.step", "valid_until").
var ErrInvalid = fault.New(fault.Validation, "invalid rule")

// invalid refuses a rule or tier for its fields.
func invalid(fields map[string]string) *fault.Error { return ErrInvalid.WithFields(fields) }

// Limits of a rule's fields.
const (
	MaxNameLen = 200  // characters
	MaxNoteLen = 2000 // characters
	MaxStep    = 1_000_000
)

var (
	tierSyntax     = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	supplierSyntax = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	gameSyntax     = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	itemSyntax     = regexp.MustCompile(`^[a-z0-9-]{1,64}\.[a-z0-9-]{1,128}$`)

	// Windows are bounded to what RFC 3339 can write, from a year no
	// price of ours predates.
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)

	hundred = decimal.NewFromInt(100)
)

const timeRange = "must be from 2000-01-01T00:00:00Z to the end of the year 9999"

// Validate checks every field's range and returns a validation error
// (ErrInvalid) naming each bad field, or nil.
func (r Rule) Validate() error {
	f := map[string]string{}
	switch n := utf8.RuneCountInString(r.Name); {
	case strings.TrimSpace(r.Name) == "":
		f["name"] = "required"
	case n > MaxNameLen:
		f["name"] = "must have at most " + strconv.Itoa(MaxNameLen) + " characters"
	}
	// That names and notes are text people can be shown (no control or
	// text-direction characters) is checked where rules come in, by
	// catalog's validateRule: rules imports only pricing.
	if utf8.RuneCountInString(r.Note) > MaxNoteLen {
		f["note"] = "must have at most " + strconv.Itoa(MaxNoteLen) + " characters"
	}
	if r.Version < 0 {
		f["version"] = "must not be negative"
	}
	r.Match.validate(f)
	r.Action.validate(f)
	if r.Round != nil {
		r.Round.validate(f)
	}
	if r.Guard != nil {
		r.Guard.validate(f)
	}
	validTime(f, "valid_from", r.ValidFrom)
	validTime(f, "valid_until", r.ValidUntil)
	if !r.ValidFrom.IsZero() && !r.ValidUntil.IsZero() && !r.ValidUntil.After(r.ValidFrom) {
		f["valid_until"] = "must be after valid_from"
	}
	if len(f) > 0 {
		return invalid(f)
	}
	return nil
}

func (m Match) validate(f map[string]string) {
	check := func(field, v string, re *regexp.Regexp, what string) {
		if v != "" && !re.MatchString(v) {
			f["match."+field] = "must be " + what
		}
	}
	check("game", m.Game, gameSyntax, "a game id of 1 to 64 characters a-z, 0-9 and -")
	check("item", m.Item, itemSyntax, `an item id "<game id>.<key>" of a-z, 0-9 and -`)
	check("supplier", m.Supplier, supplierSyntax, "a supplier id of 1 to 32 characters a-z, 0-9 and -")
	check("tier", m.Tier, tierSyntax, "a tier of 1 to 32 characters a-z, 0-9 and -")
	_, badGame := f["match.game"]
	if m.Game != "" && m.Item != "" && !badGame && !strings.HasPrefix(m.Item, m.Game+".") {
		f["match.item"] = "must be an item of game " + m.Game + " (start with " + strconv.Quote(m.Game+".") + ")"
	}
}

// The limits are pricing's, so a rule that saves can always be priced;
// the messages name them as a merchandiser types them.
var (
	maxPrice   = decimal.NewFromInt(pricing.MaxPrice)
	maxPercent = decimal.NewFromInt(pricing.MaxPercent)
	capText    = humanAmount(pricing.MaxPrice)
	placesText = strconv.Itoa(pricing.MaxRateDecimals) + " decimal places"
)

func (a Action) validate(f map[string]string) {
	v := a.Value
	switch a.Kind {
	case MarkupPercent:
		switch {
		case !v.GreaterThan(hundred.Neg()) || v.GreaterThan(maxPercent):
			f["action.value"] = "must be more than -100 and at most " + maxPercent.String() + " (percent)"
		case tooFine(v):
			f["action.value"] = "must have at most " + placesText
		}
	case MarginPercent:
		switch {
		case v.IsNegative() || !v.LessThan(hundred):
			f["action.value"] = "must be at least 0 and less than 100 (percent)"
		case tooFine(v):
			f["action.value"] = "must have at most " + placesText
		}
	case CostPlus:
		if !v.IsInteger() || v.Abs().GreaterThan(maxPrice) {
			f["action.value"] = "must be a whole number of rupiah from -" + capText + " to " + capText
		}
	case FixedPrice:
		if !v.IsPositive() || !v.IsInteger() || v.GreaterThan(maxPrice) {
			f["action.value"] = "must be a whole number of rupiah from 1 to " + capText
		}
	case "":
		f["action.kind"] = "required: one of " + kindList
	default:
		f["action.kind"] = "must be one of " + kindList
	}
	if !wholeUpTo(a.Plus) {
		f["action.plus"] = "must be a whole number of rupiah from 0 to " + capText
	}
}

const kindList = "markup_percent, margin_percent, cost_plus, fixed_price"

func (g Round) validate(f map[string]string) {
	step := g.Step
	if !step.IsPositive() || !step.IsInteger() || step.GreaterThan(decimal.NewFromInt(MaxStep)) {
		f["round.step"] = "must be a whole number of rupiah from 1 to " + strconv.Itoa(MaxStep)
	}
	switch {
	case g.Ending.IsNegative() || !g.Ending.IsInteger():
		f["round.ending"] = "must be a whole number of rupiah, 0 or more"
	case step.IsPositive() && !g.Ending.LessThan(step):
		f["round.ending"] = "must be less than step"
	}
	switch g.Mode {
	case Up, Down, Nearest:
	default:
		f["round.mode"] = "must be up, down or nearest"
	}
}

func (g Guard) validate(f map[string]string) {
	switch pct := g.MinMarginPercent; {
	case pct.IsNegative() || pct.GreaterThan(maxPercent):
		f["guard.min_margin_percent"] = "must be from 0 to " + maxPercent.String() + " (percent)"
	case tooFine(pct):
		f["guard.min_margin_percent"] = "must have at most " + placesText
	}
	if !wholeUpTo(g.MinMarginAmount) {
		f["guard.min_margin_amount"] = "must be a whole number of rupiah from 0 to " + capText
	}
	if g.MaxPrice != nil && (!g.MaxPrice.IsPositive() || !g.MaxPrice.IsInteger() || g.MaxPrice.GreaterThan(maxPrice)) {
		f["guard.max_price"] = "must be a whole number of rupiah from 1 to " + capText + ", or null for none"
	}
}

// wholeUpTo reports whether x is a whole rupiah amount from 0 to the cap.
func wholeUpTo(x decimal.Decimal) bool {
	return !x.IsNegative() && x.IsInteger() && !x.GreaterThan(maxPrice)
}

// tooFine reports whether a rate has more decimal places than pricing
// takes (trailing zeros do not count).
func tooFine(rate decimal.Decimal) bool {
	return !rate.Equal(rate.Truncate(pricing.MaxRateDecimals))
}

// humanAmount writes n with thousands separators, 1000000000 as
// "1,000,000,000".
func humanAmount(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func validTime(f map[string]string, field string, t time.Time) {
	if !t.IsZero() && (t.Before(minTime) || !t.Before(maxTime)) {
		f[field] = timeRange
	}
}

func quote(s string) string { return strconv.Quote(s) }
