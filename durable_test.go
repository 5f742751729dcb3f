package syncd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// holdWriter starts a durable transaction that holds the writer until
// release is closed, so that the transactions started meanwhile queue
// for the next commit together. It returns once the writer is held, and
// a function that waits for the held transaction's end.
func holdWriter(t *testing.T, db *DB, release <-chan struct{}) (wait func()) {
	t.Helper()
	held := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.InDurableTx(context.Background(), func(tx *sqlx.Tx) error {
			close(held)
			<-release
			_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ('held', 'x')`)
			return err
		})
	}()
	<-held
	return func() {
		if err := <-errc; err != nil {
			t.Errorf("held transaction: %v", err)
		}
	}
}

// waitQueued waits until n durable transactions wait behind the running
// one. It bounds the wait only to fail rather than hang.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); db.durable.Queued() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("queued: %d, want %d", db.durable.Queued(), n)
		}
	}
}

func storedKeys(t *testing.T, db *DB) []string {
	t.Helper()
	var keys []string
	if err := db.Read.Select(&keys, `SELECT key FROM meta WHERE value = 'x' ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	return keys
}

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "syncd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDurableTransactionsShareACommit: transactions queued behind a
// running one commit together, in one fsynced commit, and each keeps its
// own outcome: the one that fails is rolled back alone, the one that
// panics is rolled back and panics in its own caller, the one whose
// caller gave up while it waited never runs.
func TestDurableTransactionsShareACommit(t *testing.T) {
	db := openTemp(t)
	release := make(chan struct{})
	waitHeld := holdWriter(t, db, release)

	const n = 10
	errs := make([]error, n)
	panics := make([]any, n)
	gaveUp, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		ctx := context.Background()
		if i == 5 {
			ctx = gaveUp
		}
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
				if _, err := tx.Exec(`INSERT INTO meta (key, value) VALUES (?, 'x')`, fmt.Sprintf("k%d", i)); err != nil {
					return err
				}
				switch i {
				case 1, 7:
					return fmt.Errorf("refused %d", i)
				case 3:
					panic("job 3")
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	cancel()
	before := db.commits.Load()
	close(release)
	wg.Wait()
	waitHeld()

	if got := db.commits.Load() - before; got != 2 {
		t.Errorf("commits: %d, want 2 (the held transaction's, then one for the %d queued behind it)", got, n)
	}
	for i := range n {
		switch i {
		case 1, 7:
			if errs[i] == nil || errs[i].Error() != fmt.Sprintf("refused %d", i) {
				t.Errorf("job %d: err %v, want its own refusal", i, errs[i])
			}
		case 3:
			if panics[i] != "job 3" {
				t.Errorf("job 3: panic %v, want its own panic raised in its caller", panics[i])
			}
		case 5:
			if !errors.Is(errs[i], context.Canceled) {
				t.Errorf("job 5: err %v, want context.Canceled", errs[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("job %d: err %v, panic %v", i, errs[i], panics[i])
			}
		}
	}
	want := []string{"held", "k0", "k2", "k4", "k6", "k8", "k9"}
	if got := storedKeys(t, db); !slices.Equal(got, want) {
		t.Errorf("stored: %v, want %v", got, want)
	}
}

// TestABatchSQLiteRolledBack: when SQLite rolls back the shared
// transaction under a job (an interrupted statement does that), the jobs
// that ran before it in the batch are told their work is not stored, and
// the jobs after it run in a new transaction and are stored.
func TestABatchSQLiteRolledBack(t *testing.T) {
	db := openTemp(t)
	release := make(chan struct{})
	waitHeld := holdWriter(t, db, release)

	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, key := range []string{"a", "b", "c"} {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs[i] = db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
				if key != "b" {
					_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, 'x')`, key)
					return err
				}
				// A statement long enough to be interrupted, cancelled
				// once it runs.
				time.AfterFunc(50*time.Millisecond, cancel)
				_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value)
					WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
					SELECT 'b' || i, 'x' FROM n`)
				return err
			})
		})
		waitQueued(t, db, i+1)
	}
	close(release)
	wg.Wait()
	waitHeld()
	t.Logf("a: %v; b: %v; c: %v", errs[0], errs[1], errs[2])
	if errs[1] == nil {
		t.Fatal("b: interrupted, but no error")
	}
	if errs[2] != nil {
		t.Errorf("c: %v, want stored", errs[2])
	}
	want := []string{"a", "c", "held"}
	if errs[0] != nil {
		if !errors.Is(errs[0], ErrBatchRolledBack) {
			t.Errorf("a: %v, want ErrBatchRolledBack", errs[0])
		}
		want = []string{"c", "held"}
	}
	if got := storedKeys(t, db); !slices.Equal(got, want) {
		t.Errorf("stored: %v, want %v", got, want)
	}
}

// TestDurableTransactionsUnderLoad: many callers at once, each
// transaction a read-modify-write of one counter: every one that
// succeeded is counted exactly once and every one that failed not at all,
// whatever batches they fell into.
func TestDurableTransactionsUnderLoad(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if _, err := db.Write.Exec(`INSERT INTO meta (key, value) VALUES ('count', '0')`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			for k := range 6 {
				refuse := (g+k)%7 == 0
				err := db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
					if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'count'`); err != nil {
						return err
					}
					if refuse {
						return errors.New("refused")
					}
					return nil
				})
				if refuse != (err != nil) {
					t.Errorf("caller %d/%d: refuse %v, err %v", g, k, refuse, err)
				}
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := db.Read.Get(&n, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'count'`); err != nil {
		t.Fatal(err)
	}
	if n != ok {
		t.Errorf("count %d, want the %d that succeeded", n, ok)
	}
	t.Logf("%d transactions in %d commits", 300, db.commits.Load())
}
