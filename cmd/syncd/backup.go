package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/syncd/syncd"
)

const backupUsage = `usage: syncd backup [-db FILE] BACKUP

Copies the database to BACKUP, a new file, while syncd serve may be
running: the copy is one consistent snapshot (SQLite's VACUUM INTO), taken
without stopping writers. BACKUP must not exist. The README says how to
restore it.
`

// runBackup copies the database consistently beside a running server.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	var dbPath *string
	for _, s := range settings {
		if s.env == "SYNCD_DB" {
			dbPath = s.define(fs, getenv)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: want one backup file")
	}
	if syncd.IsPostgresURL(*dbPath) {
		return errPostgresBackup
	}
	size, err := backup(ctx, *dbPath, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "syncd: backed up %s to %s (%s, integrity ok)\n", *dbPath, fs.Arg(0), byteSize(size))
	return nil
}

// errPostgresBackup is backup's answer on PostgreSQL, whose own tools
// already take a consistent copy of a live database, and restore it.
var errPostgresBackup = errors.New(`backup: SYNCD_DB is a PostgreSQL database; back it up with PostgreSQL's tools:
  pg_dump --format=custom --file=syncd.dump "$SYNCD_DB"
and restore it into an empty database with pg_restore --dbname=URL syncd.dump
(docs: README, "Backups and restore")`)

// backup writes a consistent copy of the database at src to dst, which must
// not exist, and returns its size.
//
// VACUUM INTO reads the database in one read transaction, so the copy is a
// snapshot of one instant; in WAL mode readers never block the writer, so
// syncs and API writes go on meanwhile. It runs on a read-only connection
// of its own: nothing here can migrate or change the live database. The
// copy is made under a temporary name, checked, flushed to disk (SQLite
// does not fsync what VACUUM INTO writes), then linked to dst, which fails
// rather than replace a file that appeared meanwhile: dst is either absent
// or a complete, checked backup.
func backup(ctx context.Context, src, dst string) (size int64, err error) {
	if src == "" || strings.ContainsAny(src, "?#") {
		return 0, fmt.Errorf("backup: invalid database path %q", src)
	}
	if _, err := os.Stat(src); err != nil {
		// Opening a missing file would create an empty database to copy.
		return 0, fmt.Errorf("backup: database %s: %w", src, err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return 0, fmt.Errorf("backup: %s already exists; will not overwrite it", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-"+rand.Text()[:8])
	defer func() {
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("backup: remove %s: %w", tmp, rerr)
		}
	}()

	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return 0, fmt.Errorf("backup %s: %w", src, err)
	}
	if err := check(ctx, tmp); err != nil {
		return 0, fmt.Errorf("backup: the copy fails its check: %w", err)
	}
	if size, err = syncFile(tmp); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := publish(tmp, dst); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return size, nil
}

// publish gives the finished copy its name without replacing a file of
// that name: a hard link fails if dst exists. Where links are not
// supported (some network and FAT file systems) it renames after checking
// again, which leaves a moment in which another program's new file could
// be replaced.
func publish(tmp, dst string) error {
	err := os.Link(tmp, dst)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s already exists; will not overwrite it", dst)
	}
	if _, serr := os.Lstat(dst); serr == nil {
		return fmt.Errorf("%s already exists; will not overwrite it", dst)
	}
	return os.Rename(tmp, dst)
}

// byteSize is n in the largest binary unit that keeps it at least 1.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, units := float64(n)/unit, "KMGT"
	for i := 0; ; i++ {
		if f < unit || i == len(units)-1 {
			return fmt.Sprintf("%.1f %ciB", f, units[i])
		}
		f /= unit
	}
}

// check runs SQLite's integrity check on the database at path.
func check(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return fmt.Errorf("integrity_check: %s", result)
	}
	return nil
}

// syncFile flushes path to disk and returns its size.
func syncFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
