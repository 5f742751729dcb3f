package syncd

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jmoiron/sqlx"
)

// keyLockClass is the first key of LockTx's advisory locks; the second is
// a 32-bit FNV-1a hash of the caller's key. It differs from
// migrationLockClass, so a LockTx never waits on a migration's lock.
const keyLockClass = 0x6b657973 // "keys"

// Tx is a transaction that knows its driver (a *sqlx.Tx).
type Tx interface {
	sqlx.ExtContext
	DriverName() string
}

// LockTx serialises the transactions that take the same key, until tx
// ends: the guard of a read-then-write ("is this name free? then take
// it") that a unique constraint cannot express. On SQLite every write
// transaction already runs alone (BEGIN IMMEDIATE takes the one write
// lock), so there is nothing to take. On PostgreSQL it is a
// transaction-level advisory lock, released by commit or rollback, and by
// the server if the connection is lost. Keys that hash alike only wait on
// each other: slower, never wrong.
func LockTx(ctx context.Context, tx Tx, key string) error {
	if tx.DriverName() == "sqlite" {
		return nil
	}
	// Hashed here, not by the server: a key is any bytes (names, NULs),
	// which PostgreSQL's text would refuse.
	h := fnv.New32a()
	h.Write([]byte(key))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, keyLockClass, int32(h.Sum32())); err != nil {
		return fmt.Errorf("lock %q: %w", key, err)
	}
	return nil
}

// ForUpdate is the clause that makes a SELECT in tx lock the rows it
// reads until tx ends, for a read-then-write of those rows: FOR UPDATE on
// PostgreSQL, where another transaction could otherwise change them in
// between; nothing on SQLite, whose write transaction already excludes
// every other writer (and which has no such clause).
func ForUpdate(tx Tx) string {
	if tx.DriverName() == "sqlite" {
		return ""
	}
	return " FOR UPDATE"
}
