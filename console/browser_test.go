package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/orders"
)

const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium with a fresh profile and returns a tab's
// context. Without Chromium the test is skipped, except under CI, where
// .ci/run installs it and a skip would hide a broken console.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no %s (apt-get install chromium); CI runs this test", chromiumPath)
		}
		t.Fatalf("CI must run the browser test: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds one step of a browser flow, so a step that never
// completes fails naming itself and what the page showed. It measures
// nothing: a step takes under 2 s even with CI's other packages on both
// cores, and a deadline on the whole flow would fail a loaded machine
// instead of a broken page.
const stepTimeout = 45 * time.Second

// tab is a browser tab under test. Every step runs with its own deadline;
// a failed one reports the page's address, its flash and error messages,
// and leaves a screenshot.
type tab struct {
	t   *testing.T
	ctx context.Context // the tab's, without a deadline
	dir string          // screenshots
}

// newTab starts the browser. Screenshots go where SYNCD_SCREENSHOTS says
// (never committed), else to the test's temporary directory.
func newTab(t *testing.T) *tab {
	dir := os.Getenv("SYNCD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, ctx: browser(t), dir: dir}
}

// run runs one step, failing the test if it errs or outlasts stepTimeout.
func (b *tab) run(what string, step func(context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := step(ctx); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.state("failed"))
	}
}

// do runs the actions as one step.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.run(what, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) })
}

// get runs an action that reads the page as one step.
func get[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	var v T
	b.run(what, func(ctx context.Context) (err error) {
		v, err = chromedp.Run(ctx, a)
		return err
	})
	return v
}

// text is the trimmed text of the first element sel matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// take saves a full-page screenshot as name.png.
func (b *tab) take(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// state describes the page for a failure: its address and title, and the
// messages a person would read first. It saves a screenshot as name.png
// and never fails the test itself.
func (b *tab) state(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	desc, err := chromedp.Run(ctx, chromedp.Evaluate[string](stateJS))
	if err != nil {
		return fmt.Sprintf("the page could not be read: %v", err)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		if os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644) == nil {
			desc += "\nscreenshot: " + filepath.Join(b.dir, name+".png")
		}
	}
	return desc
}

// stateJS is the page's address, title, and the text of its flash
// messages, error summary and impact preview.
const stateJS = `(() => {
  const parts = [location.href, document.title];
  for (const el of document.querySelectorAll(".flash, .summary, #preview")) parts.push(el.className + ": " + el.innerText.trim().slice(0, 300));
  if (document.querySelector(".htmx-request")) parts.push("an htmx request is in flight");
  return parts.join("\n  ");
})()`

// TestBrowserFlow drives the console in a real browser: a merchandiser
// signs in, writes a rule, previews its impact, saves it and sees the
// catalog price change, links an unmatched offer; an admin reads the
// suppliers' scorecards and the week's report, picks another period, and
// settles an order in attention. Every page is photographed at laptop and
// phone width.
func TestBrowserFlow(t *testing.T) {
	e := newEnv(t)
	order := e.attentionOrder("browser-1")
	b := newTab(t)
	base := e.srv.URL + "/console"
	do, text, shot := b.do, b.text, b.take
	signIn := func(token string) {
		t.Helper()
		do("sign in",
			chromedp.Navigate(base+"/catalog"), // redirected to sign-in
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), token),
			chromedp.Click(chromedp.CSS(`form[action="/console/signin"] button`)),
			chromedp.WaitVisible(chromedp.CSS("table.catalog")),
		)
	}

	do("sign-in page", chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#token")))
	shot("signin")
	signIn(e.merch)
	shot("catalog")

	// The item's price before the rule: its cheapest offer's cost.
	priceCell := "table.catalog tbody td[data-label=Price]"
	do("catalog search", chromedp.Navigate(base+"/catalog?q="+diamonds86), chromedp.WaitVisible(chromedp.CSS(priceCell)))
	before := text(priceCell)

	// A rule: +10% on Mobile Legends, rounded up to 100. Preview, then save.
	do("new rule",
		chromedp.Navigate(base+"/rules/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "MLBB +10%"),
		chromedp.SendKeys(chromedp.CSS("#f-match-game"), "mobile-legends"),
		chromedp.SendKeys(chromedp.CSS("#f-action-value"), "10"),
		chromedp.SendKeys(chromedp.CSS("#f-round-step"), "100"),
		chromedp.Click(chromedp.CSS("#preview-button")),
		chromedp.WaitVisible(chromedp.CSS("#impact-changed")),
	)
	if changed := text("#impact-changed"); changed == "0" || changed == "" {
		t.Fatalf("preview: %q prices changed, want some", changed)
	}
	if n, _ := e.cat.Rules().List(context.Background()); len(n) != 0 {
		t.Fatalf("the preview saved a rule: %+v", n)
	}
	shot("rule-preview")
	do("save rule",
		chromedp.Click(chromedp.CSS("#save-button")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	if msg := text(".flash.ok"); !strings.Contains(msg, "Saved rule") {
		t.Fatalf("after save: got %q", msg)
	}
	shot("rule-saved")
	do("catalog after", chromedp.Navigate(base+"/catalog?q="+diamonds86), chromedp.WaitVisible(chromedp.CSS(priceCell)))
	after := text(priceCell)
	if after == before || after != "22.400" { // 20,350 × 1.1 = 22,385, up to 22,400
		t.Fatalf("catalog price: before %s, after %s; want 22.400 after", before, after)
	}
	do("rules list", chromedp.Navigate(base+"/rules"), chromedp.WaitVisible(chromedp.CSS("table.rules")))
	shot("rules")
	do("item", chromedp.Navigate(base+"/items/"+diamonds86), chromedp.WaitVisible(chromedp.CSS("figure.chart svg")))
	shot("item")

	// Link the offer the matcher could not place.
	do("matching", chromedp.Navigate(base+"/matching"), chromedp.WaitVisible(chromedp.CSS("ul.review")))
	shot("matching")
	offerID := e.reviewOffer(bundleCode)
	input := "#link-" + offerID
	do("link",
		chromedp.SetValue(chromedp.CSS(input), twilightPass),
		chromedp.Click(chromedp.CSS("#offer-"+offerID+` form[action$="/link"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	if msg := text(".flash.ok"); !strings.Contains(msg, "Linked offer "+offerID) {
		t.Fatalf("after link: got %q", msg)
	}
	if it, _ := e.cat.Snapshot().Item(twilightPass); !hasOffer(it.Offers, bundleCode) {
		t.Fatalf("%s does not hold the linked offer after the link", twilightPass)
	}

	// Link a supplier game into the game of the same name without a
	// region, from its game-level entry.
	e.barePUBG()
	entry := "#game-pubg-mobile-global #sg-senpay-PUBGM-RCF"
	do("matching with a game entry", chromedp.Navigate(base+"/matching"), chromedp.WaitVisible(chromedp.CSS(entry)))
	shot("matching-games")
	do("link game",
		chromedp.Click(chromedp.CSS(entry+" form.link-game button")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	if msg := text(".flash.ok"); !strings.Contains(msg, "Linked senpay/PUBGM-RCF into pubg-mobile") {
		t.Fatalf("after the game link: got %q", msg)
	}
	if it, ok := e.cat.Snapshot().Item("pubg-mobile.uc-60"); !ok || !hasOffer(it.Offers, "PUBGM-RCFPUBGM_60UC") {
		t.Fatalf("pubg-mobile.uc-60 after the game link: got %v (%v), want Senpay's Global 60 UC in it", it, ok)
	}
	if n := get(b, "count the game entries", chromedp.Evaluate[int](`document.querySelectorAll("#sg-senpay-PUBGM-RCF").length`)); n != 0 {
		t.Fatalf("the linked supplier game is still offered on the page (%d)", n)
	}
	shot("matching-game-linked")

	// An admin settles the order in attention.
	do("sign out", chromedp.Click(chromedp.CSS(`form.who button`)), chromedp.WaitVisible(chromedp.CSS("#token")))
	signIn(e.admin)
	// A week of orders behind the shop, for the reports and scorecards,
	// with a store-wide markup beside the merchandiser's.
	e.storeWideMarkup("6")
	e.history(6)
	if _, err := e.reports.Fold(context.Background()); err != nil {
		t.Fatal(err)
	}
	do("suppliers", chromedp.Navigate(base+"/suppliers"), chromedp.WaitVisible(chromedp.CSS("article.supplier section.scorecard")))
	shot("suppliers")
	do("reports", chromedp.Navigate(base+"/reports?tz=Asia%2FJakarta"), chromedp.WaitVisible(chromedp.CSS("figure.report-chart svg rect.rev")))
	shot("reports")
	do("reports: last 30 days",
		chromedp.Click(chromedp.CSS(`nav.statuses a[href*="from="]:last-child`)),
		// The old page marks "Last 7 days" current and stays queryable
		// until the new one commits: wait for the last link to be current.
		chromedp.WaitVisible(chromedp.CSS(`nav.statuses a[href*="from="][aria-current="page"]:last-child`)),
	)
	if got := text(`nav.statuses a[aria-current="page"]`); got != "Last 30 days" {
		t.Fatalf("after choosing the last 30 days: %q is the current period", got)
	}
	do("orders", chromedp.Navigate(base+"/orders"), chromedp.WaitVisible(chromedp.CSS("table.orders")))
	shot("orders")
	do("settle",
		chromedp.Navigate(base+"/orders/"+order.ID),
		chromedp.WaitVisible(chromedp.CSS("#note")),
	)
	shot("order")
	do("settle",
		chromedp.SendKeys(chromedp.CSS("#sn"), "SN-123"),
		chromedp.SendKeys(chromedp.CSS("#note"), "Isipay support confirmed delivery"),
		chromedp.Click(chromedp.CSS(`form[action$="/settle"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	if o, err := e.svc.Get(context.Background(), order.ID, ""); err != nil || o.Status != orders.Success || o.SN != "SN-123" {
		t.Fatalf("after settling: got %+v, %v; want success with SN-123", o, err)
	}
	shot("order-settled")

	// Phone width: every page again.
	do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []struct{ name, path, wait string }{
		{"catalog", "/catalog?game=mobile-legends", "table.catalog"},
		{"item", "/items/" + diamonds86, "figure.chart"},
		{"rules", "/rules", "table.rules"},
		{"matching", "/matching", "main h1"},
		{"suppliers", "/suppliers", "article.supplier"},
		{"orders", "/orders", "table.orders"},
		{"order", "/orders/" + order.ID, "main h1"},
		{"reports", "/reports", "figure.report-chart"},
	} {
		do(p.name+" on a phone", chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		shot("phone-" + p.name)
		if wide := get(b, "measure "+p.name, chromedp.Evaluate[string](overflowJS)); wide != "" {
			t.Errorf("%s on a phone is wider than the screen: %s", p.name, wide)
		}
	}
	do("rule form on a phone",
		chromedp.Navigate(base+"/rules/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Free Fire"),
		chromedp.SendKeys(chromedp.CSS("#f-match-game"), "free-fire"),
		chromedp.SendKeys(chromedp.CSS("#f-action-value"), "abc"),
		chromedp.Click(chromedp.CSS("#save-button")),
		chromedp.WaitVisible(chromedp.CSS(".summary")),
	)
	if v := get(b, "the name typed", chromedp.Value(chromedp.CSS("#f-name"))); v != "Free Fire" {
		t.Fatalf("after a refused save the name is %q, want what was typed", v)
	}
	shot("phone-rule-errors")
	t.Logf("screenshots in %s", b.dir)
}

// overflowJS names the elements that stick out past the right edge of
// the screen, the innermost first; "" when the page fits.
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".scroll")) continue;
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + " right=" + Math.round(r.right));
  }
  return out.reverse().slice(0, 5).join(", ");
})()`
