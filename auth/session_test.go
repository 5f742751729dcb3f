package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
)

func mustSession(t *testing.T, s *Store, id string) *Session {
	t.Helper()
	sess, err := s.Session(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func sessionRows(t *testing.T, db *syncd.DB) int {
	t.Helper()
	var n int
	if err := db.Read.Get(&n, `SELECT count(*) FROM console_sessions`); err != nil {
		t.Fatal(err)
	}
	return n
}

// The row is keyed by the id's SHA-256 and holds the token's: neither the
// cookie's id nor the token is stored. Another Store on the database (an
// instance) finds the session; ending it on one ends it for both.
func TestSessionStoresHashes(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	db := testenv.OpenDB(t, path)
	a, b := newStore(t, db), newStore(t, testenv.OpenDB(t, path))
	secret, _, err := a.Create(ctx, "mia", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.StartSession(ctx, Digest(secret))
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		ID    []byte `db:"id"`
		Token []byte `db:"token_hash"`
		CSRF  string `db:"csrf"`
	}
	if err := db.Read.Get(&row, `SELECT id, token_hash, csrf FROM console_sessions`); err != nil {
		t.Fatal(err)
	}
	key, digest := sha256.Sum256([]byte(id)), Digest(secret)
	if !bytes.Equal(row.ID, key[:]) || !bytes.Equal(row.Token, digest[:]) {
		t.Fatalf("row: got id %x, token %x; want the SHA-256s %x, %x", row.ID, row.Token, key, digest)
	}
	for _, col := range [][]byte{row.ID, row.Token, []byte(row.CSRF)} {
		if bytes.Contains(col, []byte(id)) || bytes.Contains(col, []byte(secret)) {
			t.Fatalf("a column holds the cookie's id or the token: %q", col)
		}
	}
	sess := mustSession(t, b, id)
	if sess == nil || sess.Token != digest || sess.CSRF != row.CSRF {
		t.Fatalf("the session on another instance: got %+v", sess)
	}
	if err := b.EndSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if sess := mustSession(t, a, id); sess != nil {
		t.Fatalf("ended on B, read on A: got %+v, want none", sess)
	}
	if sess := mustSession(t, a, "never-made"); sess != nil {
		t.Fatalf("an unknown id: got %+v", sess)
	}
}

// seen_at is written only when it moved by over a minute; a session ends
// after SessionIdle unused and after SessionMaxAge however used.
func TestSessionTimes(t *testing.T) {
	ctx := context.Background()
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	db := testenv.OpenDB(t, dbtest.DSN(t))
	s := newStore(t, db, WithClock(c.Now))
	seen := func(id string) time.Time {
		t.Helper()
		var at string
		key := sha256.Sum256([]byte(id))
		if err := db.Read.Get(&at, db.Rebind(`SELECT seen_at FROM console_sessions WHERE id = ?`), key[:]); err != nil {
			t.Fatal(err)
		}
		tm, err := syncd.ParseTime(at)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	id, err := s.StartSession(ctx, Digest("syncd_x"))
	if err != nil {
		t.Fatal(err)
	}
	start := c.Now()
	c.Add(30 * time.Second)
	if mustSession(t, s, id) == nil {
		t.Fatal("a session 30 s old: gone")
	}
	if got := seen(id); !got.Equal(start) {
		t.Fatalf("used 30 s after the last write: seen_at %v, want %v unwritten", got, start)
	}
	c.Add(time.Minute)
	if mustSession(t, s, id) == nil {
		t.Fatal("a session 90 s old: gone")
	}
	if got := seen(id); !got.Equal(c.Now()) {
		t.Fatalf("used 90 s after the last write: seen_at %v, want %v", got, c.Now())
	}

	c.Add(SessionIdle + time.Second)
	if sess := mustSession(t, s, id); sess != nil {
		t.Fatalf("idle past SessionIdle: got %+v, want none", sess)
	}
	if n := sessionRows(t, db); n != 0 {
		t.Fatalf("the idle session's row: %d rows left, want 0", n)
	}

	id, err = s.StartSession(ctx, Digest("syncd_x"))
	if err != nil {
		t.Fatal(err)
	}
	for range int(SessionMaxAge / (SessionIdle / 2)) {
		c.Add(SessionIdle / 2)
		if mustSession(t, s, id) == nil {
			t.Fatalf("used every %v, gone at %v", SessionIdle/2, c.Now())
		}
	}
	c.Add(SessionIdle / 2)
	if sess := mustSession(t, s, id); sess != nil {
		t.Fatalf("used past SessionMaxAge: got %+v, want none", sess)
	}
}

// A sign-in deletes the expired rows, and beyond the cap the least
// recently used.
func TestSessionsBounded(t *testing.T) {
	ctx := context.Background()
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	db := testenv.OpenDB(t, dbtest.DSN(t))
	s := newStore(t, db, WithClock(c.Now))
	s.maxSessions = 3

	expired, err := s.StartSession(ctx, Digest("syncd_x"))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(SessionIdle + time.Second)
	var ids []string
	for range 3 {
		id, err := s.StartSession(ctx, Digest("syncd_x"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		c.Add(2 * time.Minute)
	}
	if n := sessionRows(t, db); n != 3 {
		t.Fatalf("rows: got %d, want 3 (the expired one deleted)", n)
	}
	// The first is used last, so the second is the least recently used.
	if mustSession(t, s, ids[0]) == nil {
		t.Fatal("first session gone")
	}
	c.Add(2 * time.Minute)
	if _, err := s.StartSession(ctx, Digest("syncd_x")); err != nil {
		t.Fatal(err)
	}
	if n := sessionRows(t, db); n != 3 {
		t.Fatalf("rows at the cap: got %d, want 3", n)
	}
	for i, want := range []bool{true, false, true} {
		if got := mustSession(t, s, ids[i]) != nil; got != want {
			t.Errorf("session %d live: got %v, want %v", i, got, want)
		}
	}
	if mustSession(t, s, expired) != nil {
		t.Error("the expired session is back")
	}
}

// A message is shown once, even to two requests that read the session
// together (two instances, two tabs).
func TestSessionFlashOnce(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	a, b := newStore(t, testenv.OpenDB(t, path)), newStore(t, testenv.OpenDB(t, path))
	id, err := a.StartSession(ctx, Digest("syncd_x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetFlash(ctx, mustSession(t, a, id), "Saved rule r_1.", true); err != nil {
		t.Fatal(err)
	}
	one, two := mustSession(t, a, id), mustSession(t, b, id)
	msg1, ok1, err := a.TakeFlash(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	msg2, _, err := b.TakeFlash(ctx, two)
	if err != nil {
		t.Fatal(err)
	}
	if msg1 != "Saved rule r_1." || !ok1 || msg2 != "" {
		t.Fatalf("taken by two readers: got %q (%v) and %q; want it once", msg1, ok1, msg2)
	}
	if sess := mustSession(t, b, id); sess.Flash != "" {
		t.Fatalf("after it was taken: %q left", sess.Flash)
	}
}

// Revoking a token ends its sessions, everywhere, and no others.
func TestRevokeEndsSessions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)))
	gone, tok, err := s.Create(ctx, "mia", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.Create(ctx, "nadia", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	id1, err := s.StartSession(ctx, Digest(gone))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.StartSession(ctx, Digest(kept))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if mustSession(t, s, id1) != nil {
		t.Error("the revoked token's session lives on")
	}
	if mustSession(t, s, id2) == nil {
		t.Error("another token's session ended")
	}
}
