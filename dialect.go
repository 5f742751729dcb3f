package syncd

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

//go:embed schema.sql
var schemaSQL string

//go:embed schema_postgres.sql
var schemaPostgresSQL string

// Dialect is the SQL a database speaks. The zero value is SQLite, the
// embedded default, so a DB built without Open is what it always was.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "dialect(" + strconv.Itoa(int(d)) + ")"
}

// Rebind rewrites a statement's placeholders into the dialect's. Store SQL
// is written for SQLite, with ? and, where an argument is used twice, ?N;
// PostgreSQL takes $N: each ? becomes the next $N, and ?N becomes $N. A ?
// inside a quoted literal or identifier, or in a -- comment, is left
// alone. SQLite's statements
// are returned as they are.
//
// Use this, not sqlx's Rebind: sqlx turns "?1" into "$11".
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		switch c := query[i]; c {
		case '\'', '"':
			// A doubled quote inside ('it''s') closes and reopens: the
			// same thing to a scanner that copies both halves.
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case '-':
			// A -- comment runs to the end of its line; a ? in it is
			// prose, not a placeholder.
			if i+1 < len(query) && query[i+1] == '-' {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+end+1])
				i += end
				continue
			}
			b.WriteByte(c)
		case '?':
			j := i + 1
			for j < len(query) && '0' <= query[j] && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Migrations parses the dialect's schema file (schema.sql or
// schema_postgres.sql) into its ordered migrations. Both files hold the
// same numbered migrations under the same names.
func (d Dialect) Migrations() ([]Migration, error) {
	switch d {
	case SQLite:
		return parseMigrations("schema.sql", schemaSQL)
	case Postgres:
		return parseMigrations("schema_postgres.sql", schemaPostgresSQL)
	}
	return nil, fmt.Errorf("migrations: unknown %v", d)
}

// Migration is one numbered block of a schema file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationHeader = regexp.MustCompile(`(?m)^-- migration (\d+): (.*)$`)

// Migrations parses schema.sql into its ordered migrations.
func Migrations() ([]Migration, error) { return SQLite.Migrations() }

func parseMigrations(file, text string) ([]Migration, error) {
	locs := migrationHeader.FindAllStringSubmatchIndex(text, -1)
	var out []Migration
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		v, _ := strconv.Atoi(text[loc[2]:loc[3]])
		if v != i+1 {
			return nil, fmt.Errorf("%s: migration %d found where %d was expected", file, v, i+1)
		}
		out = append(out, Migration{Version: v, Name: text[loc[4]:loc[5]], SQL: text[loc[1]:end]})
	}
	return out, nil
}
