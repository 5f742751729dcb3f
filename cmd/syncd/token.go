package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
)

const tokenUsage = `usage:
  syncd token create -role ROLE -name NAME [-tiers T1,T2] [-rotate]
                                  create a token; prints its secret once
  syncd token list                list tokens (never their secrets)
  syncd token tiers ID T1,T2      set the price tiers a storefront token may use
  syncd token revoke ID           revoke a token

Roles: storefront (the catalog in its tiers, its own orders), merchandiser
(the catalog in every tier, rules, matching, explain; no orders), admin
(everything: suppliers, sync, every order, tokens). A storefront token
uses the tiers given with -tiers (default public); the others use every
tier. A name is one party: -rotate makes another token under a name that
is taken, the same storefront, which sees its orders. Each subcommand
takes -db (SYNCD_DB, default syncd.db). A running syncd serve on the same
database accepts a new token within a second, and sees a revocation or a
change of tiers within seconds.
`

// runToken manages API tokens directly in the database, so the first admin
// token can be made without the API (or beside SYNCD_ADMIN_TOKEN).
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: no subcommand given")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "create":
		return tokenCreate(ctx, rest, getenv, stdout, stderr)
	case "list":
		return tokenList(ctx, rest, getenv, stdout, stderr)
	case "tiers":
		return tokenTiers(ctx, rest, getenv, stdout, stderr)
	case "revoke":
		return tokenRevoke(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	}
	fmt.Fprint(stderr, tokenUsage)
	return fmt.Errorf("token: unknown subcommand %q", sub)
}

// tokenFlags is a token subcommand's flag set, with -db read like serve's.
func tokenFlags(sub string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		if s.env == "SYNCD_DB" {
			return fs, s.define(fs, getenv)
		}
	}
	panic("no SYNCD_DB setting")
}

// withTokens opens the database at path and runs f with its token store.
func withTokens(ctx context.Context, path string, stderr io.Writer, f func(*auth.Store) error) error {
	db, err := syncd.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tokens, err := auth.NewStore(ctx, db, log)
	if err != nil {
		return err
	}
	return f(tokens)
}

func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, dbPath := tokenFlags("create", getenv, stderr)
	roleName := fs.String("role", "", "the token's role: storefront, merchandiser or admin")
	name := fs.String("name", "", "who or what uses the token, e.g. shop-backend (at most 100 characters); one name, one party")
	tiers := fs.String("tiers", "", "storefront only: the price tiers it may use, comma-separated (default public)")
	rotate := fs.Bool("rotate", false, "the name may be taken: the new token is the same party (a storefront sees its orders)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token create: unexpected arguments %v", fs.Args())
	}
	// An unknown role parses to the zero Role, which Create reports beside
	// any problem with the name.
	role, _ := auth.ParseRole(*roleName)
	var opts []auth.CreateOption
	if *tiers != "" {
		opts = append(opts, auth.WithTiers(splitTiers(*tiers)))
	}
	if *rotate {
		opts = append(opts, auth.Rotate())
	}
	return withTokens(ctx, *dbPath, stderr, func(tokens *auth.Store) error {
		secret, tok, err := tokens.Create(ctx, *name, role, opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "syncd: created token %d %q (%s, tiers %s); its secret above is shown this once and cannot be shown again\n",
			tok.ID, tok.Name, tok.Role, tiersText(tok))
		return nil
	})
}

// splitTiers reads a comma-separated list of tiers; "" and ", " give an
// empty list, which Create and SetTiers refuse by name.
func splitTiers(s string) []string {
	out := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// tiersText is a token's tiers for a person: "all" for the roles that use
// every tier.
func tiersText(t auth.Token) string {
	if t.Role != auth.RoleStorefront {
		return "all"
	}
	if len(t.Tiers) == 0 {
		return "none"
	}
	return strings.Join(t.Tiers, ",")
}

func tokenTiers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, dbPath := tokenFlags("tiers", getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("token tiers: want a token ID and its tiers, comma-separated (syncd token tiers 3 public,member)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("token tiers: %q is not a token ID", fs.Arg(0))
	}
	return withTokens(ctx, *dbPath, stderr, func(tokens *auth.Store) error {
		tok, err := tokens.SetTiers(ctx, id, splitTiers(fs.Arg(1)))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d %q may use tiers %s\n", tok.ID, tok.Name, tiersText(tok))
		return nil
	})
}

func tokenList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, dbPath := tokenFlags("list", getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token list: unexpected arguments %v", fs.Args())
	}
	return withTokens(ctx, *dbPath, stderr, func(tokens *auth.Store) error {
		list, err := tokens.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tTIERS\tCREATED\tREVOKED")
		for _, t := range list {
			revoked := "-"
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, tiersText(t),
				t.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	})
}

func tokenRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, dbPath := tokenFlags("revoke", getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("token revoke: want exactly one token ID (see syncd token list)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("token revoke: %q is not a token ID", fs.Arg(0))
	}
	return withTokens(ctx, *dbPath, stderr, func(tokens *auth.Store) error {
		if err := tokens.Revoke(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %d\n", id)
		return nil
	})
}
