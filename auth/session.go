package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// Console sessions live in the database (console_sessions), so a session
// made on one instance works on every other and signing out or revoking
// its token ends it on all of them at once. The browser's cookie holds a
// random id; the row is keyed by the id's SHA-256 and holds the token's
// SHA-256, never the token.
const (
	// SessionIdle ends a session after this long without a request.
	SessionIdle = 12 * time.Hour
	// SessionMaxAge ends a session this long after sign-in, whatever happens.
	SessionMaxAge = 7 * 24 * time.Hour
	// MaxSessions bounds the rows: a sign-in beyond it ends the least
	// recently used sessions, after the expired ones are gone.
	MaxSessions = 10_000
	// seenEvery is how far a session's last use must have moved before it
	// is written: a page view is a read, and the idle timeout is hours.
	seenEvery = time.Minute
)

// Session is a console session as one request read it.
type Session struct {
	key     []byte            // SHA-256 of the cookie's id: the row's key
	Token   [sha256.Size]byte // SHA-256 of the token signed in with
	CSRF    string
	Created time.Time
	Seen    time.Time
	Flash   string // the one-time message for the next page, "" if none
	FlashOK bool
}

type sessionRow struct {
	Token   []byte `db:"token_hash"`
	CSRF    string `db:"csrf"`
	Created string `db:"created_at"`
	Seen    string `db:"seen_at"`
	Flash   string `db:"flash"`
	FlashOK bool   `db:"flash_ok"`
}

func sessionKey(id string) []byte {
	k := sha256.Sum256([]byte(id))
	return k[:]
}

// StartSession stores a new session for the token of the given digest and
// returns the cookie's id, which is stored nowhere.
func (s *Store) StartSession(ctx context.Context, token [sha256.Size]byte) (string, error) {
	const ins = `INSERT INTO console_sessions (id, token_hash, csrf, created_at, seen_at) VALUES (?, ?, ?, ?, ?)`

	id := rand.Text() + rand.Text() // 260 bits
	now := s.now()
	at := syncd.FormatTime(now)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// One sign-in at a time prunes and counts, so concurrent ones on
		// several instances cannot each find room for one more.
		if err := syncd.LockTx(ctx, tx, "console sessions"); err != nil {
			return err
		}
		if err := pruneSessions(ctx, tx, now, s.maxSessions); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, ins, sessionKey(id), token[:], rand.Text(), at, at)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("start console session: %w", err)
	}
	return id, nil
}

// pruneSessions deletes the expired sessions and, when limit live ones
// remain, the least recently used, leaving room for one more.
func pruneSessions(ctx context.Context, tx *sqlx.Tx, now time.Time, limit int) error {
	const (
		expired = `DELETE FROM console_sessions WHERE seen_at < ? OR created_at < ?`
		count   = `SELECT count(*) FROM console_sessions`
		oldest  = `DELETE FROM console_sessions WHERE id IN (SELECT id FROM console_sessions ORDER BY seen_at LIMIT ?)`
	)
	if _, err := tx.ExecContext(ctx, expired, syncd.FormatTime(now.Add(-SessionIdle)), syncd.FormatTime(now.Add(-SessionMaxAge))); err != nil {
		return err
	}
	var n int
	if err := tx.GetContext(ctx, &n, count); err != nil {
		return err
	}
	if n < limit {
		return nil
	}
	_, err := tx.ExecContext(ctx, oldest, n-limit+1)
	return err
}

// Session returns the live session of a cookie's id, or nil if there is
// none (never was, signed out, expired: an expired row is deleted). It
// records the use when the last one recorded is over a minute old.
func (s *Store) Session(ctx context.Context, id string) (*Session, error) {
	const (
		sel  = `SELECT token_hash, csrf, created_at, seen_at, flash, flash_ok FROM console_sessions WHERE id = ?`
		seen = `UPDATE console_sessions SET seen_at = ? WHERE id = ?`
	)
	key := sessionKey(id)
	var r sessionRow
	err := s.db.Read.GetContext(ctx, &r, sel, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	sess := &Session{key: key, CSRF: r.CSRF, Flash: r.Flash, FlashOK: r.FlashOK}
	if len(r.Token) != sha256.Size {
		return nil, fmt.Errorf("read console session: token hash is %d bytes, want %d", len(r.Token), sha256.Size)
	}
	sess.Token = [sha256.Size]byte(r.Token)
	if sess.Created, err = syncd.ParseTime(r.Created); err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	if sess.Seen, err = syncd.ParseTime(r.Seen); err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	now := s.now()
	if now.Sub(sess.Seen) > SessionIdle || now.Sub(sess.Created) > SessionMaxAge {
		return nil, s.endSession(ctx, key)
	}
	if now.Sub(sess.Seen) > seenEvery {
		if _, err := s.db.Write.ExecContext(ctx, seen, syncd.FormatTime(now), key); err != nil {
			return nil, fmt.Errorf("record console session use: %w", err)
		}
		sess.Seen = now
	}
	return sess, nil
}

// EndSession deletes the session of a cookie's id, on every instance at
// once. Ending one that does not exist is not an error.
func (s *Store) EndSession(ctx context.Context, id string) error {
	return s.endSession(ctx, sessionKey(id))
}

func (s *Store) endSession(ctx context.Context, key []byte) error {
	const q = `DELETE FROM console_sessions WHERE id = ?`
	if _, err := s.db.Write.ExecContext(ctx, q, key); err != nil {
		return fmt.Errorf("end console session: %w", err)
	}
	return nil
}

// SetFlash stores the message the session's next page shows once.
func (s *Store) SetFlash(ctx context.Context, sess *Session, msg string, ok bool) error {
	const q = `UPDATE console_sessions SET flash = ?, flash_ok = ? WHERE id = ?`
	if _, err := s.db.Write.ExecContext(ctx, q, msg, ok, sess.key); err != nil {
		return fmt.Errorf("set console message: %w", err)
	}
	sess.Flash, sess.FlashOK = msg, ok
	return nil
}

// TakeFlash returns the session's message and clears it, or "" if there
// is none. Only a session read with a message writes: a page view without
// one stays a read. Of two requests that read the same message, one shows
// it: the clearing is conditional on the message still being there.
func (s *Store) TakeFlash(ctx context.Context, sess *Session) (string, bool, error) {
	const q = `UPDATE console_sessions SET flash = '', flash_ok = FALSE WHERE id = ? AND flash = ? AND flash_ok = ?`
	msg, ok := sess.Flash, sess.FlashOK
	if msg == "" {
		return "", false, nil
	}
	sess.Flash, sess.FlashOK = "", false
	res, err := s.db.Write.ExecContext(ctx, q, sess.key, msg, ok)
	if err != nil {
		return "", false, fmt.Errorf("take console message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return "", false, err
	}
	return msg, ok, nil
}
