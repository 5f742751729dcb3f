package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/inbox"
	"github.com/syncd/syncd/internal/fault"
)

// Webhook configures POST /v1/webhooks/{supplier} for one registered
// supplier that posts webhooks (cmd/syncd builds it from the supplier's
// descriptor). Suppliers send no bearer token: who may call is decided by
// address and, optionally, a signature.
type Webhook struct {
	Title string // the supplier's name for people, in messages
	// Enabled is false for a supplier that is registered but not
	// configured: its deliveries are answered 404 in its shape.
	Enabled bool
	// Allow holds the addresses the supplier posts from.
	Allow []netip.Prefix
	// Verify, when set, says whether a delivery is signed; an unsigned one
	// is answered 400 "Invalid signature". Nil: none is checked.
	Verify func(h http.Header, body []byte) bool
	// Reply is the body of every answer, in the supplier's shape.
	Reply func(status int, message string) any
}

// webhook receives one delivery at /v1/webhooks/{supplier}; a supplier
// with no webhook is no endpoint at all.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	name := pathParam(r, "supplier")
	hook := s.cfg.Webhooks[name]
	if hook == nil {
		s.handle(func(http.ResponseWriter, *http.Request) error {
			return fault.New(fault.NotFound, "no such endpoint")
		})(w, r)
		return
	}
	s.webhookHandle(name, hook, s.receiveWebhook)(w, r)
}

// webhookHandle adapts a webhook handler: its errors are answered in the
// supplier's shape, never in syncd's envelope.
func (s *Server) webhookHandle(supplier string, hook *Webhook, h func(http.ResponseWriter, *http.Request, string, *Webhook) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r, supplier, hook)
		if err == nil {
			return
		}
		// The handler's own refusals come as they are, and a body the
		// inbox refuses (inbox.ErrInvalid) is bad_webhook. Anything else,
		// a domain error too, failed applying a delivery: ours, a 500,
		// so the sender delivers it again.
		e, ok := err.(*fault.Error)
		switch {
		case ok:
		case errors.Is(err, inbox.ErrInvalid):
			e = fault.New(fault.BadWebhook, err.Error())
		default:
			s.log.Error("webhook failed", "supplier", supplier, "request_id", middleware.GetReqID(r.Context()), "err", err)
			e = fault.New(fault.Internal, "internal error; see the server log for request "+middleware.GetReqID(r.Context()))
		}
		status := fault.Status(e.Code)
		if status != http.StatusNotFound && status < 500 {
			s.log.Warn("webhook refused", "supplier", supplier, "status", status, "message", e.Message,
				"remote", r.RemoteAddr, "request_id", middleware.GetReqID(r.Context()))
		}
		writeJSON(w, status, hook.Reply(status, e.Message))
	}
}

// receiveWebhook receives one delivery: checked for its source and
// signature, stored in the inbox, applied, answered as the supplier
// expects (200 with its message; 400 with the reason).
func (s *Server) receiveWebhook(w http.ResponseWriter, r *http.Request, supplier string, hook *Webhook) error {
	if !hook.Enabled || s.cfg.Inbox == nil {
		return fault.New(fault.NotFound, hook.Title+" webhooks are not enabled on this server")
	}
	from, ok := clientAddr(r, s.cfg.TrustedProxies)
	if !ok || !inPrefixes(hook.Allow, from) {
		return fault.New(fault.Forbidden, "source address "+addrText(from)+" may not send "+hook.Title+" webhooks")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fault.New(fault.BadWebhook, fmt.Sprintf("request body is over %d bytes", tooLarge.Limit))
		}
		return fault.New(fault.BadWebhook, "request body could not be read")
	}
	if hook.Verify != nil && !hook.Verify(r.Header, body) {
		return fault.New(fault.BadWebhook, "Invalid signature")
	}
	res, err := s.cfg.Inbox.Receive(r.Context(), supplier, body, from.String())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !res.Accepted {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, hook.Reply(status, res.Message))
	return nil
}

// clientAddr is the address a request comes from: the TCP peer, unless the
// peer is a trusted proxy; then the right-most X-Forwarded-For address that
// is not itself a trusted proxy (the left-most, if all are). Addresses to
// the left of that one were written by whoever sent the request and prove
// nothing. ok is false when the address cannot be read.
func clientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	addr := peer.Addr().Unmap().WithZone("")
	if !inPrefixes(trusted, addr) {
		return addr, true
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHop(strings.TrimSpace(hops[i]))
		if err != nil {
			// Written by a proxy we trust, yet unreadable: no address
			// to believe.
			return netip.Addr{}, false
		}
		addr = hop.Unmap().WithZone("")
		if !inPrefixes(trusted, addr) {
			return addr, true
		}
	}
	return addr, true
}

// parseHop reads one X-Forwarded-For entry: an address, or one with a
// port ("203.0.113.7:443", "[2001:db8::1]:443"), as some proxies write.
func parseHop(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err == nil {
		return a, nil
	}
	ap, perr := netip.ParseAddrPort(s)
	if perr != nil {
		return netip.Addr{}, err
	}
	return ap.Addr(), nil
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "(unreadable)"
	}
	return a.String()
}
