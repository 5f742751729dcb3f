package orders_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// dying is a supplier at which syncd dies mid-purchase: the routing
// goroutine ends on the spot (runtime.Goexit runs only its deferred
// unlocks), so nothing after that point is stored, as when the process is
// killed. afterSend: killed after the supplier took the order, before its
// answer was stored; otherwise after the attempt was stored, before the
// supplier was called.
type dying struct {
	orders.Supplier
	afterSend bool
}

func (d dying) Place(ctx context.Context, p orders.Purchase) (orders.Receipt, error) {
	if d.afterSend {
		d.Supplier.Place(ctx, p)
	}
	runtime.Goexit()
	panic("unreachable")
}

// restart is a new syncd over the same database file: a new connection,
// catalog and order service, with the real suppliers, resuming.
func (e *env) restart() {
	e.t.Helper()
	ctx := context.Background()
	e.open()
	log := slog.New(slog.DiscardHandler)
	e.cat = catalog.NewCatalog(e.db, log, e.sims.CatalogConfig(time.Hour))
	e.t.Cleanup(e.cat.Close)
	if _, err := e.cat.Refresh(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.cfg.Suppliers = e.sims.Orders()
	e.start(orders.NotifyConfig{})
	if _, err := e.svc.Resume(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func TestCrashSafety(t *testing.T) {
	for _, tc := range []struct {
		name      string
		supplier  string
		afterSend bool
		want      orders.Status
	}{
		// Never sent: the resend after restart is the one purchase.
		{"isipay, killed before the call", isipay.Name, false, orders.Success},
		{"senpay, killed before the call", senpay.Name, false, orders.Success},
		// Sent and taken: the resend is refused as a duplicate. Senpay's
		// webhook, found by partner_reference, completes the order; Isipay
		// has neither webhook nor lookup by reference: an operator's.
		{"senpay, killed after acceptance", senpay.Name, true, orders.Success},
		{"isipay, killed after acceptance", isipay.Name, true, orders.Attention},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, c *orders.Config, _ *orders.NotifyConfig) {
				real := map[string]orders.Supplier{senpay.Name: e.spc, isipay.Name: e.ipc}[tc.supplier]
				c.Suppliers = map[string]orders.Supplier{tc.supplier: dying{real, tc.afterSend}}
				e.hold = make(chan struct{}) // Senpay's webhook waits for the restart
			})
			o := e.create(e.request("shop-crash"))
			if o.Status != orders.Pending {
				t.Fatalf("before the restart: got %s, want pending", o.Status)
			}
			e.restart()
			e.poll(2 * time.Second) // the prepared attempt is due: resent
			close(e.hold)
			if tc.supplier == isipay.Name {
				e.poll(3 * time.Second)
			}
			if tc.want == orders.Attention {
				e.poll(16 * time.Minute)
			}
			e.waitStatus(o.ID, tc.want)
			sp, ip := e.purchases()
			if sp+ip != 1 {
				t.Fatalf("purchases: senpay %d, isipay %d; want exactly one", sp, ip)
			}
		})
	}
}

// A storefront is told of each status change, signed, and retried until
// it takes it.
func TestNotificationsFollowTheOrder(t *testing.T) {
	const secret = "shop-secret"
	var mu sync.Mutex
	var got []orders.Order
	calls := 0
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "down for a moment", http.StatusInternalServerError)
			return
		}
		if !hmac.Equal([]byte(r.Header.Get("X-Syncd-Signature")), []byte(orders.Sign(secret, body))) {
			t.Errorf("bad signature %q", r.Header.Get("X-Syncd-Signature"))
		}
		var o orders.Order
		if err := json.Unmarshal(body, &o); err != nil {
			t.Errorf("body: %v", err)
		}
		got = append(got, o)
	}))
	defer shop.Close()
	e := newEnv(t, func(e *env, _ *orders.Config, n *orders.NotifyConfig) {
		n.URL, n.Secret, n.Now = shop.URL, secret, e.clock.Now
	})
	o := e.create(e.request("shop-notify"))
	e.poll(2 * time.Second)
	e.waitStatus(o.ID, orders.Success)
	ctx := context.Background()
	for range 5 {
		if _, err := e.notify.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Status != orders.Processing || got[1].Status != orders.Success || got[1].Version <= got[0].Version {
		t.Fatalf("notifications: got %+v, want processing then success", got)
	}
	if got[0].ID != o.ID || got[0].Reference != "shop-notify" {
		t.Fatalf("notification of another order: %+v", got[0])
	}
}

// Close lets a purchase in progress finish its step: the supplier's answer
// is stored before Close returns, and no new step starts after it.
func TestCloseFinishesTheStepInProgress(t *testing.T) {
	e := newEnv(t)
	// The test must see the call under way, within the latency: two
	// seconds, so that a loaded machine's slow poll does not miss it.
	e.isipay.SetLatency(2 * time.Second)
	done := make(chan *orders.Order)
	go func() {
		o, _, err := e.svc.Create(context.Background(), e.request("shop-close"), "shop")
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	// Wait until the attempt is stored and the call is under way: the
	// simulator has the request (it counts it before its latency). A
	// prepared attempt alone is not enough: intake commits it before the
	// step that sends it is registered, and a Close in between leaves it
	// for the next start to resend, which is not what this test is about.
	sent := e.isipay.Requests(isipaysim.PathOrder)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := e.db.Read.Get(&n, `SELECT count(*) FROM order_attempts WHERE state = 'prepared'`); err != nil {
			t.Fatal(err)
		}
		if n == 1 && e.isipay.Requests(isipaysim.PathOrder) > sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt was prepared")
		}
		time.Sleep(time.Millisecond)
	}
	e.svc.Close()
	var state string
	if err := e.db.Read.Get(&state, `SELECT state FROM order_attempts`); err != nil {
		t.Fatal(err)
	}
	if state != "accepted" {
		t.Fatalf("after Close: attempt %s, want accepted (the answer stored)", state)
	}
	if o := <-done; o == nil || o.Status != orders.Processing {
		t.Fatalf("order after Close: %+v", o)
	}
	if _, err := e.svc.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.isipay.Orders()); n != 1 {
		t.Fatalf("purchases: %d, want 1", n)
	}
}
