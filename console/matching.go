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
	"github.com/syncd/syncd/internal/fault"
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

func (c *Console) matchingPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderMatching(w, r, http.StatusOK, matchingInput{page: pageOf(r.URL.Query())})
}

func (c *Console) renderMatching(w http.ResponseWriter, r *http.Request, status int, in matchingInput) error {
	snap, err := c.snapshot()
	if err != nil {
		return err
	}
	all := snap.Review()
	page := max(in.page, 1)
	d := matchingData{Page: page, Pager: newPager(page, reviewPageSize, len(all), func(p int) string {
		return Prefix + "/matching?page=" + strconv.Itoa(p)
	})}
	d.Games, d.Rules = snap.GameReview(), snap.RuleReview()
	if d.Decisions, err = c.catalog.GameDecisions(r.Context(), "", "", recentDecisions); err != nil {
		return err
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
	return c.render(w, r, status, "matching", v)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func offerParam(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "offer"), 10, 64)
	return id, err == nil && id > 0
}

// noOffer is the error page for an offer that is not there.
func noOffer(id string) error {
	return &pageError{code: fault.NotFound, heading: "No such offer", message: "There is no offer " + id + "."}
}

// linkOffer makes an offer part of an item; the catalog rebuilds at once.
func (c *Console) linkOffer(w http.ResponseWriter, r *http.Request) error {
	id, ok := offerParam(r)
	if !ok {
		return noOffer(chi.URLParam(r, "offer"))
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
		return nil
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrInvalid), item == "":
		// Shown beside the item typed, to correct: a form's 422.
		return c.renderMatching(w, r, fault.PageStatus(fault.Validation), matchingInput{page: page, offer: id, link: item,
			linkErr: strings.TrimPrefix(err.Error(), "invalid: ")})
	}
	return ours(err)
}

// splitOffer takes an offer out of its item into a new one of its own.
func (c *Console) splitOffer(w http.ResponseWriter, r *http.Request) error {
	id, ok := offerParam(r)
	if !ok {
		return noOffer(chi.URLParam(r, "offer"))
	}
	item, err := c.catalog.SplitOffer(r.Context(), id, actor(r))
	switch {
	case err == nil:
		c.back(w, r, itemURL(item), "Offer "+strconv.FormatInt(id, 10)+" is now item "+item+" of its own.", true)
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return &notice{Prefix + "/matching", "Nothing changed: there is no offer " + strconv.FormatInt(id, 10) + " in a game."}
	}
	return ours(err)
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
func (c *Console) linkGame(w http.ResponseWriter, r *http.Request) error {
	supplier, code := supplierGame(r)
	game := strings.TrimSpace(r.PostForm.Get("game"))
	d, err := c.catalog.LinkGame(r.Context(), supplier, code, game, actor(r))
	switch {
	case err == nil && d.From == d.To:
		c.back(w, r, Prefix+"/matching", supplier+"/"+code+" stays in "+d.To+": decided, kept apart from other games.", true)
		return nil
	case err == nil:
		c.back(w, r, Prefix+"/matching", fmt.Sprintf("Linked %s/%s into %s: %s; the catalog is rebuilt with it.", supplier, code, d.To, movedText(d)), true)
		return nil
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrInvalid):
		return &notice{Prefix + "/matching", "Nothing changed: " + strings.TrimPrefix(err.Error(), "invalid: ") + "."}
	}
	return ours(err)
}

// splitGame gives a supplier game a game of its own.
func (c *Console) splitGame(w http.ResponseWriter, r *http.Request) error {
	supplier, code := supplierGame(r)
	d, err := c.catalog.SplitGame(r.Context(), supplier, code, actor(r))
	switch {
	case err == nil && d.From == d.To:
		c.back(w, r, Prefix+"/matching", supplier+"/"+code+" is alone in "+d.To+" already: it stays there, decided.", true)
		return nil
	case err == nil:
		c.back(w, r, Prefix+"/catalog?game="+url.QueryEscape(d.To), fmt.Sprintf("%s/%s is now game %s of its own: %s.", supplier, code, d.To, movedText(d)), true)
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return &notice{Prefix + "/matching", "Nothing changed: " + err.Error() + "."}
	}
	return ours(err)
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
