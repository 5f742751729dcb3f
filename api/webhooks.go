package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
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

// senpaySupplier is senpaySupplier: api names suppliers, it does not import
// their adapters.
const senpaySupplier = "senpay"

// SenpayWebhook configures POST /v1/webhooks/senpay. Senpay sends no
// bearer token; who may call is decided by address and, optionally, a
// shared secret.
type SenpayWebhook struct {
	Inbox *inbox.Inbox
	// Allow holds the addresses Senpay posts from (SENPAY_WEBHOOK_ALLOW;
	// its document names 206.189.83.1).
	Allow []netip.Prefix
	// Secret, when set, requires every delivery to be signed in the
	// SignatureHeader header (SENPAY_WEBHOOK_SECRET). Senpay's document
	// mentions "Invalid signature" without saying how a webhook is
	// signed; syncd takes either the hex HMAC-SHA256 of the raw body
	// under the secret, or the secret itself, which is what Senpay's own
	// create-transaction Signature header carries.
	Secret string
	// SignatureHeader names the header (SENPAY_WEBHOOK_SIGNATURE_HEADER);
	// "" means X-Signature.
	SignatureHeader string
}

// senpayReply is Senpay's webhook reply shape, which a sender may read:
// {"status": 200, "message": "..."}.
type senpayReply struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// senpayHandle adapts a webhook handler: its errors are answered in
// Senpay's shape, never in syncd's envelope.
func (s *Server) senpayHandle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
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
			s.log.Error("webhook failed", "supplier", senpaySupplier, "request_id", middleware.GetReqID(r.Context()), "err", err)
			e = fault.New(fault.Internal, "internal error; see the server log for request "+middleware.GetReqID(r.Context()))
		}
		status := fault.Status(e.Code)
		if status != http.StatusNotFound && status < 500 {
			s.log.Warn("webhook refused", "supplier", senpaySupplier, "status", status, "message", e.Message,
				"remote", r.RemoteAddr, "request_id", middleware.GetReqID(r.Context()))
		}
		writeJSON(w, status, senpayReply{Status: status, Message: e.Message})
	}
}

// senpayWebhook receives one Senpay webhook: checked for its source and
// signature, stored in the inbox, applied, answered as Senpay's document
// answers (200 with its message; 400 with the reason).
func (s *Server) senpayWebhook(w http.ResponseWriter, r *http.Request) error {
	cfg := s.cfg.SenpayWebhook
	if cfg == nil || cfg.Inbox == nil {
		return fault.New(fault.NotFound, "Senpay webhooks are not enabled on this server")
	}
	from, ok := clientAddr(r, s.cfg.TrustedProxies)
	if !ok || !inPrefixes(cfg.Allow, from) {
		return fault.New(fault.Forbidden, "source address "+addrText(from)+" may not send Senpay webhooks")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fault.New(fault.BadWebhook, fmt.Sprintf("request body is over %d bytes", tooLarge.Limit))
		}
		return fault.New(fault.BadWebhook, "request body could not be read")
	}
	if cfg.Secret != "" {
		header := cfg.SignatureHeader
		if header == "" {
			header = "X-Signature"
		}
		if !signed(body, r.Header.Get(header), cfg.Secret) {
			return fault.New(fault.BadWebhook, "Invalid signature")
		}
	}
	res, err := cfg.Inbox.Receive(r.Context(), senpaySupplier, body, from.String())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !res.Accepted {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, senpayReply{Status: status, Message: res.Message})
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

// signed reports whether sig signs body under secret: the hex HMAC-SHA256
// of the body, or the secret itself. Both compare in constant time.
func signed(body []byte, sig, secret string) bool {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(sig), []byte(secret)) == 1 {
		return true
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
