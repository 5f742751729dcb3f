// Command syncd syncs supplier catalogs, prices them and serves them.
//
//	syncd serve   run the scheduler and the HTTP API
//	syncd sync    sync every enabled supplier once, print a summary, exit
//	syncd demo    run the supplier simulators on loopback, then serve
//	syncd bench   measure the sync against generated catalogs (BENCHMARKS.md)
//	syncd token   create, list or revoke API tokens
//	syncd backup  copy the database consistently, while serve runs
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for SYNCD_DB=postgres://…
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

const usage = `usage: syncd <command> [flags]

commands:
  serve   run the sync scheduler and the HTTP API
  sync    sync every enabled supplier once, print a summary and exit
  demo    run the simulated suppliers on loopback and serve against them
  bench   measure a full sync and a 1% re-sync of 50,000 generated offers per supplier
  token   create, list or revoke API tokens:
            token create -role ROLE -name NAME   (prints the secret once)
            token list
            token revoke ID
  backup  copy the database to a new file, consistently, while serve runs:
            backup [-db FILE] BACKUP

Run 'syncd <command> -h' for the flags; each flag also reads the
environment variable named in its help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "syncd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "sync":
		return runSync(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "bench-sims": // the child process of bench; not for people
		return runBenchSims(ctx, rest, os.Stdin, stdout)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
