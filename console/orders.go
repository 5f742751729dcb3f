package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/orders"
)

// ordersPageSize is how many orders a page lists.
const ordersPageSize = 50

var statuses = []orders.Status{orders.Attention, orders.Pending, orders.Processing, orders.Success, orders.Failed}

type ordersData struct {
	Enabled  bool
	Status   string
	Statuses []orders.Status
	Counts   map[orders.Status]int
	Orders   []*orders.Order
	Older    string // the next page's link
	Before   string
	Error    string
}

func (c *Console) ordersPage(w http.ResponseWriter, r *http.Request) error {
	d := ordersData{Enabled: c.cfg.Orders != nil, Statuses: statuses}
	if !d.Enabled {
		return c.render(w, r, http.StatusOK, "orders", view{Title: "Orders", Nav: "orders", Data: d})
	}
	q := r.URL.Query()
	f := orders.Filter{Status: orders.Status(q.Get("status")), Limit: ordersPageSize}
	status := http.StatusOK
	if f.Status != "" && !containsStatus(f.Status) {
		d.Error, f.Status, status = "no status "+string(f.Status)+"; showing every order", "", fault.PageStatus(fault.BadRequest)
	}
	d.Status = string(f.Status)
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			d.Error, status = "before must be a time such as 2026-12-01T00:00:00Z", fault.PageStatus(fault.BadRequest)
		} else {
			f.Until, d.Before = t, b
		}
	}
	var err error
	if d.Counts, err = c.cfg.Orders.Counts(r.Context()); err != nil {
		return err
	}
	list, err := c.cfg.Orders.List(r.Context(), f)
	if err != nil {
		return ours(err)
	}
	// List puts attention first whatever the filter. Past the first page
	// of every status those were shown already: leave them out.
	var last time.Time
	for _, o := range list {
		if o.Status != orders.Attention || f.Status == orders.Attention {
			last = o.CreatedAt
		}
		if !f.Until.IsZero() && f.Status == "" && o.Status == orders.Attention {
			continue
		}
		d.Orders = append(d.Orders, o)
	}
	if len(list) == ordersPageSize && !last.IsZero() {
		v := url.Values{"before": {last.UTC().Format(time.RFC3339Nano)}}
		if f.Status != "" {
			v.Set("status", string(f.Status))
		}
		d.Older = Prefix + "/orders?" + v.Encode()
	}
	return c.render(w, r, status, "orders", view{Title: "Orders", Nav: "orders", Data: d})
}

func containsStatus(s orders.Status) bool {
	for _, x := range statuses {
		if x == s {
			return true
		}
	}
	return false
}

type orderData struct {
	Routing *orders.Routing
	Events  []eventRow
	Explain *catalog.Explanation
	RawExp  string
	Settle  settleForm
}

type eventRow struct {
	orders.Event
	Detail string
	Route  *routeDecision // a "route" event's candidates, read for people
	Fields []eventField   // any other event's detail, member by member
}

// eventField is one member of an event's detail: "to: success".
type eventField struct{ Name, Value string }

// fieldsOf lays a detail object out as name: value pairs in name order,
// leaving out empty values; nil if it is not a flat object.
func fieldsOf(detail json.RawMessage) []eventField {
	var m map[string]any
	if json.Unmarshal(detail, &m) != nil {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []eventField
	for _, k := range names {
		var v string
		switch x := m[k].(type) {
		case nil:
			continue
		case string:
			v = x
		case float64, bool:
			v = fmt.Sprint(x)
		default:
			return nil // nested: shown as JSON
		}
		if v != "" {
			out = append(out, eventField{k, v})
		}
	}
	return out
}

// routeDecision is the detail of a "route" event: each candidate offer
// and the verdict on it.
type routeDecision struct {
	Candidates []struct {
		Supplier string `json:"supplier"`
		Cost     int64  `json:"cost"`
		MinPrice string `json:"min_price"`
		Verdict  string `json:"verdict"`
		Why      string `json:"why"`
	} `json:"candidates"`
	Why string `json:"why"`
}

// settleForm is the settle form as typed, and what is wrong with it.
type settleForm struct {
	Outcome, SN, Note string
	Errors            map[string]string
	Problem           string
}

func (c *Console) orderPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderOrder(w, r, http.StatusOK, settleForm{Outcome: "succeeded"})
}

// noOrders is the error page of an order route on a server that takes no
// orders.
var noOrders = &pageError{code: fault.NotFound, heading: "Orders not enabled", message: "This server takes no orders."}

// noOrder is the error page for an order that is not there.
func noOrder(id string) error {
	return &pageError{code: fault.OrderNotFound, message: "There is no order " + id + "."}
}

func (c *Console) renderOrder(w http.ResponseWriter, r *http.Request, status int, sf settleForm) error {
	if c.cfg.Orders == nil {
		return noOrders
	}
	id := chi.URLParam(r, "id")
	rt, err := c.cfg.Orders.Routing(r.Context(), id)
	if errors.Is(err, orders.ErrNotFound) {
		return noOrder(id)
	}
	if err != nil {
		return ours(err)
	}
	d := orderData{Routing: rt, Settle: sf}
	for _, e := range rt.Events {
		row := eventRow{Event: e, Detail: compact(e.Detail), Fields: fieldsOf(e.Detail)}
		if e.Kind == "route" {
			var rd routeDecision
			if json.Unmarshal(e.Detail, &rd) == nil && len(rd.Candidates) > 0 {
				row.Route = &rd
			}
		}
		d.Events = append(d.Events, row)
	}
	if len(rt.Explain) > 0 && string(rt.Explain) != "null" {
		var ex catalog.Explanation
		if err := json.Unmarshal(rt.Explain, &ex); err == nil {
			d.Explain = &ex
		} else {
			d.RawExp = compact(rt.Explain)
		}
	}
	return c.render(w, r, status, "order", view{Title: "Order " + id, Nav: "orders", Data: d})
}

// compact is a JSON value on one line, for an event's detail.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// settleOrder records an operator's decision on an order in attention;
// what stops it is shown on the form, with what was typed.
func (c *Console) settleOrder(w http.ResponseWriter, r *http.Request) error {
	if c.cfg.Orders == nil {
		return noOrders
	}
	id := chi.URLParam(r, "id")
	sf := settleForm{Outcome: r.PostForm.Get("outcome"), SN: strings.TrimSpace(r.PostForm.Get("sn")),
		Note: strings.TrimSpace(r.PostForm.Get("note")), Errors: map[string]string{}}
	st := orders.Settlement{SN: sf.SN, Note: sf.Note}
	switch sf.Outcome {
	case "succeeded":
		st.Succeeded = true
	case "failed":
		if sf.SN != "" {
			sf.Errors["sn"] = "only a succeeded outcome has a serial number"
		}
	default:
		sf.Errors["outcome"] = "choose succeeded or failed"
	}
	if len(sf.Errors) > 0 {
		return c.renderOrder(w, r, fault.PageStatus(fault.Validation), sf)
	}
	o, err := c.cfg.Orders.Settle(r.Context(), id, st, actor(r))
	switch {
	case err == nil:
		c.log.Info("order settled", "order", id, "outcome", sf.Outcome, "by", actor(r))
		c.back(w, r, Prefix+"/orders/"+url.PathEscape(id), "Order "+id+" settled: "+string(o.Status)+".", true)
		return nil
	case fault.FieldsOf(err) != nil:
		sf.Errors = fault.FieldsOf(err)
		return c.renderOrder(w, r, fault.PageStatus(fault.Validation), sf)
	case errors.Is(err, orders.ErrNotSettleable):
		sf.Problem = "Not settled: " + err.Error() + " (only an order in attention can be settled)."
		return c.renderOrder(w, r, fault.PageStatus(fault.NotSettleable), sf)
	case errors.Is(err, orders.ErrNotFound):
		return noOrder(id)
	}
	return ours(err)
}
