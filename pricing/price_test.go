package pricing

import (
	"strings"
	"testing"
)

func act(k Kind, value, plus string) Action {
	return Action{Kind: k, Value: d(value), Plus: d(plus)}
}

func grid(step, ending string, m Mode) Grid {
	return Grid{Step: d(step), Ending: d(ending), Mode: m}
}

type priceCase struct {
	name  string
	in    Input
	want  string // the price, or "blocked"
	floor string // checked when set
}

func runPriceCases(t *testing.T, cases []priceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := Price(tc.in)
			if tc.want == "blocked" {
				if !q.Blocked || q.Reason == "" || !q.Price.IsZero() {
					t.Fatalf("got price %s blocked %t reason %q, want blocked with a reason", q.Price, q.Blocked, q.Reason)
				}
			} else if q.Blocked || !q.Price.Equal(d(tc.want)) {
				t.Fatalf("got price %s blocked %t (%s), want %s", q.Price, q.Blocked, q.Reason, tc.want)
			}
			if tc.floor != "" && !q.Floor.Equal(d(tc.floor)) {
				t.Errorf("got floor %s, want %s", q.Floor, tc.floor)
			}
			if strings.HasPrefix(q.Reason, "invalid") {
				return
			}
			if got, err := Replay(q); err != nil || !got.Equal(q.Price) {
				t.Errorf("Replay: got %s, %v, want %s", got, err, q.Price)
			}
		})
	}
}

func TestPriceKinds(t *testing.T) {
	c := d("10000")
	runPriceCases(t, []priceCase{
		{"markup", Input{Cost: c, Action: act(MarkupPercent, "7", "0")}, "10700", ""},                     // 10000 × 1.07
		{"markup plus", Input{Cost: c, Action: act(MarkupPercent, "7", "250")}, "10950", ""},              // 10700 + 250
		{"markup fraction", Input{Cost: d("1864.5"), Action: act(MarkupPercent, "7.5", "0")}, "2005", ""}, // 2004.3375 up
		{"markup 0 fractional cost", Input{Cost: d("1864.5"), Action: act(MarkupPercent, "0", "0")}, "1865", ""},
		{"markup discount hits no-loss floor", Input{Cost: c, Action: act(MarkupPercent, "-10", "0")}, "10000", "10000"}, // 9000 < 10000
		{"margin", Input{Cost: c, Action: act(MarginPercent, "20", "0")}, "12500", ""},                                   // 10000 / 0.8
		{"margin plus", Input{Cost: c, Action: act(MarginPercent, "20", "100")}, "12600", ""},                            // 12500 + 100
		{"margin 0", Input{Cost: c, Action: act(MarginPercent, "0", "0")}, "10000", ""},
		{"margin 30", Input{Cost: d("1000"), Action: act(MarginPercent, "30", "0")}, "1429", ""},           // 1428.571428571429 up
		{"margin 99.9", Input{Cost: d("1000"), Action: act(MarginPercent, "99.9", "0")}, "1000000", ""},    // 1000 / 0.001
		{"margin 99.99", Input{Cost: d("1000"), Action: act(MarginPercent, "99.99", "0")}, "10000000", ""}, // 1000 / 0.0001
		{"cost_plus", Input{Cost: c, Action: act(CostPlus, "500", "0")}, "10500", ""},
		{"cost_plus plus", Input{Cost: c, Action: act(CostPlus, "500", "100")}, "10600", ""},
		{"cost_plus negative hits no-loss floor", Input{Cost: c, Action: act(CostPlus, "-300", "0")}, "10000", ""}, // 9700 < 10000
		{"fixed", Input{Cost: c, Action: act(FixedPrice, "15000", "0")}, "15000", ""},
		{"fixed plus", Input{Cost: c, Action: act(FixedPrice, "15000", "500")}, "15500", ""},
		{"fixed below cost lifted to the floor", Input{Cost: c, Action: act(FixedPrice, "9000", "0")}, "10000", ""},
		{"fixed below cost under a ceiling", Input{Cost: c, Action: act(FixedPrice, "9000", "0"),
			Guards: []Guard{{Source: "rule-9", MaxPrice: dp("9500")}}}, "blocked", "10000"}, // floor 10000 > ceiling 9500
		{"zero cost markup", Input{Cost: d("0"), Action: act(MarkupPercent, "10", "0")}, "0", ""},
		{"zero cost markup plus", Input{Cost: d("0"), Action: act(MarkupPercent, "10", "500")}, "500", ""},
		{"zero cost fixed", Input{Cost: d("0"), Action: act(FixedPrice, "1000", "0")}, "1000", ""},
	})
}

func TestPriceRounding(t *testing.T) {
	hundredsUp, hundredsDown, hundredsNearest := grid("100", "0", RoundUp), grid("100", "0", RoundDown), grid("100", "0", RoundNearest)
	ninesUp, ninesDown, ninesNearest := grid("1000", "900", RoundUp), grid("1000", "900", RoundDown), grid("1000", "900", RoundNearest)
	c, m := d("10000"), act(MarkupPercent, "7.5", "0")  // 10750, midway between 10700 and 10800
	c2, m2 := d("13000"), act(MarkupPercent, "10", "0") // 14300: 400 above 13900, 600 below 14900
	runPriceCases(t, []priceCase{
		{"step 100 up", Input{Cost: c, Action: m, Grid: hundredsUp}, "10800", ""},
		{"step 100 down", Input{Cost: c, Action: m, Grid: hundredsDown}, "10700", ""},
		{"step 100 nearest midpoint", Input{Cost: c, Action: m, Grid: hundredsNearest}, "10800", ""},
		{"step 100 nearest below midpoint", Input{Cost: c, Action: act(MarkupPercent, "7.49", "0"), Grid: hundredsNearest}, "10700", ""}, // 10749
		{"ending 900 up", Input{Cost: c2, Action: m2, Grid: ninesUp}, "14900", ""},
		{"ending 900 down", Input{Cost: c2, Action: m2, Grid: ninesDown}, "13900", ""},
		{"ending 900 nearest", Input{Cost: c2, Action: m2, Grid: ninesNearest}, "13900", ""},
		{"ending 900 nearest up", Input{Cost: c2, Action: act(MarkupPercent, "10.8", "0"), Grid: ninesNearest}, "14900", ""}, // 14404: 504 vs 496
		// 14000 × 1.05 = 14700 rounds down to 13900, under the no-loss floor 14000: up the grid to 14900.
		{"down under the floor", Input{Cost: d("14000"), Action: act(MarkupPercent, "5", "0"), Grid: ninesDown}, "14900", "14000"},
		{"margin 30 down", Input{Cost: d("1000"), Action: act(MarginPercent, "30", "0"), Grid: grid("1", "0", RoundDown)}, "1428", ""},
		{"margin 30 nearest", Input{Cost: d("1000"), Action: act(MarginPercent, "30", "0"), Grid: grid("1", "0", RoundNearest)}, "1429", ""},
		// Below the lowest grid price (900) every mode gives 900.
		{"below the ending", Input{Cost: d("500"), Grid: ninesDown}, "900", ""},
	})
}

func TestPriceGuards(t *testing.T) {
	c := d("10000")
	amount := func(src, v string) Guard { return Guard{Source: src, MinMarginAmount: dp(v)} }
	percent := func(src, v string) Guard { return Guard{Source: src, MinMarginPercent: dp(v)} }
	maxPrice := func(src, v string) Guard { return Guard{Source: src, MaxPrice: dp(v)} }
	up50 := act(MarkupPercent, "50", "0") // 15000
	runPriceCases(t, []priceCase{
		{"floor from amount", Input{Cost: c, Guards: []Guard{amount("global", "300")}}, "10300", "10300"},
		{"floor from percent", Input{Cost: c, Guards: []Guard{percent("global", "5")}}, "10500", "10500"},
		// 1864.5 × 1.025 = 1911.1125, up to 1912.
		{"floor from percent of a fractional cost", Input{Cost: d("1864.5"), Guards: []Guard{percent("global", "2.5")}}, "1912", "1911.1125"},
		{"percent beats amount", Input{Cost: c, Guards: []Guard{{MinMarginPercent: dp("5"), MinMarginAmount: dp("300")}}}, "10500", "10500"},
		{"amount beats percent", Input{Cost: c, Guards: []Guard{{MinMarginPercent: dp("5"), MinMarginAmount: dp("800")}}}, "10800", "10800"},
		{"no-loss floor alone", Input{Cost: c, Action: act(MarkupPercent, "-10", "0"), Guards: []Guard{percent("global", "0")}}, "10000", "10000"},
		// max(10200, 10300, 10000, no loss 10000) = 10300
		{"several guards take the highest floor", Input{Cost: c, Guards: []Guard{
			amount("rule-7", "200"), percent("rule-9", "3"), amount("global", "0")}}, "10300", "10300"},
		{"action above the floor is kept", Input{Cost: c, Action: act(MarkupPercent, "7", "0"), Guards: []Guard{amount("global", "300")}}, "10700", "10300"},
		// 10000 rounds up to 10900, under the floor 11000: up the grid to 11900.
		{"floor moves up the grid", Input{Cost: c, Grid: grid("1000", "900", RoundUp), Guards: []Guard{amount("global", "1000")}}, "11900", "11000"},
		{"ceiling", Input{Cost: c, Action: up50, Guards: []Guard{maxPrice("rule-9", "14000")}}, "14000", ""},
		// 15000 rounds up to 15900, over 14000: down the grid to 13900.
		{"ceiling moves down the grid", Input{Cost: c, Action: up50, Grid: grid("1000", "900", RoundUp),
			Guards: []Guard{maxPrice("rule-9", "14000")}}, "13900", ""},
		{"lowest ceiling wins", Input{Cost: c, Action: up50, Grid: grid("1000", "900", RoundUp),
			Guards: []Guard{maxPrice("rule-7", "14500"), maxPrice("rule-9", "14000")}}, "13900", ""},
		{"ceiling equal to the price", Input{Cost: c, Action: up50, Guards: []Guard{maxPrice("rule-9", "15000")}}, "15000", ""},
		{"ceiling above the price", Input{Cost: c, Action: up50, Guards: []Guard{maxPrice("rule-9", "20000")}}, "15000", ""},
		{"floor and ceiling both apply", Input{Cost: c, Action: up50, Grid: grid("100", "0", RoundUp),
			Guards: []Guard{amount("global", "250"), maxPrice("rule-9", "10399")}}, "10300", "10250"},
	})
}

func TestPriceBlocked(t *testing.T) {
	floor50 := Guard{Source: "global", MinMarginAmount: dp("50")} // cost 15000: floor 15050
	runPriceCases(t, []priceCase{
		// Grid prices 15000 and 15100 straddle [15050, 15080].
		{"no grid price between floor and ceiling", Input{Cost: d("15000"), Grid: grid("100", "0", RoundUp),
			Guards: []Guard{floor50, {Source: "rule-9", MaxPrice: dp("15080")}}}, "blocked", "15050"},
		{"grid price on the ceiling", Input{Cost: d("15000"), Grid: grid("100", "0", RoundUp),
			Guards: []Guard{floor50, {Source: "rule-9", MaxPrice: dp("15100")}}}, "15100", "15050"},
		{"ceiling below cost", Input{Cost: d("10000"), Guards: []Guard{{MaxPrice: dp("9000")}}}, "blocked", "10000"},
		{"ceiling below the percent floor", Input{Cost: d("10000"), Guards: []Guard{{MinMarginPercent: dp("10"), MaxPrice: dp("10999")}}}, "blocked", "11000"},
		// The lowest grid price is 900, above the ceiling 800.
		{"ceiling below the lowest grid price", Input{Cost: d("500"), Grid: grid("1000", "900", RoundUp),
			Guards: []Guard{{MaxPrice: dp("800")}}}, "blocked", "500"},
	})

	q := Price(Input{Cost: d("15000"), Grid: grid("100", "0", RoundUp), Guards: []Guard{floor50, {Source: "rule-9", MaxPrice: dp("15080")}}})
	for _, want := range []string{"15050", "15080", "step 100"} {
		if !strings.Contains(q.Reason, want) {
			t.Errorf("reason %q does not mention %s", q.Reason, want)
		}
	}
	if got := q.Steps[4].Detail; !strings.Contains(got, "under the floor 15050") {
		t.Errorf("ceiling step %q does not say 15000 is under the floor", got)
	}
	if !q.Margin.IsZero() || !q.MarginPercent.IsZero() || !q.MarkupPercent.IsZero() {
		t.Errorf("blocked quote reports margin %s (%s%%, markup %s%%), want zeros", q.Margin, q.MarginPercent, q.MarkupPercent)
	}

	// The ceiling 800 is under the lowest grid price, 900.
	q = Price(Input{Cost: d("500"), Grid: grid("1000", "900", RoundUp), Guards: []Guard{{MaxPrice: dp("800")}}})
	if got := q.Steps[4].Detail; !strings.Contains(got, "900 is above it, and no grid price is at or below it") {
		t.Errorf("ceiling step %q does not say no grid price fits under 800", got)
	}
}

func TestPriceInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		want []string // in the reason
	}{
		{"negative cost", Input{Cost: d("-1")}, []string{"cost: must not be negative"}},
		{"margin 100", Input{Cost: d("1000"), Action: act(MarginPercent, "100", "0"), ActionSource: "rule-1"}, []string{"action.value", "rule-1"}},
		{"step 0", Input{Cost: d("1000"), Grid: Grid{Mode: RoundUp}, GridSource: "rule-2"}, []string{"round.step", "rule-2"}},
		{"guard", Input{Cost: d("1000"), Guards: []Guard{{Source: "rule-9", MaxPrice: dp("-1")}}}, []string{"guard.max_price", "rule-9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := Price(tc.in)
			if !q.Blocked || !q.Price.IsZero() {
				t.Fatalf("got price %s blocked %t, want blocked", q.Price, q.Blocked)
			}
			for _, w := range append(tc.want, "invalid input") {
				if !strings.Contains(q.Reason, w) {
					t.Errorf("reason %q does not mention %q", q.Reason, w)
				}
			}
			if _, err := Replay(q); err == nil {
				t.Errorf("Replay of an invalid quote: got no error")
			}
		})
	}
}

func TestPriceDefaults(t *testing.T) {
	q := Price(Input{Cost: d("1864.5")})
	if !q.Price.Equal(d("1865")) {
		t.Fatalf("got price %s, want 1865", q.Price)
	}
	if q.Action.Kind != MarkupPercent || !q.Action.Value.IsZero() {
		t.Errorf("got action %s %s, want markup_percent 0", q.Action.Kind, q.Action.Value)
	}
	if !q.Grid.Step.Equal(d("1")) || q.Grid.Mode != RoundUp {
		t.Errorf("got grid %s, want step 1 mode up", q.Grid)
	}
	for _, i := range []int{1, 2} {
		if !strings.Contains(q.Steps[i].Detail, "built-in default") {
			t.Errorf("%s step %q does not say it is the default", q.Steps[i].Stage, q.Steps[i].Detail)
		}
	}
}

func TestPriceReport(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		in                           Input
		margin, marginPct, markupPct string
	}{
		// 700 / 10700 = 6.54205...%
		{"markup 7", Input{Cost: d("10000"), Action: act(MarkupPercent, "7", "0")}, "700", "6.5421", "7"},
		{"margin 20", Input{Cost: d("10000"), Action: act(MarginPercent, "20", "0")}, "2500", "20", "25"},
		{"zero cost", Input{Cost: d("0"), Action: act(FixedPrice, "1000", "0")}, "1000", "100", "0"},
		{"zero price", Input{Cost: d("0")}, "0", "0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := Price(tc.in)
			if !q.Margin.Equal(d(tc.margin)) || !q.MarginPercent.Equal(d(tc.marginPct)) || !q.MarkupPercent.Equal(d(tc.markupPct)) {
				t.Errorf("got margin %s, %s%%, markup %s%%; want %s, %s%%, %s%%",
					q.Margin, q.MarginPercent, q.MarkupPercent, tc.margin, tc.marginPct, tc.markupPct)
			}
		})
	}
}

func TestPriceTrace(t *testing.T) {
	// 10000 × 0.9 = 9000, on the grid; under the floor 10250: up the grid to 10300.
	q := Price(Input{
		Cost: d("10000"), Action: act(MarkupPercent, "-10", "0"), ActionSource: "rule-1",
		Grid: grid("100", "0", RoundUp), GridSource: "rule-2",
		Guards: []Guard{{Source: "global", MinMarginAmount: dp("250")}},
	})
	want := []struct {
		stage, in, out, mentions string
	}{
		{StageCost, "10000", "10000", "10000"},
		{StageAction, "10000", "9000", "rule-1"},
		{StageRound, "9000", "9000", "rule-2"},
		{StageFloor, "9000", "10300", "min_margin_amount 10250 (global)"},
		{StageCeiling, "10300", "10300", "no ceiling"},
		{StageResult, "10300", "10300", "margin 300"},
	}
	if len(q.Steps) != len(want) {
		t.Fatalf("got %d steps, want %d: %+v", len(q.Steps), len(want), q.Steps)
	}
	for i, w := range want {
		s := q.Steps[i]
		if s.Stage != w.stage || !s.In.Equal(d(w.in)) || !s.Out.Equal(d(w.out)) || !strings.Contains(s.Detail, w.mentions) {
			t.Errorf("step %d: got %s %s→%s %q, want %s %s→%s mentioning %q", i, s.Stage, s.In, s.Out, s.Detail, w.stage, w.in, w.out, w.mentions)
		}
	}
}

// TestPriceAboveTheCapIsBlocked: a valid rule whose price passes MaxPrice
// blocks the item with the reason, in Price, Amount and Replay alike; a
// ceiling at or under the cap brings it back.
func TestPriceAboveTheCapIsBlocked(t *testing.T) {
	in := Input{Cost: d("13338"), Action: Action{Kind: MarginPercent, Value: d("99.9999")}}
	q := Price(in)
	if !q.Blocked || !strings.Contains(q.Reason, "highest price") || !q.Price.IsZero() {
		t.Fatalf("got price %s blocked %t %q, want blocked above the cap", q.Price, q.Blocked, q.Reason)
	}
	if p, blocked, reason := Amount(in); !blocked || reason != q.Reason || !p.IsZero() {
		t.Fatalf("Amount: got %s %t %q, want Price's %q", p, blocked, reason, q.Reason)
	}
	if _, err := Replay(q); err != nil {
		t.Fatalf("Replay of a capped quote: %v", err)
	}
	in.Guards = []Guard{{Source: "rule-1", MaxPrice: dp("50000")}}
	if q := Price(in); q.Blocked || !q.Price.Equal(d("50000")) {
		t.Fatalf("with max_price 50000: got %s blocked %t %q", q.Price, q.Blocked, q.Reason)
	}
	// A cost past the cap is invalid input, blocked before any arithmetic.
	if q := Price(Input{Cost: d("1000000001")}); !q.Blocked || !strings.Contains(q.Reason, "invalid input") {
		t.Fatalf("cost past the cap: got %s blocked %t %q", q.Price, q.Blocked, q.Reason)
	}
}
