package console

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
)

// parsePages parses the layout, the shared partials and every page into
// one template set, and names the pages it holds. Page NAME defines
// "content:NAME"; "layout:NAME" is it between the layout's "top" and
// "bottom". One set, rather than a clone of the layout and partials for
// each page: html/template's Clone copies every parse tree, and the twelve
// copies were 1.2 MB and 24,000 objects of a serving syncd's live heap,
// marked again at every garbage collection (issue 17). assets gives the
// static files' URLs their content hashes.
func parsePages(assets map[string]asset) (*template.Template, map[string]bool, error) {
	funcs := template.FuncMap{
		"idr":     idr,
		"idrp":    idrp,
		"when":    when,
		"whenp":   whenp,
		"ago":     ago,
		"agop":    agop,
		"untilp":  untilp,
		"pct":     pct,
		"pctp":    pctp,
		"msp":     msp,
		"add":     func(a, b int) int { return a + b },
		"field":   fieldID,
		"asset":   func(name string) string { return Prefix + "/static/" + name + "?v=" + assets[name].hash },
		"escpath": url.PathEscape,
		"deref":   func(p *int64) int64 { return *p },
		"derefs":  func(p *string) string { return *p },
		"stamp":   stamp,
		// Arguments of the rule form's partials.
		"in": func(path, name, label, value string, errors map[string]string, placeholder, kind string) map[string]any {
			return map[string]any{"path": path, "name": name, "label": label, "value": value, "errors": errors,
				"placeholder": placeholder, "kind": kind}
		},
		"fe": func(path string, errors map[string]string) map[string]any {
			return map[string]any{"path": path, "errors": errors}
		},
		"mv": func(title string, list []catalog.ImpactItem) map[string]any {
			return map[string]any{"title": title, "list": list}
		},
	}
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, nil, err
	}
	set, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, nil, err
	}
	pages := map[string]bool{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		if set.Lookup("content:"+name) == nil {
			return nil, nil, fmt.Errorf("templates/%s defines no \"content:%s\"", e.Name(), name)
		}
		layout := fmt.Sprintf(`{{define "layout:%[1]s"}}{{template "top" .}}{{template "content:%[1]s" .}}{{template "bottom" .}}{{end}}`, name)
		if _, err := set.Parse(layout); err != nil {
			return nil, nil, err
		}
		pages[name] = true
	}
	return set, pages, nil
}

// idr writes whole rupiah the Indonesian way: 1.234.500.
func idr(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// idrp is idr of an optional amount, a dash for none.
func idrp(v *int64) string {
	if v == nil {
		return "—"
	}
	return idr(*v)
}

const timeLayout = "2006-01-02 15:04 UTC"

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}

func whenp(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return when(*t)
}

// stamp is a stored time (syncd.FormatTime's text) as when writes it.
func stamp(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return when(t)
}

// ago says how long before now t was, roughly.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h ago", d.Hours())
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func agop(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return ago(*t)
}

// untilp says how long from now t is, roughly.
func untilp(t *time.Time) string {
	if t == nil {
		return "never"
	}
	d := time.Until(*t)
	switch {
	case d <= 0:
		return "passed"
	case d < time.Minute:
		return fmt.Sprintf("in %ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("in %d min", int(d.Minutes()))
	}
	return fmt.Sprintf("in %.1f h", d.Hours())
}

// pct writes a decimal string as a percentage, two places at most.
func pct(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return d.Round(2).String() + "%"
}

// pctp writes a report's percentage (a decimal string, nil for none).
func pctp(s *string) string {
	if s == nil {
		return "—"
	}
	return *s + "%"
}

// msp writes a duration in milliseconds as people read it: 850 ms, 4.2 s,
// 3 min 5 s, 2 h 10 min; a dash for none.
func msp(ms *int64) string {
	if ms == nil {
		return "—"
	}
	d := time.Duration(*ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", *ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// fieldID is the HTML id of a form field named by its JSON path.
func fieldID(path string) string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(path) }

// pageOf reads ?page=, from 1.
func pageOf(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// pager is a page of a longer list, and the links to its neighbours.
type pager struct {
	Page, Size, Total int
	From, To          int // 1-based positions shown
	Prev, Next        string
}

// newPager describes page (from 1) of total entries, size a page; link
// makes the URL of another page.
func newPager(page, size, total int, link func(page int) string) pager {
	p := pager{Page: page, Size: size, Total: total}
	if total > 0 {
		p.From = min((page-1)*size+1, total+1)
		p.To = min(page*size, total)
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page*size < total {
		p.Next = link(page + 1)
	}
	return p
}

// withPage is u's query with page set.
func withPage(base string, q url.Values, page int) string {
	q2 := url.Values{}
	for k, v := range q {
		if k != "page" && len(v) > 0 && v[0] != "" {
			q2[k] = v[:1]
		}
	}
	if page > 1 {
		q2.Set("page", strconv.Itoa(page))
	}
	if len(q2) == 0 {
		return base
	}
	return base + "?" + q2.Encode()
}
