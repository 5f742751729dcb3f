package api

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/fault"
)

// guideCodes reads the error tables of docs/storefront.md: each section
// under "## Error codes" (by its ### heading) to the codes its table rows
// name, with their HTTP status.
func guideCodes(t *testing.T) map[string]map[fault.Code]int {
	t.Helper()
	b, err := os.ReadFile("../docs/storefront.md")
	if err != nil {
		t.Fatal(err)
	}
	_, errs, ok := strings.Cut(string(b), "\n## Error codes\n")
	if !ok {
		t.Fatal(`docs/storefront.md has no "## Error codes" section`)
	}
	errs, _, _ = strings.Cut(errs, "\n## ") // to the next section, if any
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| ([0-9]{3}) \\|")
	sections := map[string]map[fault.Code]int{}
	section := ""
	seen := map[fault.Code]string{}
	for _, line := range strings.Split(errs, "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			section = h
			sections[section] = map[fault.Code]int{}
			continue
		}
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if section == "" {
			t.Fatalf("docs/storefront.md: a code row before the first ### heading: %s", line)
		}
		code := fault.Code(m[1])
		status, _ := strconv.Atoi(m[2])
		if prev, ok := seen[code]; ok {
			t.Errorf("docs/storefront.md: code %s is in %q and again in %q", code, prev, section)
		}
		seen[code] = section
		sections[section][code] = status
	}
	return sections
}

// TestStorefrontGuideErrorCodes: the guide's error tables hold every code
// of fault's table (the API's one list of codes) that the API answers in
// its envelope, each once and with the status the API answers it with,
// and no code fault does not have.
func TestStorefrontGuideErrorCodes(t *testing.T) {
	notInGuide := map[fault.Code]string{
		fault.BadWebhook: "answered in the supplier's shape, never in the envelope",
	}
	all := map[fault.Code]int{}
	for _, codes := range guideCodes(t) {
		for code, status := range codes {
			all[code] = status
		}
	}
	for _, code := range fault.Codes() {
		status, ok := all[code]
		_, skip := notInGuide[code]
		switch {
		case skip && ok:
			t.Errorf("code %s is in the guide, but the test says it is not: %s", code, notInGuide[code])
		case skip:
		case !ok:
			t.Errorf("code %s (%d) can be answered by the API but docs/storefront.md's error tables do not list it", code, fault.Status(code))
		case status != fault.Status(code):
			t.Errorf("code %s: the guide says %d, the API answers %d", code, status, fault.Status(code))
		}
	}
	for code := range all {
		if !slices.Contains(fault.Codes(), code) {
			t.Errorf("the guide lists code %s, which fault's table does not have", code)
		}
	}
}

// guideOperations are the operationIds of the guide's table of what a
// storefront token may call.
func guideOperations(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/storefront.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(?:GET|POST|PUT|PATCH|DELETE) /[^`]*` \\| `([a-zA-Z]+)` \\|")
	var ids []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestStorefrontGuideCoversStorefrontRoutes: every code openapi.json names
// in the responses of an operation the guide says a storefront may call
// (their own words and the shared responses they refer to) is in the
// guide's table of the storefront's routes, so a code added to those
// routes' documentation cannot be missing from what storefront developers
// are told to handle.
func TestStorefrontGuideCoversStorefrontRoutes(t *testing.T) {
	sections := guideCodes(t)
	storefront := sections["On a storefront's routes"]
	if len(storefront) == 0 {
		t.Fatal(`docs/storefront.md: no codes under "### On a storefront's routes"`)
	}
	d := loadAPIDoc(t)
	ops := map[string]map[string]any{}
	paths, _ := d.root["paths"].(map[string]any)
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			if op, ok := op.(map[string]any); ok {
				if id, _ := op["operationId"].(string); id != "" {
					ops[id] = op
				}
			}
		}
	}
	ids := guideOperations(t)
	if len(ids) < 8 {
		t.Fatalf("docs/storefront.md: got operations %v from the routes table, want the storefront's eight", ids)
	}
	for _, id := range ids {
		op, ok := ops[id]
		if !ok {
			t.Errorf("openapi.json has no operation %s", id)
			continue
		}
		// The operation's own text and that of each response it refers to.
		var text strings.Builder
		b, _ := json.Marshal(op)
		text.Write(b)
		responses, _ := op["responses"].(map[string]any)
		for _, r := range responses {
			resolved, err := d.deref(r)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			b, _ := json.Marshal(resolved)
			text.Write(b)
		}
		for _, code := range fault.Codes() {
			named := regexp.MustCompile(`\b` + regexp.QuoteMeta(string(code)) + `\b`).MatchString(text.String())
			if _, ok := storefront[code]; named && !ok {
				t.Errorf("openapi.json names code %s on %s, but the guide's table of the storefront's routes does not list it", code, id)
			}
		}
	}
}
