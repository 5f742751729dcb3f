package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/orders"
)

// Pages of orders and notifications, as orders.List and Notifier.List
// bound them.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// orderService is the order service, or a 404 on a server that takes no
// orders (Config.Orders nil).
func (s *Server) orderService() (*orders.Service, error) {
	if s.cfg.Orders == nil {
		return nil, fault.New(fault.NotFound, "orders are not enabled on this server")
	}
	return s.cfg.Orders, nil
}

// orderAccess admits to the storefront order routes the storefronts (each
// to its own orders) and admins (to every order). Merchandisers price the
// catalog; buyers' orders are not theirs to read, nor to place.
func (s *Server) orderAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := PrincipalFrom(r.Context()); p.Role == auth.RoleMerchandiser {
			writeError(w, r, s.log, fault.New(fault.Forbidden,
				"orders are the storefront's that placed them and admins'; a merchandiser token reads none"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// createOrder takes a storefront's order: 201 for a new one, 200 with the
// same order for a replay of its reference and body.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.orderService()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, orders.MaxRequestBytes))
	if err != nil {
		return badJSON(err)
	}
	req, err := orders.DecodeRequest(body)
	if err != nil {
		return badOrderBody(err)
	}
	p, _ := PrincipalFrom(r.Context())
	// Before the service sees it, so an order in a tier the token was not
	// granted is neither stored nor replayed.
	if !p.MayUseTier(req.Tier) {
		return tierForbidden(p, req.Tier)
	}
	o, created, err := svc.Create(r.Context(), req, p.Name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/orders/"+o.ID)
		// The line that ties this request's id to the order's: every
		// later line about the order carries the order id.
		s.log.Info("order taken", "order", o.ID, "reference", o.Reference, "storefront", p.Name, "item", o.Item,
			"price", o.Price, "status", o.Status, "supplier", o.Supplier, "request_id", middleware.GetReqID(r.Context()))
	}
	writeJSON(w, status, o)
	return nil
}

// badOrderBody turns DecodeRequest's complaint about the body as a whole
// (not JSON, not one object, an unknown member, a mistyped value) into the
// 400 bad_json every handler gives for it. Complaints about fields pass
// through and become 422s.
func badOrderBody(err error) error {
	fields := fault.FieldsOf(err)
	if fields == nil {
		return err
	}
	if dup := (*strictjson.DuplicateError)(nil); errors.As(err, &dup) {
		return duplicateMember(dup, "")
	}
	msg, ok := fields["body"]
	if !ok {
		return err
	}
	return fault.New(fault.BadJSON, "malformed order: "+msg)
}

// ownOrders is whose orders the caller may see: a storefront its own (by
// its token's name, which a rotated token keeps), an admin every
// storefront's (""). orderAccess keeps merchandisers out.
func ownOrders(r *http.Request) string {
	if p, _ := PrincipalFrom(r.Context()); p.Role == auth.RoleStorefront {
		return p.Name
	}
	return ""
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.orderService()
	if err != nil {
		return err
	}
	o, err := svc.Get(r.Context(), pathParam(r, "id"), ownOrders(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// listOrders finds a storefront's order by its reference (a list of zero
// or one), or, for an operator, lists orders by status and creation time.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.orderService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if ref := q.Get("reference"); ref != "" {
		list, err := svc.ByReference(r.Context(), ownOrders(r), ref)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"orders": list})
		return nil
	}
	if p, _ := PrincipalFrom(r.Context()); p.Role < auth.RoleAdmin {
		return fault.New(fault.Forbidden, "listing orders needs the admin role; look an order up by ?reference= or by its id")
	}
	f, err := orderFilter(r)
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": list})
	return nil
}

// orderFilter reads GET /v1/orders' status, since, until and limit.
func orderFilter(r *http.Request) (orders.Filter, error) {
	q := r.URL.Query()
	var f orders.Filter
	switch st := orders.Status(q.Get("status")); st {
	case "", orders.Pending, orders.Processing, orders.Success, orders.Failed, orders.Attention:
		f.Status = st
	default:
		return f, badQuery("status", string(st), "status must be pending, processing, success, failed or attention")
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		raw := q.Get(t.name)
		if raw == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return f, badQuery(t.name, raw, t.name+" must be an RFC 3339 time such as 2026-12-01T00:00:00Z")
		}
		*t.dst = v
	}
	var err error
	f.Limit, err = listLimit(r)
	return f, err
}

// listLimit reads ?limit=, 1 to maxListLimit, default defaultListLimit.
func listLimit(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return defaultListLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxListLimit {
		return 0, badQuery("limit", raw, fmt.Sprintf("limit must be a whole number from 1 to %d", maxListLimit))
	}
	return n, nil
}

func badQuery(name, raw, msg string) *fault.Error {
	return &fault.Error{Code: fault.BadRequest, Message: msg, Details: map[string]any{name: raw}}
}

func (s *Server) orderRouting(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.orderService()
	if err != nil {
		return err
	}
	rt, err := svc.Routing(r.Context(), pathParam(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

// settlement is POST /v1/orders/{id}/settle's body.
type settlement struct {
	Outcome string `json:"outcome"` // succeeded | failed
	SN      string `json:"sn"`
	Note    string `json:"note"`
}

// settleOrder records an operator's decision on an order in attention.
func (s *Server) settleOrder(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.orderService()
	if err != nil {
		return err
	}
	var in settlement
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	st := orders.Settlement{SN: in.SN, Note: in.Note}
	switch in.Outcome {
	case "succeeded":
		st.Succeeded = true
	case "failed":
		if in.SN != "" {
			// An operator who sends one believes something was delivered.
			return orders.ErrInvalid.WithFields(map[string]string{"sn": "only a succeeded outcome has a serial number"})
		}
	default:
		return orders.ErrInvalid.WithFields(map[string]string{"outcome": "required: succeeded or failed"})
	}
	p, _ := PrincipalFrom(r.Context())
	id := pathParam(r, "id")
	o, err := svc.Settle(r.Context(), id, st, p.Name)
	if err != nil {
		return err
	}
	s.log.Info("order settled", "order", id, "outcome", in.Outcome, "by", p.Name,
		"request_id", middleware.GetReqID(r.Context()))
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Notifier == nil {
		return fault.New(fault.NotFound, "storefront notifications are not enabled on this server")
	}
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.cfg.Notifier.List(r.Context(), orders.DeliveryFilter{State: q.Get("state"), Order: q.Get("order"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": list})
	return nil
}
