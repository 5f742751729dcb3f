package reports

import (
	"fmt"
	"time"
)

// Stored times are syncd.FormatTime's fixed layout,
// 2006-01-02T15:04:05.000000000Z. A report reads two of them per order;
// time.Parse would be most of its cost, so the layout is read by hand,
// with time.Parse for anything else.
const stampLayout = "2006-01-02T15:04:05.000000000Z"

// stampNanos is a stored time as nanoseconds since the Unix epoch.
func stampNanos(b []byte) (int64, error) {
	if len(b) == len(stampLayout) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' &&
		b[16] == ':' && b[19] == '.' && b[29] == 'Z' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		h, ok4 := digits(b[11:13])
		mi, ok5 := digits(b[14:16])
		s, ok6 := digits(b[17:19])
		ns, ok7 := digits(b[20:29])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60 {
			days := daysFromCivil(y, mo, d)
			return ((days*24+h)*60+mi)*60*int64(time.Second) + s*int64(time.Second) + ns, nil
		}
	}
	t, err := parseStamp(b)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}

func parseStamp(b []byte) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", b, err)
	}
	return t, nil
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
