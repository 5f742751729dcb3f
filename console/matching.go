package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
)

// reviewPageSize is how many offers a matching review page shows.
const reviewPageSize = 25

type matchingData struct {
	Games     []catalog.GameReviewEntry
	Rules     []catalog.RuleReviewEntry
	Decisions []catalog.GameDecision // the latest game links and splits
	Entries   []reviewEntry
	Pager     pager
	Page      int
}

// recentDecisions is how many game decisions the matching page shows.
const recentDecisions = 10

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
	d.Games, d.Rules = snap.GameReview(), snap.RuleReview()
	var err error
	if d.Decisions, err = c.catalog.GameDecisions(r.Context(), "", "", recentDecisions); err != nil {
		c.internal(w, r, err)
		return
	}
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

// supplierGame is the {supplier} and {code} of a game action, as sent:
// chi matches the escaped path when there is one.
func supplierGame(r *http.Request) (string, string) {
	get := func(name string) string {
		v := chi.URLParam(r, name)
		if r.URL.RawPath != "" {
			if u, err := url.PathUnescape(v); err == nil {
				return u
			}
		}
		return v
	}
	return get("supplier"), get("code")
}

// linkGame makes a supplier game part of the game the form names (the
// game it is in keeps it apart from the others, decided); the catalog
// rebuilds at once.
func (c *Console) linkGame(w http.ResponseWriter, r *http.Request) {
	supplier, code := supplierGame(r)
	game := strings.TrimSpace(r.PostForm.Get("game"))
	d, err := c.catalog.LinkGame(r.Context(), supplier, code, game, actor(r))
	switch {
	case err == nil && d.From == d.To:
		c.back(w, r, Prefix+"/matching", supplier+"/"+code+" stays in "+d.To+": decided, kept apart from other games.", true)
	case err == nil:
		c.back(w, r, Prefix+"/matching", fmt.Sprintf("Linked %s/%s into %s: %s; the catalog is rebuilt with it.", supplier, code, d.To, movedText(d)), true)
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrInvalid):
		c.back(w, r, Prefix+"/matching", "Nothing changed: "+strings.TrimPrefix(err.Error(), "invalid: ")+".", false)
	default:
		c.internal(w, r, err)
	}
}

// splitGame gives a supplier game a game of its own.
func (c *Console) splitGame(w http.ResponseWriter, r *http.Request) {
	supplier, code := supplierGame(r)
	d, err := c.catalog.SplitGame(r.Context(), supplier, code, actor(r))
	switch {
	case err == nil && d.From == d.To:
		c.back(w, r, Prefix+"/matching", supplier+"/"+code+" is alone in "+d.To+" already: it stays there, decided.", true)
	case err == nil:
		c.back(w, r, Prefix+"/catalog?game="+url.QueryEscape(d.To), fmt.Sprintf("%s/%s is now game %s of its own: %s.", supplier, code, d.To, movedText(d)), true)
	case errors.Is(err, catalog.ErrNotFound):
		c.back(w, r, Prefix+"/matching", "Nothing changed: "+err.Error()+".", false)
	default:
		c.internal(w, r, err)
	}
}

// movedText says what a game decision did to the items.
func movedText(d catalog.GameDecision) string {
	offers, merged := 0, 0
	for _, m := range d.Items {
		offers += m.Offers
		if m.Merged {
			merged++
		}
	}
	return fmt.Sprintf("%d offer(s) of %d item(s) moved, %d item(s) merged into %s's", offers, len(d.Items), merged, d.To)
}
