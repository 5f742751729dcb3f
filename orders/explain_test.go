package orders_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/syncd/syncd"
)

// Orders priced alike name one stored explanation: each order's routing
// shows the price's explanation as it was taken, the text is stored once,
// and a repricing stores the new one beside it without touching the
// orders taken before.
func TestOrdersPricedAlikeShareOneExplanation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create(e.request("shop-a"))
	b := e.create(e.request("shop-b"))
	ra, rb := e.routing(a.ID), e.routing(b.ID)
	if len(ra.Explain) < 10 || string(ra.Explain) != string(rb.Explain) {
		t.Fatalf("explanations: got %s and %s, want one non-empty explanation", ra.Explain, rb.Explain)
	}
	var ex struct {
		Item  string `json:"item"`
		Price *int64 `json:"price"`
	}
	if err := json.Unmarshal(ra.Explain, &ex); err != nil || ex.Item != diamonds86 || ex.Price == nil || *ex.Price != a.Price {
		t.Fatalf("explanation %s: item %q, price %v (err %v); want %s at %d", ra.Explain, ex.Item, ex.Price, err, diamonds86, a.Price)
	}
	if n := count(t, e.db, `SELECT count(*) FROM price_explains`); n != 1 {
		t.Fatalf("stored explanations after two orders priced alike: got %d, want 1", n)
	}
	if n := count(t, e.db, `SELECT count(*) FROM orders WHERE explain = '' AND explain_hash != ''`); n != 2 {
		t.Fatalf("orders naming a shared explanation: got %d, want 2", n)
	}

	// Repriced: the next order names a new explanation; the first keep theirs.
	if err := e.isipay.SetPrice("MLBB_ID_86", 20000); err != nil {
		t.Fatal(err)
	}
	e.sync("isipay")
	if _, err := e.cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.create(e.request("shop-c"))
	if c.Price == a.Price {
		t.Fatalf("price after the cost moved: still %d", c.Price)
	}
	rc := e.routing(c.ID)
	if err := json.Unmarshal(rc.Explain, &ex); err != nil || ex.Price == nil || *ex.Price != c.Price {
		t.Fatalf("explanation of the repriced order %s: price %v, want %d", rc.Explain, ex.Price, c.Price)
	}
	if n := count(t, e.db, `SELECT count(*) FROM price_explains`); n != 2 {
		t.Fatalf("stored explanations after a repricing: got %d, want 2", n)
	}
	if again := e.routing(a.ID); string(again.Explain) != string(ra.Explain) {
		t.Fatalf("the first order's explanation changed with the price:\n%s\nwas\n%s", again.Explain, ra.Explain)
	}
}

// An order taken before explanations were shared (schema migration 19)
// keeps its explanation in its own row, and routing still shows it.
func TestAnExplanationInTheOrdersRowIsStillShown(t *testing.T) {
	e := newEnv(t)
	o := e.create(e.request("shop-old"))
	const old = `{"item": "as stored before migration 19"}`
	if _, err := e.db.Write.ExecContext(context.Background(),
		`UPDATE orders SET explain = ?, explain_hash = '' WHERE id = ?`, old, o.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.routing(o.ID).Explain; string(got) != old {
		t.Fatalf("explanation of an older order: got %s, want %s", got, old)
	}
}

func count(t *testing.T, db *syncd.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Read.GetContext(context.Background(), &n, q); err != nil {
		t.Fatal(err)
	}
	return n
}
