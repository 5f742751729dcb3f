package rules_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/rules"
)

func newStore(t *testing.T) *rules.Store {
	t.Helper()
	db := testenv.NewDB(t)
	return rules.NewStore(db.Write, db.Read)
}

const example = `{"name": "MLBB +7% for members", "enabled": true, "note": "why",
 "match": {"game": "mobile-legends", "item": null, "supplier": null, "tier": "member"},
 "action": {"kind": "markup_percent", "value": "7", "plus": 0},
 "round": {"step": 100, "mode": "up", "ending": 0},
 "guard": {"min_margin_percent": "2", "min_margin_amount": 100, "max_price": null}}`

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := rules.Decode([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.Create(ctx, r, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Version != 1 {
		t.Fatalf("created: got id %q version %d, want an id and version 1", created.ID, created.Version)
	}
	got, err := s.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(created) {
		t.Fatalf("stored rule differs:\ngot  %+v\nwant %+v", got, created)
	}

	got.Name = "MLBB +8% for members"
	updated, err := s.Update(ctx, got, 1, "budi")
	if err != nil {
		t.Fatal(err)
	}
	if updated.Version != 2 {
		t.Fatalf("version after update: got %d, want 2", updated.Version)
	}
	// A second editor who read version 1 is refused.
	got.Name = "stale edit"
	if _, err := s.Update(ctx, got, 1, "cici"); !errors.Is(err, rules.ErrStale) {
		t.Fatalf("stale update: got %v, want ErrStale", err)
	}
	if _, err := s.Delete(ctx, created.ID, 1, "cici"); !errors.Is(err, rules.ErrStale) {
		t.Fatalf("stale delete: got %v, want ErrStale", err)
	}
	if _, err := s.Delete(ctx, created.ID, 2, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, created.ID); !errors.Is(err, rules.ErrNotFound) {
		t.Fatalf("get after delete: got %v, want ErrNotFound", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("list after delete: got %d rules, %v", len(list), err)
	}

	trail, err := s.Audit(ctx, created.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action+"/"+e.Actor)
	}
	if len(trail) != 3 || actions[0] != "delete/ana" || actions[1] != "update/budi" || actions[2] != "create/ana" {
		t.Fatalf("audit: got %v, want delete/ana, update/budi, create/ana", actions)
	}
	if string(trail[2].Before) != "null" || string(trail[0].After) != "null" {
		t.Fatalf("audit before/after: create before %s, delete after %s; want null, null", trail[2].Before, trail[0].After)
	}
	before, err := rules.Decode(trail[1].Before)
	if err != nil || before.Name != "MLBB +7% for members" {
		t.Fatalf("update's before: got %q, %v", before.Name, err)
	}
}

func TestTiers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tiers, err := s.Tiers(ctx)
	if err != nil || len(tiers) != 1 || tiers[0].ID != "public" {
		t.Fatalf("tiers of a new database: got %v, %v; want public", tiers, err)
	}
	if _, err := s.CreateTier(ctx, rules.Tier{ID: "member", Name: "Members"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTier(ctx, rules.Tier{ID: "member", Name: "Again"}); !errors.Is(err, rules.ErrTierExists) {
		t.Fatalf("duplicate tier: got %v, want ErrTierExists", err)
	}
	if _, err := s.CreateTier(ctx, rules.Tier{ID: "Bad Tier", Name: ""}); len(fault.FieldsOf(err)) != 2 {
		t.Fatalf("invalid tier: got %v, want a validation error on id and name", err)
	}
	tiers, _ = s.Tiers(ctx)
	if len(tiers) != 2 || tiers[0].ID != "public" || tiers[1].ID != "member" {
		t.Fatalf("tiers: got %v, want public then member", tiers)
	}
}

// TestConcurrentUpdatesOfOneVersion: editors who all read version 1 save
// at once, through two instances' pools on one database: one edit wins,
// every other is refused as stale, and the audit trail has one version 2.
func TestConcurrentUpdatesOfOneVersion(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.DSN(t)
	var stores []*rules.Store
	for range 2 {
		db, err := syncd.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		stores = append(stores, rules.NewStore(db.Write, db.Read))
	}
	r, err := rules.Decode([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	created, err := stores[0].Create(ctx, r, "ana")
	if err != nil {
		t.Fatal(err)
	}
	const editors = 8
	var wg sync.WaitGroup
	results := make([]error, editors)
	for i := range editors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			edit := created
			edit.Name = fmt.Sprintf("edit %d", i)
			_, results[i] = stores[i%2].Update(ctx, edit, 1, fmt.Sprintf("editor-%d", i))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("editors %d and %d both saved over version 1", winner, i)
		case !errors.Is(err, rules.ErrStale):
			t.Errorf("editor %d: got %v, want ErrStale", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no editor saved")
	}
	got, err := stores[1].Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Name != fmt.Sprintf("edit %d", winner) {
		t.Fatalf("stored: version %d %q, want version 2 %q", got.Version, got.Name, fmt.Sprintf("edit %d", winner))
	}
	audit, err := stores[0].Audit(ctx, created.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Version != 2 || audit[0].Actor != fmt.Sprintf("editor-%d", winner) {
		t.Fatalf("audit: got %+v, want the create and the winner's update", audit)
	}
	// A delete at the version every editor read is stale too.
	if _, err := stores[1].Delete(ctx, created.ID, 1, "dodi"); !errors.Is(err, rules.ErrStale) {
		t.Fatalf("delete at version 1: got %v, want ErrStale", err)
	}
}
