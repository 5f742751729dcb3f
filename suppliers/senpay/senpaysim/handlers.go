package senpaysim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Paths Senpay serves.
const (
	PathProviders   = "/api/prepaid/provider"
	PathProducts    = "/api/prepaid/product"
	PathCreate      = "/api/prepaid/transaction/create"
	PathTransaction = "/api/prepaid/transaction/"
)

// iconBase is where Senpay serves provider icons; the simulator serves none.
const iconBase = "https://senpay.id/images/provider/"

// Replies as Senpay words them.
const (
	msgInvalidKey       = "Invalid API Key"
	msgInvalidSignature = "Invalid signature"
	msgProductNotFound  = "Produk tidak ditemukan"
	msgProductInactive  = "Produk sedang tidak aktif"
	msgProviderNotFound = "Provider tidak ditemukan"
	msgTrxNotFound      = "Transaksi tidak ditemukan"
	msgNoBalance        = "Saldo tidak mencukupi"
	msgDuplicateRef     = "Partner reference sudah digunakan"
)

func (s *Sim) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET "+PathProviders, s.handleProviders)
	s.mux.HandleFunc("GET "+PathProducts, s.handleProducts)
	s.mux.HandleFunc("GET "+PathProducts+"/{code}", s.handleProduct)
	s.mux.HandleFunc("POST "+PathCreate, s.handleCreate)
	s.mux.HandleFunc("GET "+PathTransaction+"{reference}", s.handleTransaction)
}

type providerJSON struct {
	ID      int64           `json:"id"`
	Code    string          `json:"code"`
	Name    string          `json:"name"`
	Active  json.RawMessage `json:"active"`
	Icon    string          `json:"icon"`
	Forms   []Form          `json:"forms"`
	IconURL string          `json:"icon_url"`
}

type productJSON struct {
	ID       int64           `json:"id"`
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	Active   json.RawMessage `json:"active"`
	Price    json.RawMessage `json:"price"`
	Provider any             `json:"provider"`
}

type listedProviderJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type detailProviderJSON struct {
	ID      int64  `json:"id"`
	Code    string `json:"code"`
	Name    string `json:"name"`
	Icon    string `json:"icon"`
	IconURL string `json:"icon_url"`
}

func (s *Sim) handleProviders(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	onlyActive := r.URL.Query().Get("active") == "1"
	s.mu.Lock()
	out := make([]providerJSON, 0, len(s.provs))
	for _, p := range s.provs {
		if onlyActive && !p.active {
			continue
		}
		forms := p.Forms
		if forms == nil {
			forms = []Form{}
		}
		out = append(out, providerJSON{
			ID: p.ID, Code: p.Code, Name: p.Name, Active: p.Active,
			Icon: p.Icon, Forms: forms, IconURL: iconBase + p.Icon,
		})
	}
	s.mu.Unlock()
	s.ok(w, out)
}

func (s *Sim) handleProducts(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	code := r.URL.Query().Get("provider")
	onlyActive := r.URL.Query().Get("active") == "1"
	if code == "" {
		s.refuse(w, "Provider wajib diisi")
		return
	}
	s.mu.Lock()
	p, ok := s.provCode[code]
	var out []productJSON
	if ok {
		out = make([]productJSON, 0, len(p.products))
		for _, pr := range p.products {
			if onlyActive && !pr.active {
				continue
			}
			out = append(out, productJSON{
				ID: pr.ID, Code: pr.Code, Name: pr.Name, Active: pr.Active, Price: pr.Price,
				Provider: listedProviderJSON{Code: p.Code, Name: p.Name},
			})
		}
	}
	s.mu.Unlock()
	if !ok {
		s.refuse(w, msgProviderNotFound)
		return
	}
	s.ok(w, out)
}

func (s *Sim) handleProduct(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	pr, ok := s.prodCode[r.PathValue("code")]
	var out productJSON
	if ok {
		p := pr.prov
		out = productJSON{
			ID: pr.ID, Code: pr.Code, Name: pr.Name, Active: pr.Active, Price: pr.Price,
			Provider: detailProviderJSON{ID: p.ID, Code: p.Code, Name: p.Name, Icon: p.Icon, IconURL: iconBase + p.Icon},
		}
	}
	s.mu.Unlock()
	if !ok {
		s.refuse(w, msgProductNotFound)
		return
	}
	s.ok(w, out)
}

func (s *Sim) handleCreate(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	if s.opts.SecretKey != "" && r.Header.Get("Signature") != s.opts.SecretKey {
		s.refuse(w, msgInvalidSignature)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		s.refuse(w, "Payload terlalu besar")
		return
	}
	fields, msg := parsePayload(body)
	if msg != "" {
		s.refuse(w, msg)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	trx, msg := s.create(fields, scheme+"://"+r.Host+"/trx/")
	if msg != "" {
		s.refuse(w, msg)
		return
	}
	s.ok(w, createdJSON(trx))
}

// parsePayload reads the create body: a JSON object whose values are strings
// (numbers are accepted too, as PHP clients send them).
func parsePayload(body []byte) (map[string]string, string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, "Payload tidak valid"
	}
	fields := make(map[string]string, len(raw))
	for k, v := range raw {
		var str string
		var num json.Number
		switch {
		case json.Unmarshal(v, &str) == nil:
			fields[k] = str
		case json.Unmarshal(v, &num) == nil:
			fields[k] = num.String()
		default:
			return nil, "Field " + k + " tidak valid"
		}
	}
	for _, k := range []string{"target_product_code", "partner_reference"} {
		if strings.TrimSpace(fields[k]) == "" {
			return nil, "Field " + k + " wajib diisi"
		}
	}
	return fields, ""
}

func (s *Sim) handleTransaction(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	trx, ok := s.lookup(r.PathValue("reference"))
	if !ok {
		s.refuse(w, msgTrxNotFound)
		return
	}
	s.ok(w, statusJSON(trx))
}

func (s *Sim) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.opts.APIKey {
		return true
	}
	s.refuse(w, msgInvalidKey)
	return false
}

func (s *Sim) ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, okJSON{Status: 200, Data: data})
}

func (s *Sim) refuse(w http.ResponseWriter, message string) {
	code := s.opts.ErrorHTTPStatus
	if code == 0 {
		code = http.StatusOK
	}
	writeJSON(w, code, failJSON{Status: 400, Message: message})
}

// The envelopes, status first as Senpay writes them.
type okJSON struct {
	Status int `json:"status"`
	Data   any `json:"data"`
}

type failJSON struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}
