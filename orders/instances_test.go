package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// Several syncd instances on one database, as several processes would be:
// each its own connection pools, catalog and order service, named apart.
// On PostgreSQL (SYNCD_TEST_DB) this is what issue 15 is for; on SQLite
// the same code keeps one file's processes apart.

// instance is another syncd over the env's database, ordering from
// suppliers.
func (e *env) instance(name string, suppliers map[string]orders.Supplier) *orders.Service {
	e.t.Helper()
	db, cat := e.openInstance()
	cfg := e.cfg
	cfg.Instance, cfg.Suppliers = name, suppliers
	svc := orders.New(db, cat, slog.New(slog.DiscardHandler), nil, cfg)
	e.t.Cleanup(svc.Close)
	return svc
}

// openInstance is a new connection to the env's database and a catalog
// loaded from it.
func (e *env) openInstance() (*syncd.DB, *catalog.Catalog) {
	e.t.Helper()
	db := testenv.OpenDB(e.t, e.path)
	cat := catalog.NewCatalog(db, slog.New(slog.DiscardHandler), e.sims.CatalogConfig(time.Hour))
	e.t.Cleanup(cat.Close)
	if _, err := cat.Refresh(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return db, cat
}

func pollOn(t *testing.T, svc *orders.Service) {
	t.Helper()
	if _, err := svc.Poll(context.Background()); err != nil {
		t.Fatalf("poll: %v", err)
	}
}

// Twenty submissions of one reference at once, spread over two instances,
// take one order and send it to one supplier once, while both instances'
// pollers run: the one that did not take the order must not resend its
// attempt while the other's send is under way.
func TestInstancesBuyOnce(t *testing.T) {
	e := newEnv(t)
	b := e.instance("b", e.sims.Orders())
	// A slow supplier: the attempt is due for a check (PollBase) while
	// its first send is still in flight.
	e.isipay.SetLatency(300 * time.Millisecond)
	sent := e.isipay.Requests(isipaysim.PathOrder)
	req := e.request("shop-dup")
	svcs := []*orders.Service{e.svc, b}
	type result struct {
		id      string
		created bool
		err     error
	}
	results := make(chan result, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			o, created, err := svcs[i%2].Create(context.Background(), req, "shop")
			r := result{created: created, err: err}
			if o != nil {
				r.id = o.ID
			}
			results <- r
		})
	}
	// Once the attempt is stored and its send under way (the simulator
	// counts a request before its latency), both pollers run with the
	// prepared attempt due.
	deadline := time.Now().Add(10 * time.Second)
	for e.isipay.Requests(isipaysim.PathOrder) == sent {
		if time.Now().After(deadline) {
			t.Fatal("no order request reached isipay")
		}
		time.Sleep(time.Millisecond)
	}
	e.clock.Add(2 * time.Second)
	for range 3 {
		for _, svc := range svcs {
			wg.Go(func() { pollOn(t, svc) })
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(results)
	created, id := 0, ""
	for r := range results {
		if r.err != nil {
			t.Fatalf("create: %v", r.err)
		}
		if r.created {
			created++
		}
		if id == "" {
			id = r.id
		}
		if r.id != id {
			t.Fatalf("orders %s and %s for one reference", id, r.id)
		}
	}
	if created != 1 {
		t.Fatalf("created: got %d orders, want 1 and 19 replays", created)
	}
	if n := e.isipay.Requests(isipaysim.PathOrder) - sent; n != 1 {
		t.Fatalf("order requests at isipay: got %d, want 1 (one send of one attempt)", n)
	}
	for range 3 {
		e.clock.Add(3 * time.Second)
		pollOn(t, e.svc)
		pollOn(t, b)
	}
	e.waitStatus(id, orders.Success)
	if sp, ip := e.purchases(); sp+ip != 1 {
		t.Fatalf("purchases: senpay %d, isipay %d; want exactly one", sp, ip)
	}
}

// An instance that dies mid-order leaves its lease: another instance
// leaves the order alone while the lease lasts, then resumes it from its
// stored attempt, resending the same reference (never another supplier),
// and it is bought once.
func TestInstanceDiesMidOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		supplier  string
		afterSend bool
	}{
		// Never sent: the other instance's resend is the one purchase.
		{"isipay, died before the call", isipay.Name, false},
		// Sent and taken: the resend is refused as a duplicate; Senpay's
		// webhook, reaching the other instance, completes the order.
		{"senpay, died after acceptance", senpay.Name, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, c *orders.Config, _ *orders.NotifyConfig) {
				real := map[string]orders.Supplier{senpay.Name: e.spc, isipay.Name: e.ipc}[tc.supplier]
				c.Suppliers = map[string]orders.Supplier{tc.supplier: dying{real, tc.afterSend}}
				e.hold = make(chan struct{}) // Senpay's webhook waits for the other instance
			})
			o := e.create(e.request("shop-dies"))
			if o.Status != orders.Pending {
				t.Fatalf("before the death: got %s, want pending", o.Status)
			}
			e.svc.Close() // the rest of instance a: nothing runs any more
			live := map[string]orders.Supplier{senpay.Name: e.spc, isipay.Name: e.ipc}
			b := e.instance("b", map[string]orders.Supplier{tc.supplier: live[tc.supplier]})
			requests := func() int {
				return e.senpay.Requests(senpaysim.PathCreate) + e.isipay.Requests(isipaysim.PathOrder)
			}
			before := requests()

			// The attempt is due, but a's lease still runs.
			e.clock.Add(2 * time.Second)
			pollOn(t, b)
			if n := requests() - before; n != 0 {
				t.Fatalf("within a's lease: b sent %d order requests, want none", n)
			}
			if r := e.routing(o.ID); len(r.Attempts) != 1 || r.Attempts[0].State != "prepared" {
				t.Fatalf("within a's lease: attempts %+v, want the one prepared", r.Attempts)
			}

			// The lease expires: b resends the stored attempt.
			e.clock.Add(30 * time.Second)
			pollOn(t, b)
			if n := requests() - before; n != 1 {
				t.Fatalf("after a's lease: b sent %d order requests, want 1", n)
			}
			e.svc = b // the webhook endpoint is b's now
			close(e.hold)
			e.clock.Add(3 * time.Second)
			pollOn(t, b)
			e.waitStatus(o.ID, orders.Success)
			r := e.routing(o.ID)
			if len(r.Attempts) != 1 || r.Attempts[0].Supplier != tc.supplier {
				t.Fatalf("attempts %+v, want the one at %s", r.Attempts, tc.supplier)
			}
			if sp, ip := e.purchases(); sp+ip != 1 {
				t.Fatalf("purchases: senpay %d, isipay %d; want exactly one", sp, ip)
			}
		})
	}
}

// Two instances' notification senders, running at once over one outbox,
// deliver each notification once, and an order's in the order they were
// enqueued.
func TestInstancesDeliverEachNotificationOnce(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}       // by delivery id
	seen := map[string][]string{} // statuses by order, as received
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Slow enough that the two senders' passes overlap.
		time.Sleep(10 * time.Millisecond)
		var o struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			t.Errorf("body: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		got[r.Header.Get("X-Syncd-Delivery")]++
		seen[o.ID] = append(seen[o.ID], o.Status)
	}))
	defer shop.Close()
	var ncfg orders.NotifyConfig
	e := newEnv(t, func(e *env, _ *orders.Config, n *orders.NotifyConfig) {
		n.URL, n.Now = shop.URL, e.clock.Now
		ncfg = *n
	})
	if e.db.Dialect() != syncd.Postgres {
		t.Skip("SQLite runs one instance per database: its notifications are sent by one sender (one pass at a time)")
	}
	const n = 6
	var ids []string
	for i := range n {
		ids = append(ids, e.create(e.request(fmt.Sprintf("shop-n%d", i))).ID)
	}
	e.poll(2 * time.Second)
	for _, id := range ids {
		e.waitStatus(id, orders.Success)
	}
	dbB, _ := e.openInstance()
	senders := []*orders.Notifier{e.notify, orders.NewNotifier(dbB, slog.New(slog.DiscardHandler), ncfg)}
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() {
			for range 3 {
				if _, err := s.DeliverDue(context.Background()); err != nil {
					t.Errorf("deliver: %v", err)
				}
			}
		})
	}
	wg.Wait()
	var rows int
	if err := e.db.Read.Get(&rows, `SELECT count(*) FROM notify_outbox`); err != nil {
		t.Fatal(err)
	}
	if pending, failed, err := e.notify.Stats(context.Background()); err != nil || pending != 0 || failed != 0 {
		t.Fatalf("after both senders: pending %d, failed %d (%v); want none", pending, failed, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != rows || rows != 2*n {
		t.Fatalf("deliveries received: %d distinct of %d stored, want %d", len(got), rows, 2*n)
	}
	for d, k := range got {
		if k != 1 {
			t.Errorf("delivery %s received %d times, want once", d, k)
		}
	}
	for _, id := range ids {
		if s := seen[id]; len(s) != 2 || s[0] != "processing" || s[1] != "success" {
			t.Errorf("order %s: notified %v, want processing then success", id, s)
		}
	}
}

// stalled is a supplier whose answer to a send comes late, after the
// instance that sent it has lost the order's lease: it signals entered,
// waits for proceed, and then refuses the order.
type stalled struct {
	orders.Supplier
	entered, proceed chan struct{}
}

func (s stalled) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	close(s.entered)
	<-s.proceed
	return orders.Receipt{}, fmt.Errorf("%w: product inactive", orders.ErrNotTaken)
}

// An instance that stalls mid-send past its lease cannot record what its
// send came to: another instance has resent the same attempt meanwhile,
// and the late refusal, recorded, would send the order to a second
// supplier after the first took it.
func TestStalledInstanceCannotRecordALateRefusal(t *testing.T) {
	st := stalled{entered: make(chan struct{}), proceed: make(chan struct{})}
	e := newEnv(t, func(e *env, c *orders.Config, _ *orders.NotifyConfig) {
		c.Suppliers = map[string]orders.Supplier{isipay.Name: st, senpay.Name: e.spc}
	})
	created := make(chan error, 1)
	go func() {
		_, _, err := e.svc.Create(context.Background(), e.request("shop-stall"), "shop")
		created <- err
	}()
	<-st.entered
	b := e.instance("b", e.sims.Orders())
	e.clock.Add(31 * time.Second) // a's lease runs out; b resends the attempt
	pollOn(t, b)
	close(st.proceed) // a's send answers at last: refused
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	var id string
	if err := e.db.Read.Get(&id, `SELECT id FROM orders WHERE reference = 'shop-stall'`); err != nil {
		t.Fatal(err)
	}
	e.svc.Close() // a's step has ended, its late answer dropped
	r := e.routing(id)
	if len(r.Attempts) != 1 || r.Attempts[0].Supplier != isipay.Name || r.Attempts[0].State == "rejected" {
		t.Fatalf("attempts %+v, want the one at isipay, not rejected", r.Attempts)
	}
	e.clock.Add(3 * time.Second)
	pollOn(t, b)
	e.waitStatus(id, orders.Success)
	if sp, ip := e.purchases(); sp != 0 || ip != 1 {
		t.Fatalf("purchases: senpay %d, isipay %d; want the one at isipay", sp, ip)
	}
}

// gated is a supplier whose sends wait: it signals entered, waits for
// proceed, then places the purchase for real.
type gated struct {
	orders.Supplier
	entered, proceed chan struct{}
}

func (g gated) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	close(g.entered)
	<-g.proceed
	return g.Supplier.Place(ctx, p)
}

// A supplier's word arriving at one instance while another is mid-step
// on the order waits for that step: it is not applied in between (the
// step would then write over it). Past a lease's time it is refused as
// busy, for its sender to retry, and applied once the step is done.
func TestUpdateWaitsForAStepOnAnotherInstance(t *testing.T) {
	g := gated{entered: make(chan struct{}), proceed: make(chan struct{})}
	e := newEnv(t, func(e *env, c *orders.Config, _ *orders.NotifyConfig) {
		g.Supplier = e.ipc
		c.Suppliers = map[string]orders.Supplier{isipay.Name: g}
		c.Lease = 300 * time.Millisecond
	})
	created := make(chan *orders.Order, 1)
	go func() {
		o, _, err := e.svc.Create(context.Background(), e.request("shop-wait"), "shop")
		if err != nil {
			t.Error(err)
		}
		created <- o
	}()
	<-g.entered
	b := e.instance("b", e.sims.Orders())
	var ref string
	if err := e.db.Read.Get(&ref, `SELECT supplier_ref FROM order_attempts`); err != nil {
		t.Fatal(err)
	}
	word := orders.Update{Supplier: isipay.Name, Receipt: orders.Receipt{Ref: ref, Progress: orders.Delivered,
		Status: "Success", SN: "SN-1"}}
	if err := b.Apply(context.Background(), word); !errors.Is(err, orders.ErrBusy) {
		t.Fatalf("word during a's step: got %v, want ErrBusy", err)
	}
	close(g.proceed)
	o := <-created
	if o == nil || o.Status != orders.Processing {
		t.Fatalf("after a's step: %+v, want processing", o)
	}
	if err := b.Apply(context.Background(), word); err != nil {
		t.Fatalf("word after a's step: %v", err)
	}
	if got := e.get(o.ID); got.Status != orders.Success || got.SN != "SN-1" {
		t.Fatalf("order: %s %q, want success with SN-1", got.Status, got.SN)
	}
	if _, ip := e.purchases(); ip != 1 {
		t.Fatalf("isipay purchases: %d, want 1", ip)
	}
}
