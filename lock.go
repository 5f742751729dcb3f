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
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, keyLockClass, keyHash(key)); err != nil {
		return fmt.Errorf("lock %q: %w", key, err)
	}
	return nil
}

// LockTxShared takes key's lock shared until tx ends: any number of
// transactions hold it together, and LockTx on the same key waits until
// none does (and they for it). That makes a barrier for a watermark over
// identity ids, which PostgreSQL allocates at insert, not in commit
// order: the writers of the rows a watermark counts hold the key shared
// while they write, and the reader that reads the mark (max(id)) takes it
// exclusively for that moment, so every such row at or below the mark has
// committed. A no-op on SQLite, whose one writer commits ids in order.
func LockTxShared(ctx context.Context, tx Tx, key string) error {
	if tx.DriverName() == "sqlite" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared(?, ?)`, keyLockClass, keyHash(key)); err != nil {
		return fmt.Errorf("lock %q shared: %w", key, err)
	}
	return nil
}

// keyHash is the second key of key's advisory lock, the same for LockTx
// and LockTxShared. Hashed here, not by the server's hashtext: a key is
// any bytes (names, NULs), which PostgreSQL's text would refuse.
func keyHash(key string) int32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int32(h.Sum32())
}

// FinalEventsKey is the barrier (LockTxShared) of orders' final status
// events: the order transactions that write one hold it shared, and the
// reports' roll-up takes it (LockTx) to read how far it may fold. Here,
// not in either package, as neither imports the other.
const FinalEventsKey = "order final events"

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
