package orders_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/testsims"
)

const (
	key = "sim-key"
	// diamonds86 has three offers: Isipay's at 20350, Senpay's at 22870
	// and another Senpay provider's at 23581; Isipay is the cheapest. The
	// tests' 20% markup prices it at 24420.
	diamonds86 = "mobile-legends.diamonds-86-78-8"
)

// env is order routing end to end: both supplier simulators over real
// HTTP, synced by the real clients into a real SQLite file, a catalog
// priced with a 20% markup, and an order service over all of it. Senpay's
// simulator sends its transaction_status webhooks to a real endpoint that
// hands them to the service, as syncd's inbox does.
type env struct {
	t      *testing.T
	sims   *testenv.Sims
	path   string
	db     *syncd.DB
	cat    *catalog.Catalog
	syncer *offers.Syncer
	svc    *orders.Service
	notify *orders.Notifier
	senpay *senpaysim.Sim
	isipay *isipaysim.Sim
	spc    *senpay.Client
	ipc    *isipay.Client
	// spURL and ipURL are where the simulators listen.
	spURL, ipURL string
	clock        *testclock.Clock
	cfg          orders.Config
	hook         *httptest.Server
	// hold, when set, makes the webhook endpoint wait until it is closed:
	// a test decides when Senpay's word arrives.
	hold chan struct{}
}

type option func(*env, *orders.Config, *orders.NotifyConfig)

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	return newEnvTimeout(t, 10*time.Second, opts...)
}

// newEnvTimeout is newEnv with the supplier clients giving up after
// timeout: short for a test that hangs a simulator on purpose, long
// otherwise, so that a loaded CI machine's slow reply is not an unknown
// outcome the test did not ask for.
func newEnvTimeout(t *testing.T, timeout time.Duration, opts ...option) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t}
	e.hook = httptest.NewServer(http.HandlerFunc(e.serveWebhook))
	t.Cleanup(e.hook.Close)
	sp := testsims.NewSenpay(senpaysim.Options{WebhookURL: e.hook.URL})
	ip := testsims.NewIsipay(isipaysim.Options{Balance: 10_000_000})
	te := testenv.New(t, testenv.Config{Suppliers: []testenv.Supplier{sp.Supplier(), ip.Supplier()}, HTTPTimeout: timeout})
	e.sims, e.path, e.db, e.cat, e.syncer, e.clock = te.Sims, te.Path, te.DB, te.Catalog, te.Syncer, te.Clock
	e.senpay, e.isipay, e.spc, e.ipc = sp.Sim, ip.Sim, sp.Client, ip.Client
	e.spURL, e.ipURL = te.Sims.URL(senpay.Name), te.Sims.URL(isipay.Name)
	te.SyncAll(t)
	markup, err := rules.Decode([]byte(`{"name": "+20%", "action": {"kind": "markup_percent", "value": "20", "plus": 0}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.cat.SaveRule(ctx, catalog.RuleChange{Op: "create", Rule: markup}, "test"); err != nil {
		t.Fatal(err)
	}

	e.cfg = orders.Config{
		Suppliers:        te.Sims.Orders(),
		PollBase:         time.Second,
		PollMax:          time.Minute,
		RerouteWindow:    10 * time.Minute,
		ReconcileTimeout: 15 * time.Minute,
		// restart is this instance again: it takes its orders back at
		// once. Another instance is named otherwise (instances_test.go).
		Instance: "a",
		Now:      e.clock.Now,
	}
	var ncfg orders.NotifyConfig
	for _, o := range opts {
		o(e, &e.cfg, &ncfg)
	}
	e.t.Cleanup(func() {
		if e.hold != nil {
			select {
			case <-e.hold:
			default:
				close(e.hold)
			}
		}
	})
	e.start(ncfg)
	return e
}

// open is a new connection to the env's database file.
func (e *env) open() {
	e.t.Helper()
	e.db = testenv.OpenDB(e.t, e.path)
}

func (e *env) start(ncfg orders.NotifyConfig) {
	if ncfg.URL != "" {
		e.notify = orders.NewNotifier(e.db, slog.New(slog.DiscardHandler), ncfg)
	}
	e.svc = orders.New(e.db, e.cat, slog.New(slog.DiscardHandler), e.notify, e.cfg)
	e.t.Cleanup(e.svc.Close)
}

func (e *env) sync(supplier string) {
	e.t.Helper()
	if _, err := e.syncer.Sync(context.Background(), supplier, e.sims.Client(supplier)); err != nil {
		e.t.Fatal(err)
	}
}

// serveWebhook is syncd's webhook endpoint reduced to what orders need:
// Senpay's wire format parsed by the real parser, applied by the service.
func (e *env) serveWebhook(w http.ResponseWriter, r *http.Request) {
	// The body is read before the hold, and applied whatever the sender
	// does meanwhile: Senpay's simulator gives up after 10 s, which a test
	// holding its word on a loaded machine can outlast, and a webhook that
	// arrived is applied even when its sender no longer waits for the reply.
	body, _ := io.ReadAll(r.Body)
	if e.hold != nil {
		<-e.hold
	}
	wh, err := senpay.ParseWebhook(body)
	if err != nil {
		http.Error(w, `{"status": 400, "message": "bad webhook"}`, http.StatusBadRequest)
		return
	}
	u, ok := wh.OrderUpdate()
	if !ok {
		w.Write([]byte(`{"status": 200, "message": "ignored"}`))
		return
	}
	if err := e.svc.Apply(context.WithoutCancel(r.Context()), u); errors.Is(err, orders.ErrNotFound) {
		w.Write([]byte(`{"status": 400, "message": "Transaksi tidak ditemukan"}`))
		return
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write([]byte(`{"status": 200, "message": "Webhook berhasil diproses"}`))
}

// price is the item's current price in the public tier.
func (e *env) price(item string) int64 {
	e.t.Helper()
	it, ok := e.cat.Snapshot().Item(item)
	if !ok {
		e.t.Fatalf("no item %s", item)
	}
	p := it.PriceIn("public")
	if p.Amount == nil {
		e.t.Fatalf("item %s has no price: %s", item, p.Blocked)
	}
	return *p.Amount
}

func (e *env) request(ref string) orders.Request {
	return orders.Request{Reference: ref, Item: diamonds86, Tier: "public",
		Fields: map[string]string{"user_id": "12345678", "server": "1234"}, ExpectedPrice: e.price(diamonds86)}
}

func (e *env) create(req orders.Request) *orders.Order {
	e.t.Helper()
	o, created, err := e.svc.Create(context.Background(), req, "shop")
	if err != nil {
		e.t.Fatalf("create %s: %v", req.Reference, err)
	}
	if !created {
		e.t.Fatalf("create %s: got a replay, want a new order", req.Reference)
	}
	return o
}

func (e *env) get(id string) *orders.Order {
	e.t.Helper()
	o, err := e.svc.Get(context.Background(), id, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// poll moves the clock past the next check and runs the poller.
func (e *env) poll(d time.Duration) {
	e.t.Helper()
	e.clock.Add(d)
	if _, err := e.svc.Poll(context.Background()); err != nil {
		e.t.Fatalf("poll: %v", err)
	}
}

// waitStatus polls until the order reaches want; background routing and
// webhooks run on the real clock, so this waits on events, bounded.
func (e *env) waitStatus(id string, want orders.Status) *orders.Order {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := e.get(id)
		if o.Status == want {
			return o
		}
		if time.Now().After(deadline) {
			r, _ := e.svc.Routing(context.Background(), id)
			e.t.Fatalf("order %s: status %s (%s), want %s; routing %+v", id, o.Status, o.Reason, want, r)
		}
		time.Sleep(5 * time.Millisecond)
		runtime.Gosched()
	}
}

// purchases counts orders at both simulators.
func (e *env) purchases() (senpayN, isipayN int) {
	return len(e.senpay.Transactions()), len(e.isipay.Orders())
}

func (e *env) routing(id string) *orders.Routing {
	e.t.Helper()
	r, err := e.svc.Routing(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}
