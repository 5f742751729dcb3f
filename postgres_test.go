package syncd_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

func TestIsPostgresURL(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://127.0.0.1:5432/test":         true,
		"postgresql://u@db.example/syncd?x=1":    true,
		"POSTGRES://127.0.0.1/test":              true,
		"syncd.db":                               false,
		"/var/lib/syncd/syncd.db":                false,
		"postgres.db":                            false,
		"./postgres://x":                         false,
		"mysql://127.0.0.1/test":                 false,
		"file:postgres://127.0.0.1:5432/test.db": false,
	} {
		if got := syncd.IsPostgresURL(dsn); got != want {
			t.Errorf("IsPostgresURL(%q): got %v, want %v", dsn, got, want)
		}
	}
}

// RedactDSN keeps what names the database and drops every password, in
// the user info or the query; a URL whose password moved elsewhere for
// want of percent-encoding is not shown.
func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"syncd.db":                "syncd.db",
		"/var/lib/syncd/syncd.db": "/var/lib/syncd/syncd.db",
		"postgres://syncd:s3cret-pw@db.example:5432/syncd?sslmode=verify-full": "postgres://syncd:xxxxx@db.example:5432/syncd?sslmode=verify-full",
		"postgresql://syncd:s3cret%2Fpw@db.example/syncd":                      "postgresql://syncd:xxxxx@db.example/syncd",
		"postgres://syncd@db.example/syncd":                                    "postgres://syncd@db.example/syncd",
		"postgres://db.example/syncd?user=syncd&password=s3cret-pw":            "postgres://db.example/syncd?password=xxxxx&user=syncd",
		"postgres://db.example/syncd?sslpassword=s3cret-pw&sslmode=require":    "postgres://db.example/syncd?sslmode=require&sslpassword=xxxxx",
		"POSTGRES://u:s3cret-pw@db.example/syncd":                              "postgres://u:xxxxx@db.example/syncd",
		// Not percent-encoded: the password's '/' ends the host...
		"postgres://syncd:123/s3cret-pw@db.example/syncd": "postgres://(a malformed URL, not shown)",
		// ...its '#' starts a fragment...
		"postgres://syncd:s3cret#pw@db.example/syncd": "postgres://(a malformed URL, not shown)",
		// ...but its '@' stays in the user info (the host follows the last).
		"postgres://syncd:s3cret@pw@db.example/syncd": "postgres://syncd:xxxxx@db.example/syncd",
		"postgres://syncd:s3cret pw@db.example/syncd": "postgres://(a malformed URL, not shown)",
	} {
		got := syncd.RedactDSN(dsn)
		if got != want {
			t.Errorf("RedactDSN(%q):\n got %s\nwant %s", dsn, got, want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) shows the password: %s", dsn, got)
		}
	}
}

// A connection error names the server, never the password in its URL.
func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://syncd:s3cret-pw@127.0.0.1:1/none?connect_timeout=2",
		"postgres://syncd@127.0.0.1:1/none?connect_timeout=2&password=s3cret-pw",
	} {
		_, err := syncd.Open(context.Background(), dsn)
		if err == nil {
			t.Fatal("open on a closed port: got no error")
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Fatalf("error shows the password: %v", err)
		}
	}
}

// Three instances opening one fresh database at once apply each migration
// exactly once, and all three start.
func TestPostgresMigratesOnceWhenStartedTogether(t *testing.T) {
	url := dbtest.NewSchema(t, dbtest.PostgresURL(t))
	ms, err := syncd.Postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const instances = 3
	dbs := make([]*syncd.DB, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = syncd.Open(ctx, url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}

	var applied []struct {
		Version int
		Name    string
	}
	if err := dbs[0].Read.SelectContext(ctx, &applied, `SELECT version, name FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(ms) {
		t.Fatalf("schema_migrations: got %d rows, want %d (one per migration)", len(applied), len(ms))
	}
	for i, a := range applied {
		if a.Version != ms[i].Version || a.Name != ms[i].Name {
			t.Errorf("schema_migrations row %d: got %d %q, want %d %q", i, a.Version, a.Name, ms[i].Version, ms[i].Name)
		}
	}
	// Migration 3 inserts the public tier: applied twice, there would be
	// two rows or a failed start.
	var tiers int
	if err := dbs[1].Read.GetContext(ctx, &tiers, `SELECT count(*) FROM tiers`); err != nil {
		t.Fatal(err)
	}
	if tiers != 1 {
		t.Fatalf("tiers: got %d, want 1", tiers)
	}
	for i, db := range dbs {
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != len(ms) {
			t.Fatalf("instance %d: schema version %d (%v), want %d", i, v, err, len(ms))
		}
		if db.Dialect() != syncd.Postgres {
			t.Fatalf("instance %d: dialect %v, want postgres", i, db.Dialect())
		}
	}
}

func TestPostgresReopensKeepingData(t *testing.T) {
	url := dbtest.NewSchema(t, dbtest.PostgresURL(t))
	ctx := context.Background()
	db, err := syncd.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, first_seen, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), "isipay", "MLBB_ID_86", "mobile-legends", "86 Diamonds", 19500, "19500", true, "t", "t"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = syncd.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var o struct {
		ID     int64
		Cost   int64
		Active bool
	}
	// ?1 twice: SQLite's numbered placeholder, rebound.
	if err := db.Read.GetContext(ctx, &o, db.Rebind(`SELECT id, cost, active FROM offers WHERE code = ?1 OR name = ?1`), "MLBB_ID_86"); err != nil {
		t.Fatal(err)
	}
	if o.ID != 1 || o.Cost != 19500 || !o.Active {
		t.Fatalf("offer after reopen: got %+v, want id 1, cost 19500, active", o)
	}
}

func TestPostgresReaderIsReadOnly(t *testing.T) {
	db := dbtest.OpenPostgres(t)
	if _, err := db.Read.ExecContext(context.Background(), `DELETE FROM offers`); err == nil {
		t.Fatal("write through the reader pool: got no error, want a read-only refusal")
	}
}

func TestPostgresRefusesNewerSchema(t *testing.T) {
	url := dbtest.NewSchema(t, dbtest.PostgresURL(t))
	ctx := context.Background()
	db, err := syncd.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := syncd.Postgres.Migrations()
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from a newer syncd', 't')`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := syncd.Open(ctx, url); err == nil || !strings.Contains(err.Error(), "newer than this program") {
		if db != nil {
			db.Close()
		}
		t.Fatalf("open a database of a newer schema: got %v, want a refusal", err)
	}
}

func TestPostgresInDurableTx(t *testing.T) {
	db := dbtest.OpenPostgres(t)
	ctx := context.Background()
	for _, fail := range []bool{true, false} {
		err := db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('durable', 'x')`); err != nil {
				return err
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		})
		if fail != (err != nil) {
			t.Fatalf("fail %v: got %v", fail, err)
		}
	}
	var n int
	if err := db.Read.GetContext(ctx, &n, `SELECT count(*) FROM meta WHERE key = 'durable'`); err != nil || n != 1 {
		t.Fatalf("committed rows: got %d (%v), want 1", n, err)
	}
	// The one commit is counted and timed; the refused transaction is not.
	st := db.Stats()
	if st.DurableTxs != 2 || st.DurableCommits != 1 || st.CommitLatency.Count() != 1 || st.CommitLatency.Sum <= 0 {
		t.Errorf("stats: %d transactions, %d commits, %d timed taking %v; want 2, 1, 1 taking some time",
			st.DurableTxs, st.DurableCommits, st.CommitLatency.Count(), st.CommitLatency.Sum)
	}
}
