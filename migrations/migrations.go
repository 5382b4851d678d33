// Package migrations embeds Kontor's SQL migrations, one folder per dialect. Files are
// named <14-digit id>_<what>.tx.up.sql / .tx.down.sql; ids are grouped by owner so that
// modules never collide: 2026112100xxxx platform, 2026112101xxxx identity,
// 2026112102xxxx accounts, 2026112103xxxx statements, 2026112104xxxx connections and sync.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql
var sqliteFiles embed.FS

//go:embed postgres/*.sql
var postgresFiles embed.FS

// SQLite returns the SQLite migrations.
func SQLite() fs.FS { return mustSub(sqliteFiles, "sqlite") }

// Postgres returns the PostgreSQL migrations.
func Postgres() fs.FS { return mustSub(postgresFiles, "postgres") }

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		// fs.Sub only fails for an invalid path, which is a constant here.
		panic(err)
	}
	return sub
}
