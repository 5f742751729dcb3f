package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
)

// historyLen is how many price changes the item page charts.
const historyLen = 200

type itemData struct {
	Item     *catalog.Item
	Game     *catalog.Game
	Offers   []*catalog.OfferState
	Explains []*catalog.Explanation
	Chart    chart
	History  []catalog.PriceChange // newest first, for the table
	Rename   string
	Error    string
}

func (c *Console) itemPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderItem(w, r, http.StatusOK, "", "")
}

// renderItem renders an item's page; a rename that failed passes what was
// typed and why.
func (c *Console) renderItem(w http.ResponseWriter, r *http.Request, status int, typed, problem string) error {
	snap, err := c.snapshot()
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "item")
	it, ok := snap.Item(id)
	if !ok {
		return &pageError{code: fault.ItemNotFound, message: "There is no item " + id + " in the catalog."}
	}
	g, _ := snap.Game(it.GameID)
	d := itemData{Item: it, Game: g, Rename: it.Name, Error: problem}
	if typed != "" || problem != "" {
		d.Rename = typed
	}
	// Offers are shared between snapshots: copy them to show each
	// supplier's freshness as this snapshot knows it, as the API does.
	for _, o := range it.Offers {
		cp := *o
		cp.SyncedAt = snap.SyncedAt(o.Supplier)
		d.Offers = append(d.Offers, &cp)
	}
	for _, tier := range snap.Tiers() {
		ex, err := snap.Explain(id, tier)
		if err != nil {
			return ours(err) // the item and tiers are the snapshot's own
		}
		d.Explains = append(d.Explains, ex)
	}
	hist, err := c.catalog.PriceHistory(r.Context(), id, historyLen)
	if err != nil {
		return err
	}
	d.Chart = priceChart(hist, snap.Tiers(), time.Now())
	for i := len(hist) - 1; i >= 0 && len(d.History) < 30; i-- {
		d.History = append(d.History, hist[i])
	}
	return c.render(w, r, status, "item", view{Title: it.Name, Nav: "catalog", Data: d})
}

// renameItem sets the name storefronts show; from the item page or the
// matching review (return=matching).
func (c *Console) renameItem(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "item")
	name := r.PostForm.Get("name")
	err := c.catalog.RenameItem(r.Context(), id, name, actor(r))
	fromReview := r.PostForm.Get("return") == "matching"
	switch {
	case err == nil:
		to := itemURL(id)
		if fromReview {
			to = withPage(Prefix+"/matching", nil, atoi(r.PostForm.Get("page")))
		}
		c.back(w, r, to, "Renamed "+id+" to “"+strings.TrimSpace(name)+"”.", true)
		return nil
	case errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrNotFound):
		// Shown beside the name typed, to correct: a form's 422.
		status, msg := fault.PageStatus(fault.Validation), strings.TrimPrefix(err.Error(), "invalid: ")
		if fromReview {
			return c.renderMatching(w, r, status, matchingInput{page: atoi(r.PostForm.Get("page")),
				item: id, name: name, err: msg})
		}
		return c.renderItem(w, r, status, name, msg)
	}
	return ours(err)
}
