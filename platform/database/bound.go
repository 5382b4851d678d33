package database

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
)

// ScanBound runs query with its arguments bound as parameters ($1, $2, … on
// PostgreSQL, ? on SQLite) instead of inlined into its text, as bun's query
// builders do, on the connection of ctx (its transaction when one is open), and
// scans the rows into dest as bun's Scan does.
//
// Use it for a query that runs again and again with long lists of values, such as
// a page of provider ids: through pgx, every distinct query text is prepared and
// kept in the connection's statement cache (and in the PostgreSQL backend) until
// the cache evicts it, so inlined ids made each page's look-up a statement of its
// own, hundreds of kilobytes each; with bound parameters one statement serves every
// page.
func (db *DB) ScanBound(ctx context.Context, dest any, query string, args ...any) error {
	var conn interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
	switch c := db.Conn(ctx).(type) {
	case bun.Tx:
		conn = c.Tx
	case *bun.DB:
		conn = c.DB
	default:
		return fmt.Errorf("database: query on a connection of type %T", c)
	}
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return db.ScanRows(ctx, rows, dest) // closes rows
}
