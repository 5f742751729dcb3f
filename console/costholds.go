package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/offers"
)

// costEventsShown is how many entries of the cost guard's audit the page
// shows.
const costEventsShown = 50

type costHoldsData struct {
	Holds  []costHoldRow
	Events []offers.CostHoldEvent
}

// costHoldRow is a held offer with its item's name, and what a failed
// accept of it left: the note typed and why it was refused.
type costHoldRow struct {
	offers.HeldOffer
	ItemName string
	Note     string
	Err      string
}

// costHoldInput is a refused accept, shown again beside its offer.
type costHoldInput struct {
	offer     int64
	note, err string
}

func (c *Console) costHoldsPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderCostHolds(w, r, http.StatusOK, costHoldInput{})
}

func (c *Console) renderCostHolds(w http.ResponseWriter, r *http.Request, status int, in costHoldInput) error {
	holds, err := c.catalog.CostHolds(r.Context())
	if err != nil {
		return err
	}
	events, err := c.catalog.CostHoldEvents(r.Context(), 0, costEventsShown)
	if err != nil {
		return err
	}
	snap := c.catalog.Snapshot()
	d := costHoldsData{Events: events}
	for _, h := range holds {
		row := costHoldRow{HeldOffer: h}
		if h.Item != nil && snap != nil {
			if it, ok := snap.Item(*h.Item); ok {
				row.ItemName = it.Name
			}
		}
		if h.Offer == in.offer {
			row.Note, row.Err = in.note, in.err
		}
		d.Holds = append(d.Holds, row)
	}
	return c.render(w, r, status, "costholds", view{Title: "Cost holds", Nav: "costholds", Data: d})
}

// acceptCost releases a held cost on the merchandiser's word: the form
// carries the held cost the page showed, so a cost the supplier changed
// since is not accepted unseen.
func (c *Console) acceptCost(w http.ResponseWriter, r *http.Request) error {
	id, ok := offerParam(r)
	if !ok {
		return noOffer(chi.URLParam(r, "offer"))
	}
	to := Prefix + "/cost-holds"
	cost, err := strconv.ParseInt(r.PostForm.Get("cost"), 10, 64)
	if err != nil || cost < 0 {
		return &notice{to, "Nothing changed: the form did not say which cost to accept; reload the page and try again."}
	}
	note := r.PostForm.Get("note")
	ev, err := c.catalog.AcceptCost(r.Context(), id, cost, actor(r), note)
	var moved *offers.CostMovedError
	switch {
	case err == nil:
		c.back(w, r, to, "Accepted Rp "+idr(ev.NewCost)+" for "+ev.Supplier+" "+ev.Code+" (it was Rp "+idr(ev.OldCost)+
			"); the catalog is repriced with it.", true)
		return nil
	case errors.As(err, &moved):
		return &notice{to, "Nothing changed: the supplier has named Rp " + idr(moved.Current) + " for offer " + strconv.FormatInt(id, 10) +
			" since this page showed Rp " + idr(moved.Expected) + ". Look at it again."}
	case errors.Is(err, offers.ErrNotHeld):
		return &notice{to, "Nothing changed: offer " + strconv.FormatInt(id, 10) + "'s cost is no longer held (a sync confirmed it, or someone accepted it)."}
	case errors.Is(err, catalog.ErrNotFound):
		return noOffer(strconv.FormatInt(id, 10))
	case errors.Is(err, catalog.ErrInvalid):
		return c.renderCostHolds(w, r, fault.PageStatus(fault.Validation), costHoldInput{offer: id, note: note,
			err: strings.TrimPrefix(err.Error(), "invalid: ")})
	}
	return ours(err)
}
