package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/syncd/syncd/examples/storefront-go/syncdapi"
)

// shop is the storefront's side of the API: the generated client and the
// tier it sells in.
type shop struct {
	api  *syncdapi.ClientWithResponses
	tier string
}

// listGames reads the game list, as a shop's home page would.
func (s *shop) listGames(ctx context.Context) error {
	resp, err := s.api.ListGamesWithResponse(ctx, &syncdapi.ListGamesParams{Tier: &s.tier})
	if err != nil {
		return fmt.Errorf("list games: %w", err)
	}
	if resp.JSON200 == nil {
		return fmt.Errorf("list games: %w", apiErrorOf(resp.HTTPResponse, resp.Body))
	}
	for _, g := range resp.JSON200.Games {
		from := "nothing available"
		if g.LowestPrice != nil {
			from = fmt.Sprintf("from Rp %d", *g.LowestPrice)
		}
		log.Printf("game %-24s %3d/%3d items available, %s", g.Id, g.AvailableCount, g.ItemCount, from)
	}
	return nil
}

// readGame reads a game with its items and order form, then reads it
// again with the ETag it got, as a shop's cache would: the second read is
// a 304 with no body unless the catalog changed in between.
func (s *shop) readGame(ctx context.Context, id string) (syncdapi.GameView, error) {
	resp, err := s.api.GetGameWithResponse(ctx, id, &syncdapi.GetGameParams{Tier: &s.tier})
	if err != nil {
		return syncdapi.GameView{}, fmt.Errorf("read game %s: %w", id, err)
	}
	if resp.JSON200 == nil {
		return syncdapi.GameView{}, fmt.Errorf("read game %s: %w", id, apiErrorOf(resp.HTTPResponse, resp.Body))
	}
	game := resp.JSON200.Game
	etag := resp.HTTPResponse.Header.Get("ETag")
	log.Printf("game %s: %d items, a form of %d fields, ETag %s", game.Id, len(game.Items), len(game.Form), etag)

	again, err := s.api.GetGameWithResponse(ctx, id, &syncdapi.GetGameParams{Tier: &s.tier, IfNoneMatch: &etag})
	if err != nil {
		return syncdapi.GameView{}, fmt.Errorf("read game %s again: %w", id, err)
	}
	switch {
	case again.StatusCode() == http.StatusNotModified:
		log.Printf("game %s again with If-None-Match: 304, the cached copy is current", id)
	case again.JSON200 != nil:
		log.Printf("game %s again: changed since (ETag %s), using the new copy", id, again.HTTPResponse.Header.Get("ETag"))
		game = again.JSON200.Game
	default:
		return syncdapi.GameView{}, fmt.Errorf("read game %s again: %w", id, apiErrorOf(again.HTTPResponse, again.Body))
	}
	return game, nil
}

// order places req. On 409 price_changed nothing was bought and the
// reference is still free: the shop re-reads the item, shows the buyer
// the new price and, once the buyer agrees (here: always), asks again
// under the same reference. A network failure is retried with the same
// reference and body, which syncd answers with the order it already took,
// if it took one, and never buys twice.
func (s *shop) order(ctx context.Context, req syncdapi.OrderRequest) (syncdapi.Order, error) {
	for attempt := 1; ; attempt++ {
		if attempt > 5 {
			return syncdapi.Order{}, fmt.Errorf("order %s: still refused after %d tries", req.Reference, attempt-1)
		}
		resp, err := s.api.CreateOrderWithResponse(ctx, req)
		if err != nil {
			log.Printf("order %s: %v; sending the same request again", req.Reference, err)
			if err := sleep(ctx, time.Duration(attempt)*time.Second); err != nil {
				return syncdapi.Order{}, err
			}
			continue
		}
		switch {
		case resp.JSON201 != nil:
			log.Printf("order %s placed: %s, %s at Rp %d", req.Reference, resp.JSON201.Id, resp.JSON201.Status, resp.JSON201.Price)
			return *resp.JSON201, nil
		case resp.JSON200 != nil:
			log.Printf("order %s was already placed: %s, %s", req.Reference, resp.JSON200.Id, resp.JSON200.Status)
			return *resp.JSON200, nil
		}
		e := apiErrorOf(resp.HTTPResponse, resp.Body)
		switch {
		case e.Code == "price_changed":
			item, err := s.readItem(ctx, req.Item)
			if err != nil {
				return syncdapi.Order{}, err
			}
			if item.Price == nil {
				return syncdapi.Order{}, fmt.Errorf("order %s: %s is no longer for sale", req.Reference, item.Name)
			}
			log.Printf("order %s: 409 price_changed (%s); the buyer now sees Rp %d and agrees", req.Reference, e.Message, *item.Price)
			req.ExpectedPrice = *item.Price
		case e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests:
			log.Printf("order %s: %v; trying again shortly", req.Reference, e)
			if err := sleep(ctx, time.Duration(attempt)*time.Second); err != nil {
				return syncdapi.Order{}, err
			}
		default:
			// item_unavailable, reference_conflict, validation, auth:
			// retrying the same request cannot help.
			return syncdapi.Order{}, fmt.Errorf("order %s: %w", req.Reference, e)
		}
	}
}

// replay sends the request that placed order once more, as a shop does
// when it cannot tell whether its first try arrived: syncd answers 200
// with the same order and buys nothing.
func (s *shop) replay(ctx context.Context, req syncdapi.OrderRequest, order syncdapi.Order) error {
	req.ExpectedPrice = order.Price
	resp, err := s.api.CreateOrderWithResponse(ctx, req)
	if err != nil {
		return fmt.Errorf("replay order %s: %w", req.Reference, err)
	}
	if resp.JSON200 == nil {
		return fmt.Errorf("replay order %s: got %d, want 200 with the same order: %w", req.Reference, resp.StatusCode(),
			apiErrorOf(resp.HTTPResponse, resp.Body))
	}
	if resp.JSON200.Id != order.Id {
		return fmt.Errorf("replay order %s: got order %s, want %s", req.Reference, resp.JSON200.Id, order.Id)
	}
	log.Printf("order %s sent again: 200, the same order %s, nothing bought twice", req.Reference, order.Id)
	return nil
}

func (s *shop) readItem(ctx context.Context, id string) (syncdapi.ItemView, error) {
	resp, err := s.api.GetItemWithResponse(ctx, id, &syncdapi.GetItemParams{Tier: &s.tier})
	if err != nil {
		return syncdapi.ItemView{}, fmt.Errorf("read item %s: %w", id, err)
	}
	if resp.JSON200 == nil {
		return syncdapi.ItemView{}, fmt.Errorf("read item %s: %w", id, apiErrorOf(resp.HTTPResponse, resp.Body))
	}
	return resp.JSON200.Item, nil
}

// follow polls the order until it is success or failed: every second at
// first, backing off to every 10 seconds. attention is not an end: an
// operator settles it, and the order then ends like any other.
func (s *shop) follow(ctx context.Context, order syncdapi.Order) (syncdapi.Order, error) {
	wait := time.Second
	for order.Status != syncdapi.OrderStatusSuccess && order.Status != syncdapi.OrderStatusFailed {
		if err := sleep(ctx, wait); err != nil {
			return order, fmt.Errorf("follow order %s (last %s): %w", order.Id, order.Status, err)
		}
		wait = min(wait*3/2, 10*time.Second)
		resp, err := s.api.GetOrderWithResponse(ctx, order.Id)
		if err != nil {
			log.Printf("read order %s: %v; polling on", order.Id, err)
			continue
		}
		if resp.JSON200 == nil {
			return order, fmt.Errorf("read order %s: %w", order.Id, apiErrorOf(resp.HTTPResponse, resp.Body))
		}
		if resp.JSON200.Status != order.Status {
			log.Printf("order %s: %s", order.Id, resp.JSON200.Status)
		}
		order = *resp.JSON200
	}
	return order, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errTimeout
	case <-t.C:
		return nil
	}
}

// apiError is syncd's error envelope with the response's status and
// request id, which syncd's log knows the request by.
type apiError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s (request %s)", e.Status, e.Code, e.Message, e.RequestID)
}

// apiErrorOf reads the envelope of an answer the generated client did
// not decode into a success.
func apiErrorOf(resp *http.Response, body []byte) *apiError {
	e := &apiError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var env syncdapi.Error
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Code == "" {
		e.Code, e.Message = "unexpected", fmt.Sprintf("%.200q", body)
		return e
	}
	e.Code, e.Message = env.Error.Code, env.Error.Message
	return e
}
