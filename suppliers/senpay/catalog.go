package senpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
)

var _ offers.Source = (*Client)(nil)

// FetchCatalog fetches every provider and every provider's products and
// returns them as one catalog, or an error. Sync treats an offer missing
// from the catalog as removed, so any failure fails the whole fetch: a
// provider whose listing failed, a product filed under two providers, or a
// provider list that came back empty (Senpay never has no providers; an
// empty list is a glitch that would otherwise remove every offer). A
// refusal of syncd's credentials wraps offers.ErrUnauthorized.
func (c *Client) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	cat, err := c.fetchCatalog(ctx)
	if errors.Is(err, suppliers.ErrUnauthorized) {
		err = fmt.Errorf("%w: %w", offers.ErrUnauthorized, err)
	}
	return cat, err
}

func (c *Client) fetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	providers, err := c.Providers(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch catalog: %w", err)
	}
	if len(providers) == 0 {
		return nil, &suppliers.Error{Supplier: Name, Op: http.MethodGet + " " + pathProviders, Kind: suppliers.KindBadReply,
			Err: fmt.Errorf("fetch catalog: provider list is empty")}
	}
	products, err := c.productsOf(ctx, providers)
	if err != nil {
		return nil, err
	}
	return buildCatalog(providers, products)
}

// productsOf fetches the product listings of providers, c.concurrency at a
// time; products[i] belongs to providers[i]. The first failure cancels the
// fetches in flight and is the one returned.
func (c *Client) productsOf(ctx context.Context, providers []Provider) ([][]Product, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		sem   = make(chan struct{}, c.concurrency)
		out   = make([][]Product, len(providers))
	)
	fail := func(err error) {
		once.Do(func() {
			first = err
			cancel()
		})
	}
	for i, p := range providers {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			ps, err := c.Products(ctx, p.Code)
			if err != nil {
				fail(fmt.Errorf("fetch catalog: provider %s: %w", p.Code, err))
				return
			}
			out[i] = ps
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch catalog: %w", err)
	}
	return out, nil
}

// buildCatalog converts to syncd's terms. An offer is active only when its
// provider is too: Senpay refuses orders for a disabled provider's products
// whatever their own flag says.
func buildCatalog(providers []Provider, products [][]Product) (*offers.SupplierCatalog, error) {
	n := 0
	for _, ps := range products {
		n += len(ps)
	}
	cat := &offers.SupplierCatalog{
		Games:  make([]offers.SupplierGame, 0, len(providers)),
		Offers: make([]offers.Offer, 0, n),
	}
	owner := make(map[string]string, n)
	for i, prov := range providers {
		cat.Games = append(cat.Games, offers.SupplierGame{
			Code:    prov.Code,
			Name:    prov.Name,
			Active:  prov.Active,
			IconURL: prov.IconURL,
			Form:    prov.Form,
		})
		for _, p := range products[i] {
			if other, dup := owner[p.Code]; dup {
				return nil, &suppliers.Error{Supplier: Name, Op: http.MethodGet + " " + pathProducts, Kind: suppliers.KindBadReply,
					Err: fmt.Errorf("fetch catalog: product %q listed under providers %q and %q", p.Code, other, prov.Code)}
			}
			owner[p.Code] = prov.Code
			cat.Offers = append(cat.Offers, offers.Offer{
				Code:     p.Code,
				GameCode: prov.Code,
				Name:     p.Name,
				Cost:     p.Price,
				CostRaw:  p.PriceRaw,
				Active:   p.Active && prov.Active,
			})
		}
	}
	return cat, nil
}
