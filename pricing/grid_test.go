package pricing

import "testing"

func TestGridUpDownRound(t *testing.T) {
	rupiah := DefaultGrid()
	hundreds := Grid{Step: d("100"), Ending: d("0")}
	nines := Grid{Step: d("1000"), Ending: d("900")} // 900, 1900, ..., 14900
	for _, tc := range []struct {
		name              string
		g                 Grid
		x                 string
		up, down, nearest string
	}{
		{"whole rupiah on grid", rupiah, "1864", "1864", "1864", "1864"},
		{"half rupiah goes up when nearest", rupiah, "1864.5", "1865", "1864", "1865"},
		{"just under half", rupiah, "1864.4999", "1865", "1864", "1864"},
		{"zero", rupiah, "0", "0", "0", "0"},
		{"step 100 on grid", hundreds, "10700", "10700", "10700", "10700"},
		{"step 100 midpoint goes up", hundreds, "10750", "10800", "10700", "10800"},
		{"step 100 below midpoint", hundreds, "10749", "10800", "10700", "10700"},
		{"step 100 above midpoint", hundreds, "10751", "10800", "10700", "10800"},
		{"step 100 tiny fraction over", hundreds, "10700.000000000001", "10800", "10700", "10700"},
		// 14300 lies 400 above 13900 and 600 below 14900.
		{"ending 900 between", nines, "14300", "14900", "13900", "13900"},
		{"ending 900 midpoint goes up", nines, "14400", "14900", "13900", "14900"},
		{"ending 900 on grid", nines, "14900", "14900", "14900", "14900"},
		{"ending 900 just over", nines, "14901", "15900", "14900", "14900"},
		// Below the lowest grid price every mode gives it.
		{"below the ending", nines, "500", "900", "900", "900"},
		{"negative", hundreds, "-50", "0", "0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []struct {
				mode Mode
				want string
			}{{RoundUp, tc.up}, {RoundDown, tc.down}, {RoundNearest, tc.nearest}} {
				g := tc.g
				g.Mode = m.mode
				if got := g.Round(d(tc.x)); !got.Equal(d(m.want)) {
					t.Errorf("%s: Round(%s) mode %s: got %s, want %s", g, tc.x, m.mode, got, m.want)
				}
			}
			if got := tc.g.Up(d(tc.x)); !got.Equal(d(tc.up)) {
				t.Errorf("Up(%s): got %s, want %s", tc.x, got, tc.up)
			}
			if got := tc.g.Down(d(tc.x)); !got.Equal(d(tc.down)) {
				t.Errorf("Down(%s): got %s, want %s", tc.x, got, tc.down)
			}
		})
	}
}

func TestGridContains(t *testing.T) {
	nines := Grid{Step: d("1000"), Ending: d("900"), Mode: RoundUp}
	for _, tc := range []struct {
		x    string
		want bool
	}{
		{"900", true}, {"14900", true}, {"14800", false}, {"14900.5", false},
		{"-100", false}, // −1·1000 + 900: k must not be negative
		{"0", false},
	} {
		if got := nines.Contains(d(tc.x)); got != tc.want {
			t.Errorf("Contains(%s): got %t, want %t", tc.x, got, tc.want)
		}
	}
}
