package senpaysim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testKey, testSecret = "key-1", "secret-1"

func demoCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := LoadCatalog(DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func start(t *testing.T, opts Options) (*Sim, *httptest.Server) {
	t.Helper()
	opts.APIKey, opts.SecretKey = testKey, testSecret
	s := New(demoCatalog(t), opts)
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return s, srv
}

// reply is a decoded envelope plus the raw body and HTTP status.
type reply struct {
	HTTP    int
	Raw     string
	Status  int             `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func get(t *testing.T, srv *httptest.Server, uri string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+uri, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	return do(t, req)
}

func create(t *testing.T, srv *httptest.Server, body string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+PathCreate, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Signature", testSecret)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{HTTP: resp.StatusCode, Raw: string(b)}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("reply %q: %v", b, err)
	}
	return r
}
