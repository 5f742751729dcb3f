package isipay

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
)

var _ offers.Source = (*Client)(nil)

// FetchCatalog returns Isipay's whole catalog: every product and the
// variants of every product, inactive ones included, so that sync sees an
// item turn inactive rather than disappear.
//
// Any failure fails the whole fetch, because offers missing from a partial
// catalog would be marked removed. For the same reason an empty product list
// is refused as a bad reply: an account that sells nothing is far more likely
// a fault at Isipay than the truth, and the last good catalog is the safer
// one to keep.
//
// Isipay has no order forms (an order takes one free-form data string), so
// every SupplierGame.Form is empty. An offer is active only when both its
// variant and its product are, since an order for either inactive one would
// be refused.
//
// A refusal of syncd's credentials wraps offers.ErrUnauthorized.
func (c *Client) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	cat, err := c.fetchCatalog(ctx)
	if errors.Is(err, suppliers.ErrUnauthorized) {
		err = fmt.Errorf("%w: %w", offers.ErrUnauthorized, err)
	}
	return cat, err
}

func (c *Client) fetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	products, err := c.Products(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch isipay catalog: %w", err)
	}
	if len(products) == 0 {
		return nil, fmt.Errorf("fetch isipay catalog: %w", &suppliers.Error{
			Supplier: Name, Op: read(pathProduct, nil).Op(), Kind: suppliers.KindBadReply, Status: 200,
			Err: errors.New("empty product list"),
		})
	}
	variants, err := c.allVariants(ctx, products)
	if err != nil {
		return nil, fmt.Errorf("fetch isipay catalog: %w", err)
	}

	cat := &offers.SupplierCatalog{Games: make([]offers.SupplierGame, 0, len(products))}
	owner := make(map[string]string) // variant code -> product code
	for i, p := range products {
		cat.Games = append(cat.Games, offers.SupplierGame{Code: p.Code, Name: p.Name, Active: p.Active})
		for _, v := range variants[i] {
			// An order names only the variant code, so one listed under two
			// products could not be ordered unambiguously.
			if prev, dup := owner[v.Code]; dup {
				return nil, fmt.Errorf("fetch isipay catalog: %w", &suppliers.Error{
					Supplier: Name, Op: read(pathVariant, nil).Op(), Kind: suppliers.KindBadReply, Status: 200,
					Err: fmt.Errorf("variant %q listed under products %q and %q", v.Code, prev, p.Code),
				})
			}
			owner[v.Code] = p.Code
			cat.Offers = append(cat.Offers, offers.Offer{
				Code:            v.Code,
				GameCode:        p.Code,
				Name:            v.Name,
				Cost:            v.Price,
				CostRaw:         v.PriceRaw,
				Active:          v.Active && p.Active,
				ProcessDuration: v.ProcessDuration,
			})
		}
	}
	return cat, nil
}

// allVariants fetches the variants of every product with at most
// c.concurrency requests in flight. The first failure cancels the rest and is
// the error returned; results keep the products' order.
func (c *Client) allVariants(ctx context.Context, products []Product) ([][]Variant, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := make([][]Variant, len(products))
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	sem := make(chan struct{}, c.concurrency)
	for i, p := range products {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			vs, err := c.Variants(ctx, p.Code)
			if err != nil {
				once.Do(func() {
					firstErr = fmt.Errorf("variants of product %q: %w", p.Code, err)
					cancel()
				})
				return
			}
			out[i] = vs
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		// The caller's context ended before every product was asked for.
		return nil, &suppliers.Error{Supplier: Name, Op: read(pathVariant, nil).Op(), Kind: suppliers.KindUnavailable, Err: err}
	}
	return out, nil
}
