package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testenv"
)

// tokenNamed is the id of the newest token named name.
func (c *catalogEnv) tokenNamed(t *testing.T, name string) int64 {
	t.Helper()
	list, err := c.tokens.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range slices.Backward(list) {
		if tok.Name == name {
			return tok.ID
		}
	}
	t.Fatalf("no token named %s", name)
	return 0
}

// grant sets the tiers of the token named name over the API, as an admin.
func (c *catalogEnv) grant(t *testing.T, name string, tiers ...string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"tiers": tiers})
	resp, b := c.call(t, "PATCH", fmt.Sprintf("/v1/tokens/%d", c.tokenNamed(t, name)), adminToken, string(body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("grant %v to %s: got %d, want 200: %s", tiers, name, resp.StatusCode, b)
	}
}

// createTier makes a price tier as the merchandiser.
func (c *catalogEnv) createTier(t *testing.T, id string) {
	t.Helper()
	resp, b := c.call(t, "POST", "/v1/tiers", c.merchandiser, fmt.Sprintf(`{"id": %q, "name": %q}`, id, id))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create tier %s: got %d, want 201: %s", id, resp.StatusCode, b)
	}
}

// tierReads are the storefront reads of tier ("": none named, public).
func (c *catalogEnv) tierReads(tier string) []string {
	q, changes := "", fmt.Sprintf("/v1/catalog/changes?since=%d", c.cat.Snapshot().Version)
	if tier != "" {
		q = "?tier=" + tier
		changes += "&tier=" + tier
	}
	return []string{"/v1/games" + q, "/v1/games/mobile-legends" + q, "/v1/items/" + diamonds86 + q, "/v1/catalog" + q, changes}
}

// wantTierForbidden checks a 403 tier_forbidden naming tier and the tiers
// the token may use.
func wantTierForbidden(t *testing.T, what string, resp *http.Response, body []byte, tier string, granted ...string) {
	t.Helper()
	wantError(t, what, resp, body, http.StatusForbidden, "tier_forbidden")
	d := decodeError(t, body).Error.Details
	if d["tier"] != tier || fmt.Sprint(d["tiers"]) != fmt.Sprint(granted) {
		t.Fatalf("%s: details %v, want tier %s and tiers %v", what, d, tier, granted)
	}
}

// TestTierEntitlementReads: a storefront reads only the tiers its token
// was granted (public unless told otherwise); merchandisers and admins
// read every tier; an admin's change of a token's tiers holds from the
// next request.
func TestTierEntitlementReads(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	c.createTier(t, "wholesale")
	admin := c.token(t, auth.RoleAdmin)

	for _, tier := range []string{"", "public"} {
		for _, p := range c.tierReads(tier) {
			if resp, b := c.call(t, "GET", p, c.storefront, ""); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s as a new storefront: got %d, want 200: %s", p, resp.StatusCode, b)
			}
		}
	}
	for _, p := range c.tierReads("wholesale") {
		resp, b := c.call(t, "GET", p, c.storefront, "")
		wantTierForbidden(t, "GET "+p+" as a storefront of public", resp, b, "wholesale", "public")
		for who, token := range map[string]string{"merchandiser": c.merchandiser, "admin": admin, "bootstrap admin": adminToken} {
			if resp, b := c.call(t, "GET", p, token, ""); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s as %s: got %d, want 200: %s", p, who, resp.StatusCode, b)
			}
		}
	}
	// A tier that does not exist is as forbidden: whether it does is not
	// the storefront's business.
	resp, b := c.call(t, "GET", "/v1/games?tier=gold", c.storefront, "")
	wantTierForbidden(t, "a tier that does not exist", resp, b, "gold", "public")

	c.grant(t, "storefront-test", "public", "wholesale")
	for _, p := range c.tierReads("wholesale") {
		if resp, b := c.call(t, "GET", p, c.storefront, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s once granted: got %d, want 200 at once: %s", p, resp.StatusCode, b)
		}
	}
	// Taking public away leaves the storefront wholesale only, and a read
	// that names no tier is a read of public.
	c.grant(t, "storefront-test", "wholesale")
	for _, p := range c.tierReads("") {
		resp, b := c.call(t, "GET", p, c.storefront, "")
		wantTierForbidden(t, "GET "+p+" after public was taken away", resp, b, "public", "wholesale")
	}
	if resp, b := c.call(t, "GET", c.tierReads("wholesale")[0], c.storefront, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("wholesale after public was taken away: got %d, want 200: %s", resp.StatusCode, b)
	}

	var list struct{ Tokens []auth.Token }
	c.get(t, "/v1/tokens", admin, &list)
	got := map[string][]string{}
	for _, tok := range list.Tokens {
		got[tok.Name] = tok.Tiers
	}
	if !slices.Equal(got["storefront-test"], []string{"wholesale"}) || got["merchandiser-test"] != nil || got["admin-test"] != nil {
		t.Fatalf("token list tiers: got %v, want storefront-test [wholesale], the others null", got)
	}
}

// wholesaleOrder is an order of diamonds86 in the wholesale tier.
func wholesaleOrder(ref string, price int64) string {
	return fmt.Sprintf(`{"reference":%q,"item":%q,"tier":"wholesale","fields":{"user_id":"12345678","server":"1234"},"expected_price":%d}`,
		ref, diamonds86, price)
}

// TestTierEntitlementOrders: an order in a tier the storefront was not
// granted is a 403 that stores and buys nothing, also as a replay of an
// order taken while the tier was granted.
func TestTierEntitlementOrders(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	c.createTier(t, "wholesale")
	c.createRule(t, `{"name": "wholesale -", "match": {"tier": "wholesale"}, "action": {"kind": "cost_plus", "value": "10"}}`)
	var it struct{ Item wireItem }
	c.get(t, "/v1/items/"+diamonds86+"?tier=wholesale", c.merchandiser, &it)
	if it.Item.Price == nil || *it.Item.Price == c.price(t, diamonds86) {
		t.Fatalf("wholesale price: got %v, want one other than public's", deref(it.Item.Price))
	}
	price := *it.Item.Price

	resp, b := c.call(t, "POST", "/v1/orders", c.storefront, wholesaleOrder("w-1", price))
	wantTierForbidden(t, "order in a tier not granted", resp, b, "wholesale", "public")
	var list struct{ Orders []wireOrder }
	c.get(t, "/v1/orders?reference=w-1", c.storefront, &list)
	if n := len(list.Orders); n != 0 || c.purchases() != 0 {
		t.Fatalf("after the refusal: %d orders, %d purchases; want none", n, c.purchases())
	}
	c.get(t, "/v1/orders", c.admin, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("orders stored: got %d, want none", len(list.Orders))
	}

	c.grant(t, "storefront-test", "public", "wholesale")
	resp, b = c.call(t, "POST", "/v1/orders", c.storefront, wholesaleOrder("w-1", price))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("order once granted: got %d, want 201: %s", resp.StatusCode, b)
	}
	o := decodeOrder(t, b)
	if o.Tier != "wholesale" || o.Price != price {
		t.Fatalf("order: got tier %s at %d, want wholesale at %d", o.Tier, o.Price, price)
	}

	c.grant(t, "storefront-test", "public")
	resp, b = c.call(t, "POST", "/v1/orders", c.storefront, wholesaleOrder("w-1", price))
	wantTierForbidden(t, "replay after the tier was taken away", resp, b, "wholesale", "public")
	resp, b = c.call(t, "POST", "/v1/orders", c.storefront, wholesaleOrder("w-2", price))
	wantTierForbidden(t, "new order after the tier was taken away", resp, b, "wholesale", "public")
	// The order it placed stays its own to read.
	if resp, b := c.call(t, "GET", "/v1/orders/"+o.ID, c.storefront, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("its wholesale order after the tier was taken away: got %d, want 200: %s", resp.StatusCode, b)
	}
	c.get(t, "/v1/orders", c.admin, &list)
	if len(list.Orders) != 1 {
		t.Fatalf("orders stored: got %d, want the one granted", len(list.Orders))
	}
}

// TestMigrationGrantsPublic: storefront tokens made before the migration
// that gave tokens tiers use public only; merchandisers and admins keep
// every tier.
func TestMigrationGrantsPublic(t *testing.T) {
	t.Parallel()
	// The old database is built by replaying schema.sql's blocks; the
	// dialect test checks that PostgreSQL's migrate the same data.
	dbtest.SkipOnPostgres(t, "builds a SQLite database of an older version")
	ms, err := syncd.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Found by what it does, not by number, so the test holds wherever
	// other migrations land.
	i := slices.IndexFunc(ms, func(m syncd.Migration) bool { return strings.Contains(m.SQL, "CREATE TABLE token_tiers") })
	if i < 0 {
		t.Fatal("no migration creates token_tiers")
	}
	// A database as a syncd from before that migration left it, with a
	// storefront and a merchandiser token and a second tier.
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sqlx.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	const shopSecret, merchSecret = auth.SecretPrefix + "OLDSHOPOLDSHOPOLDSHOPOLDSH", auth.SecretPrefix + "OLDMERCHOLDMERCHOLDMERCHOL"
	shopHash, merchHash := sha256.Sum256([]byte(shopSecret)), sha256.Sum256([]byte(merchSecret))
	type stmt struct {
		sql  string
		args []any
	}
	var stmts []stmt
	for _, m := range ms[:i] {
		stmts = append(stmts, stmt{m.SQL, nil})
	}
	stmts = append(stmts,
		stmt{fmt.Sprintf(`PRAGMA user_version = %d`, ms[i].Version-1), nil},
		stmt{`INSERT INTO tokens (name, role, hash, created_at) VALUES ('old-shop', 'storefront', ?, '2026-01-01T00:00:00.000000000Z')`, []any{shopHash[:]}},
		stmt{`INSERT INTO tokens (name, role, hash, created_at) VALUES ('old-merch', 'merchandiser', ?, '2026-01-01T00:00:00.000000000Z')`, []any{merchHash[:]}},
		stmt{`INSERT INTO tiers (id, name, created_at) VALUES ('member', 'Members', '2026-01-01T00:00:00.000000000Z')`, nil})
	for _, q := range stmts {
		if _, err := old.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%.60s: %v", q.sql, err)
		}
	}
	old.Close()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// Opened by this syncd (every later migration applied) and synced.
	c := startCatalogEnv(t, testenv.FileFixture(file))
	c.sync(t)
	for _, p := range c.tierReads("") {
		if resp, b := c.call(t, "GET", p, shopSecret, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s with the old storefront token: got %d, want 200: %s", p, resp.StatusCode, b)
		}
	}
	for _, p := range c.tierReads("member") {
		resp, b := c.call(t, "GET", p, shopSecret, "")
		wantTierForbidden(t, "GET "+p+" with the old storefront token", resp, b, "member", "public")
		if resp, b := c.call(t, "GET", p, merchSecret, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s with the old merchandiser token: got %d, want 200: %s", p, resp.StatusCode, b)
		}
	}
	var list struct{ Tokens []auth.Token }
	c.get(t, "/v1/tokens", adminToken, &list)
	got := map[string][]string{}
	for _, tok := range list.Tokens {
		got[tok.Name] = tok.Tiers
	}
	if !slices.Equal(got["old-shop"], []string{"public"}) || got["old-merch"] != nil {
		t.Fatalf("migrated tokens' tiers: got %v, want old-shop [public] and old-merch null", got)
	}
}
