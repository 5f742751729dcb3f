package reports

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata"
	"unicode/utf8" // time zones by name on hosts without a zoneinfo database

	"github.com/syncd/syncd/internal/fault"
)

// Bucket is the width of a report's time series.
type Bucket string

const (
	Hour Bucket = "hour"
	Day  Bucket = "day"
)

// Limits of a period.
const (
	// HourlyUpTo is the longest period reported by the hour; longer ones
	// are reported by the day.
	HourlyUpTo = 48 * time.Hour
	// MaxPeriod bounds the work one request can ask for.
	MaxPeriod = 366 * 24 * time.Hour
	// DefaultDays is the period when none is given: the last seven days,
	// today included.
	DefaultDays = 7
)

// Period is what a report covers: orders created at or after From and
// before To, in buckets of Bucket starting at midnight (or the hour) in
// Zone.
type Period struct {
	From, To time.Time
	Zone     *time.Location
	Bucket   Bucket
}

// ParsePeriod reads a period as the API and the console take it. from and
// to are RFC 3339 times on the hour, or dates (2026-12-01) in the zone: a
// date as from is the start of that day, a date as to the end of it
// (to=2026-12-07 includes the 7th). tz is an IANA zone name whose offset
// from UTC is whole hours (every Indonesian zone's is), UTC when empty;
// days start at its midnight. Either
// bound may be left out: the default is the last DefaultDays days up to
// the end of today, and a period given one bound is DefaultDays long.
// Periods of up to HourlyUpTo are bucketed by the hour, longer ones by
// the day.
func ParsePeriod(from, to, tz string, now time.Time) (Period, error) {
	fe := map[string]string{}
	zone := time.UTC
	if tz = strings.TrimSpace(tz); tz != "" {
		z, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			fe["tz"] = fmt.Sprintf("unknown time zone %q: want an IANA name such as Asia/Jakarta or UTC", clip(tz))
		} else {
			zone = z
		}
	}
	f, fok := parseBound(from, zone, false)
	if !fok {
		fe["from"] = fmt.Sprintf("%q is not a date (2026-12-01) or an RFC 3339 time (2026-12-01T00:00:00Z)", clip(from))
	}
	t, tok := parseBound(to, zone, true)
	if !tok {
		fe["to"] = fmt.Sprintf("%q is not a date (2026-12-07) or an RFC 3339 time (2026-12-08T00:00:00Z)", clip(to))
	}
	if len(fe) > 0 {
		return Period{}, invalid(fe)
	}
	switch {
	case f.IsZero() && t.IsZero():
		t = startOfDay(now.In(zone)).AddDate(0, 0, 1)
		f = t.AddDate(0, 0, -DefaultDays)
	case f.IsZero():
		f = t.AddDate(0, 0, -DefaultDays)
	case t.IsZero():
		t = f.AddDate(0, 0, DefaultDays)
	}
	// Reports are summed from hourly roll-ups (report_hours): a period
	// starts and ends on the hour, and its days start on the hour.
	if !onTheHour(f) {
		fe["from"] = "must be on the hour"
	}
	if !onTheHour(t) {
		fe["to"] = "must be on the hour"
	}
	if _, off := f.In(zone).Zone(); off%3600 != 0 {
		fe["tz"] = fmt.Sprintf("%s is not a whole number of hours from UTC; reports are kept by the hour", zone)
	}
	// A report shows its bounds as RFC 3339 times, in UTC and in the
	// zone, which have four-digit years.
	for field, b := range map[string]time.Time{"from": f, "to": t} {
		if !writable(b) || !writable(b.In(zone)) {
			fe[field] = "must be in the years 0000 to 9999"
		}
	}
	switch {
	case !f.Before(t):
		fe["to"] = "must be after from"
	case t.Sub(f) > MaxPeriod:
		fe["to"] = fmt.Sprintf("a period is at most %d days", int(MaxPeriod/(24*time.Hour)))
	}
	if len(fe) > 0 {
		return Period{}, invalid(fe)
	}
	p := Period{From: f.UTC(), To: t.UTC(), Zone: zone, Bucket: Day}
	if t.Sub(f) <= HourlyUpTo {
		p.Bucket = Hour
	}
	return p, nil
}

// parseBound reads one bound; ok is false when s is neither form. An
// empty s is the zero time, ok.
func parseBound(s string, zone *time.Location, end bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	d, err := time.ParseInLocation(time.DateOnly, s, zone)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, true
}

// writable is whether t has an RFC 3339 form (and so a JSON one).
func writable(t time.Time) bool { return 0 <= t.Year() && t.Year() <= 9999 }

func onTheHour(t time.Time) bool { return t.Equal(t.Truncate(time.Hour)) }

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// start is the start of the bucket t falls in.
func (p Period) start(t time.Time) time.Time {
	t = t.In(p.Zone)
	if p.Bucket == Day {
		return startOfDay(t)
	}
	return t.Truncate(time.Hour)
}

// next is the start of the bucket after the one starting at b.
func (p Period) next(b time.Time) time.Time {
	if p.Bucket == Day {
		return b.AddDate(0, 0, 1)
	}
	return b.Add(time.Hour)
}

// buckets are the starts of every bucket the period touches, in order.
func (p Period) buckets() []time.Time {
	var out []time.Time
	for b := p.start(p.From); b.Before(p.To); b = p.next(b) {
		out = append(out, b)
	}
	return out
}

// invalid is a report request refused, with what is wrong with each
// field (from, to, tz, table): a fault.Validation error, a 422 over the
// API and beside each field of the console's form.
func invalid(fields map[string]string) error {
	return fault.Invalid("invalid report request", fields)
}

// clip shortens what a request said, for a message about it, at a
// character's start: a message shows no half of one.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	n := 40
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
