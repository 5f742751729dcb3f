package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
)

// reviewPageSize is how many offers a matching review page shows.
const reviewPageSize = 25

type matchingData struct {
	Games   []catalog.GameReviewEntry
	Entries []reviewEntry
	Pager   pager
	Page    int
}

// reviewEntry is an offer waiting for a merchandiser, with its item and
// what a failed action on it left: the typed value and why.
type reviewEntry struct {
	catalog.ReviewEntry
	ItemName   string
	ItemOffers int
	LinkTo     string
	LinkErr    string
	Rename     string
	RenameErr  string
}

// matchingInput is a failed action's input, shown again beside its offer.
type matchingInput struct {
	page            int
	offer           int64
	link            string
	linkErr         string
	item, name, err string // a rename
}

func (c *Console) matchingPage(w http.ResponseWriter, r *http.Request) {
	c.renderMatching(w, r, http.StatusOK, matchingInput{page: pageOf(r.URL.Query())})
}

func (c *Console) renderMatching(w http.ResponseWriter, r *http.Request, status int, in matchingInput) {
	snap := c.snapshot(w, r)
	if snap == nil {
		return
	}
	all := snap.Review()
	page := max(in.page, 1)
	d := matchingData{Page: page, Pager: newPager(page, reviewPageSize, len(all), func(p int) string {
		return Prefix + "/matching?page=" + strconv.Itoa(p)
	})}
	d.Games = snap.GameReview()
	placed := false
	for i := (page - 1) * reviewPageSize; i < len(all) && i < page*reviewPageSize; i++ {
		e := reviewEntry{ReviewEntry: all[i]}
		if it, ok := snap.Item(e.Item); ok {
			e.ItemName, e.ItemOffers, e.Rename = it.Name, len(it.Offers), it.Name
		}
		if len(e.Suggestions) > 0 {
			e.LinkTo = e.Suggestions[0]
		}
		if in.offer == e.Offer.ID {
			e.LinkTo, e.LinkErr, placed = in.link, in.linkErr, true
		}
		if in.item != "" && in.item == e.Item {
			e.Rename, e.RenameErr, placed = in.name, in.err, true
		}
		d.Entries = append(d.Entries, e)
	}
	v := view{Title: "Matching review", Nav: "matching", Data: d}
	if msg := in.linkErr + in.err; msg != "" && !placed {
		v.Flash = msg // its offer is not on this page: say it at the top
	}
	c.render(w, r, status, "matching", v)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func offerParam(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "offer"), 10, 64)
	return id, err == nil && id > 0
}

// linkOffer makes an offer part of an item; the catalog rebuilds at once.
func (c *Console) linkOffer(w http.ResponseWriter, r *http.Request) {
	id, ok := offerParam(r)
	if !ok {
		c.fail(w, r, http.StatusNotFound, "No such offer", "There is no offer "+chi.URLParam(r, "offer")+".")
		return
	}
	page := atoi(r.PostForm.Get("page"))
	item := strings.TrimSpace(r.PostForm.Get("item"))
	var err error
	if item == "" {
		err = errors.New("choose the item this offer is")
	} else {
		err = c.catalog.LinkOffer(r.Context(), id, item, actor(r))
	}
	switch {
	case err == nil:
		c.back(w, r, withPage(Prefix+"/matching", nil, page), "Linked offer "+strconv.FormatInt(id, 10)+" to "+item+"; the catalog is rebuilt with it.", true)
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrInvalid), item == "":
		c.renderMatching(w, r, http.StatusUnprocessableEntity, matchingInput{page: page, offer: id, link: item,
			linkErr: strings.TrimPrefix(err.Error(), "invalid: ")})
	default:
		c.internal(w, r, err)
	}
}

// splitOffer takes an offer out of its item into a new one of its own.
func (c *Console) splitOffer(w http.ResponseWriter, r *http.Request) {
	id, ok := offerParam(r)
	if !ok {
		c.fail(w, r, http.StatusNotFound, "No such offer", "There is no offer "+chi.URLParam(r, "offer")+".")
		return
	}
	item, err := c.catalog.SplitOffer(r.Context(), id, actor(r))
	switch {
	case err == nil:
		c.back(w, r, itemURL(item), "Offer "+strconv.FormatInt(id, 10)+" is now item "+item+" of its own.", true)
	case errors.Is(err, catalog.ErrNotFound):
		c.back(w, r, Prefix+"/matching", "Nothing changed: there is no offer "+strconv.FormatInt(id, 10)+" in a game.", false)
	default:
		c.internal(w, r, err)
	}
}
