package reports

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syncd/syncd/internal/fault"
)

// FuzzParsePeriod: whatever a request's from, to and tz are, ParsePeriod
// refuses them with a validation error whose every field says why in
// valid UTF-8 (the API answers it as JSON), or returns a period a report
// can be built on: from before to, both on the hour, at most MaxPeriod
// apart, bucketed by the hour exactly when at most HourlyUpTo long, whose
// buckets cover it in order; and the period as a report shows it
// (view) reads back as the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range [][4]string{
		{"", "", "", ""},
		{"2026-12-01", "2026-12-07", "Asia/Jakarta", ""},
		{"2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "", ""},
		{"2026-12-01T07:00:00+07:00", "", "Asia/Makassar", ""},
		{"", "2026-12-07", "Asia/Jayapura", ""},
		{"2026-12-01T00:30:00Z", "2026-12-01T05:00:00Z", "", ""},
		{"2026-12-01", "2026-12-01", "Asia/Kolkata", ""},
		{"2025-01-01", "2026-12-01", "", ""},
		{"2026-12-07", "2026-12-01", "Local", ""},
		{"yesterday", "0000-01-01", "Europe/Nowhere", ""},
		{"9999-12-31", "", "", ""},
		{"2026-13-01", "2026-02-30", "Pacific/Chatham", ""},
		{"2026-12-01T00:00:00.000000001Z", "", "", ""},
		{"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", ""},
	} {
		f.Add(s[0], s[1], s[2], int64(1796000000))
	}
	f.Fuzz(func(t *testing.T, from, to, tz string, nowUnix int64) {
		now := time.Unix(nowUnix%(1<<36), 0) // years 1 to about 4000
		p, err := ParsePeriod(from, to, tz, now)
		if err != nil {
			fields := fault.FieldsOf(err)
			if len(fields) == 0 {
				t.Fatalf("%q %q %q: error %v is not a validation error naming a field", from, to, tz, err)
			}
			for name, msg := range fields {
				if msg == "" || !utf8.ValidString(msg) {
					t.Fatalf("%q %q %q: field %s says %q", from, to, tz, name, msg)
				}
			}
			return
		}
		span := p.To.Sub(p.From)
		switch {
		case p.Zone == nil:
			t.Fatalf("%q %q %q: no zone", from, to, tz)
		case !p.From.Before(p.To) || span > MaxPeriod:
			t.Fatalf("%q %q %q: period %v to %v", from, to, tz, p.From, p.To)
		case !onTheHour(p.From) || !onTheHour(p.To):
			t.Fatalf("%q %q %q: %v to %v is not on the hour", from, to, tz, p.From, p.To)
		case p.From.Location() != time.UTC || p.To.Location() != time.UTC:
			t.Fatalf("%q %q %q: bounds not in UTC", from, to, tz)
		case (p.Bucket == Hour) != (span <= HourlyUpTo) || (p.Bucket != Hour && p.Bucket != Day):
			t.Fatalf("%q %q %q: bucket %q for %v", from, to, tz, p.Bucket, span)
		}
		bs := p.buckets()
		if len(bs) == 0 || bs[0].After(p.From) || !bs[len(bs)-1].Before(p.To) || len(bs) > int(MaxPeriod/time.Hour)+2 {
			t.Fatalf("%q %q %q: %d buckets over %v to %v", from, to, tz, len(bs), p.From, p.To)
		}
		for i := 1; i < len(bs); i++ {
			if !bs[i-1].Before(bs[i]) || !p.start(bs[i]).Equal(bs[i]) {
				t.Fatalf("%q %q %q: bucket %v after %v", from, to, tz, bs[i], bs[i-1])
			}
		}
		v := p.view()
		again, err := ParsePeriod(v.From.Format(time.RFC3339Nano), v.To.Format(time.RFC3339Nano), v.TimeZone, now)
		if err != nil || !again.From.Equal(p.From) || !again.To.Equal(p.To) || again.Bucket != p.Bucket || again.Zone.String() != p.Zone.String() {
			t.Fatalf("%q %q %q: %+v reads back as %+v, %v", from, to, tz, v, again, err)
		}
	})
}
