package offers

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// batchRows is how many rows one multi-row INSERT carries. A first sync
// writes 100,000 offers and as many cost history rows: one statement per
// row spends most of its time going through database/sql and setting up
// and finishing each statement (SQLite's statement journal among it), not
// storing rows. At 11 columns, 500 rows are at most 5,500 parameters, well
// under SQLite's limit (32,766) and PostgreSQL's (65,535).
const batchRows = 500

// insertRows runs head tuple, tuple, … tail (an INSERT … VALUES, or an
// INSERT … SELECT … IN list) for n rows, batchRows to a statement: each
// statement's arguments are lead, then what row appends for each of its
// rows. If the statement returns rows (RETURNING), scan reads each; with
// scan nil the statement is only executed. The full-size statement is
// prepared once and reused; only the last, shorter batch is parsed on its
// own.
//
// Placeholders stay plain ?: a numbered one (?N), which could bind a value
// every row shares once, makes SQLite look each parameter's name up in a
// list as long as the statement's, and a batch 10 times slower.
func insertRows(ctx context.Context, tx *sqlx.Tx, head, tuple, tail string, lead []any, n int, row func(args []any, i int) []any, scan func(*sql.Rows) error) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := slices.Clone(lead)
	for lo := 0; lo < n; lo += batchRows {
		hi := min(lo+batchRows, n)
		args = args[:len(lead)]
		for i := lo; i < hi; i++ {
			args = row(args, i)
		}
		if hi-lo < batchRows {
			stmt, err := tx.PrepareContext(ctx, valuesSQL(head, tuple, hi-lo, tail))
			if err != nil {
				return err
			}
			err = runStmt(ctx, stmt, args, scan)
			stmt.Close()
			if err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = tx.PrepareContext(ctx, valuesSQL(head, tuple, batchRows, tail)); err != nil {
				return err
			}
		}
		if err := runStmt(ctx, full, args, scan); err != nil {
			return err
		}
	}
	return nil
}

// runStmt executes stmt with args, reading what it returns with scan.
func runStmt(ctx context.Context, stmt *sql.Stmt, args []any, scan func(*sql.Rows) error) error {
	if scan == nil {
		_, err := stmt.ExecContext(ctx, args...)
		return err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// valuesSQL returns head, n copies of tuple separated by commas, and tail.
func valuesSQL(head, tuple string, n int, tail string) string {
	var b strings.Builder
	b.Grow(len(head) + n*(len(tuple)+2) + len(tail))
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	b.WriteString(tail)
	return b.String()
}
