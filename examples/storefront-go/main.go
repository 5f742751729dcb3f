// Command storefront-go is a storefront's backend talking to syncd through
// the client generated from syncd's OpenAPI document (package syncdapi).
// It does what a top-up shop does for one sale: list the games, read one
// and its order form, order an item at the price it showed the buyer,
// re-read and ask the buyer again when syncd answers 409 price_changed,
// follow the order to its end, and take syncd's signed notifications on a
// local endpoint, refusing any whose signature does not verify.
//
// examples/run.sh runs it against syncd demo; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/syncd/syncd/examples/storefront-go/syncdapi"
)

// config is the example's settings, from flags with the environment as
// their defaults.
type config struct {
	base       string // syncd's base URL
	token      string // a storefront token
	tier       string
	game       string
	listen     string // where syncd's notifications arrive; "" takes none
	secret     string // SYNCD_NOTIFY_SECRET, to verify them
	reference  string
	stalePrice bool
	timeout    time.Duration
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("storefront-go: ")
	var cfg config
	flag.StringVar(&cfg.base, "syncd", os.Getenv("SYNCD_URL"), "syncd's base URL (SYNCD_URL)")
	flag.StringVar(&cfg.token, "token", os.Getenv("SYNCD_TOKEN"), "a storefront token (SYNCD_TOKEN)")
	flag.StringVar(&cfg.tier, "tier", "public", "the price tier the shop sells in")
	flag.StringVar(&cfg.game, "game", "mobile-legends", "the game to sell from")
	flag.StringVar(&cfg.listen, "listen", os.Getenv("NOTIFY_LISTEN"),
		"address to take syncd's notifications on, the host and port of SYNCD_NOTIFY_URL (NOTIFY_LISTEN)")
	flag.StringVar(&cfg.secret, "notify-secret", os.Getenv("SYNCD_NOTIFY_SECRET"), "syncd's SYNCD_NOTIFY_SECRET")
	flag.StringVar(&cfg.reference, "reference", "go-"+time.Now().UTC().Format("20060102T150405.000"),
		"the shop's own unique id of the order")
	flag.BoolVar(&cfg.stalePrice, "stale-price", false,
		"offer the first order at 1 rupiah under the price read, as a page shown before a price change would, so the 409 price_changed path runs")
	flag.DurationVar(&cfg.timeout, "timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if cfg.base == "" || cfg.token == "" {
		log.Fatal("-syncd and -token (or SYNCD_URL and SYNCD_TOKEN) are required")
	}
	if cfg.listen != "" && cfg.secret == "" {
		log.Fatal("-notify-secret is required with -listen: an unsigned notification proves nothing")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) error {
	var inbox *notifications
	if cfg.listen != "" {
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			return fmt.Errorf("listen for notifications: %w", err)
		}
		inbox = newNotifications(cfg.secret)
		srv := &http.Server{Handler: inbox, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		log.Printf("taking notifications on http://%s", ln.Addr())
	}

	api, err := syncdapi.NewClientWithResponses(cfg.base,
		syncdapi.WithHTTPClient(&http.Client{Timeout: 15 * time.Second}),
		syncdapi.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+cfg.token)
			return nil
		}))
	if err != nil {
		return err
	}
	shop := &shop{api: api, tier: cfg.tier}

	if err := shop.listGames(ctx); err != nil {
		return err
	}
	game, err := shop.readGame(ctx, cfg.game)
	if err != nil {
		return err
	}
	item, ok := cheapestAvailable(game)
	if !ok {
		return fmt.Errorf("game %s has nothing to sell now", game.Id)
	}
	shown := int64(*item.Price)
	log.Printf("showing the buyer %s at Rp %d", item.Name, shown)
	if cfg.stalePrice {
		shown--
		log.Printf("(-stale-price: the page the buyer saw said Rp %d)", shown)
	}

	req := syncdapi.OrderRequest{
		Reference:     cfg.reference,
		Item:          item.Id,
		Tier:          &cfg.tier,
		Fields:        ptr(answerForm(game.Form)),
		ExpectedPrice: int(shown),
	}
	order, err := shop.order(ctx, req)
	if err != nil {
		return err
	}
	if err := shop.replay(ctx, req, order); err != nil {
		return err
	}
	if order, err = shop.follow(ctx, order); err != nil {
		return err
	}
	if inbox != nil {
		n, err := inbox.wait(ctx, order.Id, order.Status)
		if err != nil {
			return fmt.Errorf("notification of order %s %s: %w", order.Id, order.Status, err)
		}
		log.Printf("notification %s verified: order %s %s (version %d)", n.delivery, n.order.Id, n.order.Status, n.order.Version)
	}
	if order.Status != syncdapi.OrderStatusSuccess {
		// A real shop refunds the buyer here, with order.Reason.
		return fmt.Errorf("order %s ended %s: %s", order.Id, order.Status, deref(order.Reason))
	}
	log.Printf("done: order %s delivered by %s", order.Id, deref(order.Supplier))
	if order.Sn != nil {
		log.Printf("the supplier's serial, to show the buyer: %s", *order.Sn)
	}
	return nil
}

// cheapestAvailable is the first item of the game with a price: syncd
// lists a game's items cheapest first, unavailable ones last.
func cheapestAvailable(g syncdapi.GameView) (syncdapi.ItemView, bool) {
	for _, it := range g.Items {
		if it.Available && it.Price != nil {
			return it, true
		}
	}
	return syncdapi.ItemView{}, false
}

// answerForm fills the game's order form as a buyer would: a dropdown
// with one of its options, a text field with the buyer's id. A real shop
// shows the form and sends what the buyer typed.
func answerForm(form []syncdapi.FormField) map[string]string {
	fields := map[string]string{}
	for _, f := range form {
		switch {
		case f.Type == syncdapi.Dropdown && f.Options != nil && len(*f.Options) > 0:
			fields[f.Key] = (*f.Options)[0].Code
		case f.Key == "server":
			fields[f.Key] = "2001"
		default:
			fields[f.Key] = "12345678"
		}
	}
	return fields
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var errTimeout = errors.New("gave up waiting")
