package leader

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func openPostgres(t *testing.T) (string, *syncd.DB) {
	t.Helper()
	if !dbtest.Postgres() {
		t.Skip("leader election is for several instances on PostgreSQL; on SQLite the one instance leads")
	}
	dsn := dbtest.DSN(t)
	db, err := syncd.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOneLeadsAndASuccessorFencesTheLast(t *testing.T) {
	dsn, db := openPostgres(t)
	ctx := context.Background()
	a, b := New(dsn, "a", discardLog), New(dsn, "b", discardLog)
	actx, stopA := context.WithCancel(ctx)
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	aDone := make(chan struct{})
	go func() { defer close(aDone); a.Run(actx, 20*time.Millisecond) }()
	waitFor(t, "a to lead", a.Leads)
	go b.Run(bctx, 20*time.Millisecond)

	// b campaigns many times meanwhile; the lock keeps it out.
	for range 10 {
		time.Sleep(20 * time.Millisecond)
		if b.Leads() {
			t.Fatal("b leads beside a")
		}
	}
	if err := a.IsLeader(ctx); err != nil {
		t.Fatalf("a: %v", err)
	}
	if err := b.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("b: got %v, want ErrNotLeader", err)
	}
	if id, epoch, err := Holder(ctx, db.Read); err != nil || id != "a" || epoch != a.Epoch() {
		t.Fatalf("holder: %q epoch %d (%v), want a at %d", id, epoch, err, a.Epoch())
	}
	first := a.Epoch()

	// A write a makes while leading is let through.
	tx, err := db.Write.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Fence(ctx, tx); err != nil {
		t.Fatalf("fence of the leader: %v", err)
	}
	tx.Rollback()

	stopA()
	<-aDone
	waitFor(t, "b to take over", b.Leads)
	if b.Epoch() != first+1 {
		t.Fatalf("b's epoch: got %d, want %d", b.Epoch(), first+1)
	}
	// a, stepped down, can fence nothing.
	tx, err = db.Write.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := a.Fence(ctx, tx); !errors.Is(err, ErrDeposed) {
		t.Fatalf("fence of the last leader: got %v, want ErrDeposed", err)
	}
}

// A leader whose session the server ends (a network cut, a failover)
// learns it at its next check and stops before acting; another takes
// over with a higher epoch.
func TestALeaderThatLostItsSessionStepsDown(t *testing.T) {
	dsn, db := openPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := New(dsn, "a", discardLog)
	// Campaigns driven by hand: a's next check is the test's to make.
	a.Campaign(ctx)
	if !a.Leads() {
		t.Fatal("a does not lead an empty field")
	}
	a.mu.Lock()
	pid := a.conn.PgConn().PID()
	a.mu.Unlock()
	if _, err := db.Write.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
		t.Fatal(err)
	}
	b := New(dsn, "b", discardLog)
	go b.Run(ctx, 20*time.Millisecond)
	waitFor(t, "b to take over", b.Leads)
	if err := a.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a after its session ended: got %v, want ErrNotLeader", err)
	}
	if a.Leads() {
		t.Fatal("a still says it leads")
	}

	// WhileLeading runs its work only on the leader.
	ran := make(chan string, 2)
	go a.WhileLeading(ctx, func(context.Context) { ran <- "a" })
	go b.WhileLeading(ctx, func(context.Context) { ran <- "b" })
	if who := <-ran; who != "b" {
		t.Fatalf("work ran on %s, want b", who)
	}
}
