package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/dbtest"
)

func TestTokenCommands(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	env := map[string]string{"SYNCD_DB": path}
	getenv := func(k string) string { return env[k] }
	token := func(args ...string) (string, string, error) {
		var stdout, stderr strings.Builder
		err := run(ctx, append([]string{"token"}, args...), getenv, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}

	out, hint, err := token("create", "--role", "storefront", "--name", "shop")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, hint)
	}
	secret := strings.TrimSpace(out)
	if !strings.HasPrefix(secret, auth.SecretPrefix) || strings.Count(out, "\n") != 1 {
		t.Fatalf("create stdout: got %q, want the secret alone on one line", out)
	}
	if strings.Count(hint, "\n") != 1 || !strings.Contains(hint, "cannot be shown again") || strings.Contains(hint, secret) {
		t.Fatalf("create stderr: got %q, want a one-line hint without the secret", hint)
	}

	// The secret authenticates against the same database, as serve would.
	db, err := syncd.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := auth.NewStore(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("created token: got %v, want it accepted", err)
	}
	if p.Name != "shop" || p.Role != auth.RoleStorefront {
		t.Fatalf("principal: got %+v, want shop/storefront", p)
	}

	// -db wins over SYNCD_DB.
	other := filepath.Join(t.TempDir(), "other.db")
	if _, _, err := token("create", "-db", other, "-role", "admin", "-name", "ops"); err != nil {
		t.Fatal(err)
	}
	out, _, err = token("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "shop") ||
		!strings.Contains(lines[1], "storefront") || strings.Contains(out, secret) {
		t.Fatalf("list: got\n%s\nwant a header and shop, no secret", out)
	}
	if !strings.HasSuffix(strings.TrimSpace(lines[1]), "-") {
		t.Fatalf("list: got %q, want - for not revoked", lines[1])
	}

	if out, _, err = token("revoke", "1"); err != nil || !strings.Contains(out, "revoked token 1") {
		t.Fatalf("revoke: got %q, %v", out, err)
	}
	if out, _, _ = token("list"); strings.HasSuffix(strings.TrimSpace(out), "-") {
		t.Fatalf("list after revoke: got\n%s\nwant a revocation time", out)
	}
	if _, _, err := token("revoke", "42"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoke unknown: got %v, want ErrNotFound", err)
	}
}

func TestTokenCommandRefusesBadInput(t *testing.T) {
	path := dbtest.DSN(t)
	getenv := func(k string) string {
		if k == "SYNCD_DB" {
			return path
		}
		return ""
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "no subcommand"},
		{"unknown subcommand", []string{"rotate"}, "unknown subcommand"},
		{"unknown role", []string{"create", "-role", "root", "-name", "x"}, "role: must be one of"},
		{"no name", []string{"create", "-role", "admin"}, "name: required"},
		{"stray argument", []string{"create", "-role", "admin", "-name", "x", "extra"}, "unexpected arguments"},
		{"revoke without id", []string{"revoke"}, "exactly one token ID"},
		{"revoke bad id", []string{"revoke", "abc"}, "not a token ID"},
		{"unknown tier", []string{"create", "-role", "storefront", "-name", "x", "-tiers", "public,gold"}, "no such price tier"},
		{"empty tiers", []string{"create", "-role", "storefront", "-name", "x", "-tiers", ","}, "tiers: at least one tier"},
		{"tiers of an admin", []string{"create", "-role", "admin", "-name", "x", "-tiers", "public"}, "only storefront tokens have tiers"},
		{"tiers without a list", []string{"tiers", "1"}, "want a token ID and its tiers"},
		{"tiers bad id", []string{"tiers", "abc", "public"}, "not a token ID"},
		{"tiers unknown id", []string{"tiers", "42", "public"}, "token not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(context.Background(), append([]string{"token"}, tt.args...), getenv, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}

// TestTokenCommandTiersAndNames: -tiers and the tiers subcommand set what a
// storefront may use, the list shows it, and a name is refused a second
// time unless -rotate says the new token is the same party.
func TestTokenCommandTiersAndNames(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	getenv := func(k string) string {
		if k == "SYNCD_DB" {
			return path
		}
		return ""
	}
	token := func(args ...string) (string, string, error) {
		var stdout, stderr strings.Builder
		err := run(ctx, append([]string{"token"}, args...), getenv, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	db, err := syncd.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO tiers (id, name, created_at) VALUES ('member', 'Members', 't')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if _, said, err := token("create", "-role", "storefront", "-name", "shop", "-tiers", "member, public"); err != nil ||
		!strings.Contains(said, "tiers public,member") {
		t.Fatalf("create with tiers: got %q, %v", said, err)
	}
	if _, _, err := token("create", "-role", "merchandiser", "-name", "mia"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := token("create", "-role", "storefront", "-name", "shop"); !errors.Is(err, auth.ErrNameTaken) ||
		!strings.Contains(err.Error(), "rotate") {
		t.Fatalf("same name again: got %v, want ErrNameTaken saying how to rotate", err)
	}
	if _, said, err := token("create", "-role", "storefront", "-name", "shop", "-rotate"); err != nil ||
		!strings.Contains(said, "created token 3") || !strings.Contains(said, "tiers public,member") {
		t.Fatalf("rotate: got %q, %v, want token 3 with shop's tiers", said, err)
	}
	if out, _, err := token("tiers", "1", "public"); err != nil || out != "token 1 \"shop\" may use tiers public\n" {
		t.Fatalf("tiers: got %q, %v", out, err)
	}
	if _, _, err := token("tiers", "2", "public"); err == nil || !strings.Contains(err.Error(), "only storefront tokens have tiers") {
		t.Fatalf("tiers of a merchandiser: got %v", err)
	}
	out, _, err := token("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "TIERS") {
		t.Fatalf("list: got\n%s\nwant a header with TIERS and three tokens", out)
	}
	for i, want := range []string{"public ", "all ", "public,member "} {
		if f := strings.Fields(lines[i+1]); len(f) < 4 || f[3]+" " != want {
			t.Fatalf("list line %d: got %q, want tiers %q", i+1, lines[i+1], want)
		}
	}
}
