package database_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// futureTable stands for a table a later migration adds (connections, sync state,
// jobs): Copy must carry it without knowing it.
const (
	futureSQLite = `CREATE TABLE widgets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    TEXT NOT NULL REFERENCES users (id),
    parent_id   INTEGER REFERENCES widgets (id),
    amount      TEXT NOT NULL,
    flag        BOOLEAN NOT NULL,
    seen_at     TIMESTAMP,
    day         TEXT,
    payload     TEXT NOT NULL,
    tags        TEXT,
    blob        BLOB,
    doc         BLOB,
    mask        INTEGER
)`
	futurePostgres = `CREATE TABLE widgets (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id),
    parent_id   BIGINT REFERENCES widgets (id),
    amount      NUMERIC(38,18) NOT NULL,
    flag        BOOLEAN NOT NULL,
    seen_at     TIMESTAMPTZ,
    day         DATE,
    payload     JSONB NOT NULL,
    tags        TEXT[],
    blob        BYTEA,
    doc         JSONB,
    mask        BIT(8)
)`
	userID = "01a2248b-4306-792a-9b70-447186da9475"
)

func migratedSQLite(t *testing.T) (*database.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kontor.db")
	db, err := database.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := database.NewMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func mustExec(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.DB.DB.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestCopyCarriesUnknownTablesExactly copies a table this code has never heard of,
// referring to itself and to users, with every kind of column, and finds each value
// exact on PostgreSQL, the child rows inserted after their parents, and the id
// sequence moved past the copied ids.
func TestCopyCarriesUnknownTablesExactly(t *testing.T) {
	ctx := context.Background()
	src, path := migratedSQLite(t)
	mustExec(t, src, futureSQLite)
	mustExec(t, src, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, 'a@example.com', 'A', 'x', '2026-01-02 03:04:05.123456789+00:00', '2026-01-02 03:04:05+01:00')`, userID)
	// Row 1 refers to row 3, which comes later: the self-reference is filled in after.
	// doc holds SQLite's binary JSONB (as River keeps its JSON) or JSON text in a
	// BLOB; mask is a bitmask kept as an integer, BIT(8) in PostgreSQL.
	mustExec(t, src, `INSERT INTO widgets (id, owner_id, parent_id, amount, flag, seen_at, day, payload, tags, blob, doc, mask) VALUES
		(1, ?, 3, '-12345678901234567890.123456789012345678', 1, '2026-03-04 05:06:07.5+02:00', '2026-03-04', '{"a":[1,2]}', '["x","y \"q\""]', X'00ff10', jsonb('{"k":[1,"z"]}'), 5),
		(2, ?, NULL, '0.000000000000000001', 0, NULL, NULL, '{}', NULL, NULL, CAST('{"t":true}' AS BLOB), 128),
		(3, ?, 2, '42', 1, '2026-12-31 23:59:59+00:00', '2026-12-31', '[]', jsonb('["j"]'), X'', NULL, NULL)`, userID, userID, userID)

	url := dbtest.NewPostgresURL(t)
	dst, err := database.OpenPostgres(url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	mustExec(t, dst, futurePostgres)

	var progress strings.Builder
	verified := false
	report, err := database.CopySQLiteToPostgres(ctx, path, dst, database.CopyOptions{
		BatchSize: 2, Progress: &progress,
		Verify: func(context.Context, *database.DB) error { verified = true; return nil },
	})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if !verified {
		t.Fatal("Verify did not run")
	}
	rows := map[string]int64{}
	pos := map[string]int{}
	for i, tb := range report.Tables {
		rows[tb.Name] = tb.Rows
		pos[tb.Name] = i
	}
	if rows["widgets"] != 3 || rows["users"] != 1 || report.Rows != 4 {
		t.Fatalf("report: %+v", report.Tables)
	}
	if pos["users"] > pos["widgets"] || pos["accounts"] > pos["transactions"] || pos["transactions"] > pos["transfers"] {
		t.Fatalf("not in dependency order: %+v", report.Tables)
	}
	if _, ok := rows["bun_migrations"]; ok {
		t.Fatal("migration bookkeeping was copied")
	}
	if !strings.Contains(progress.String(), "widgets") {
		t.Fatalf("progress: %q", progress.String())
	}

	type widget struct {
		parent  *int64
		amount  string
		flag    bool
		seen    *string
		day     *string
		payload string
		tags    *string
		blob    []byte
		doc     *string
		mask    *string
	}
	got := map[int64]widget{}
	r, err := dst.DB.DB.QueryContext(ctx, `SELECT id, parent_id, amount::text, flag, to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), day::text, payload::text, tags::text, blob, doc::text, mask::text FROM widgets`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int64
		var w widget
		if err := r.Scan(&id, &w.parent, &w.amount, &w.flag, &w.seen, &w.day, &w.payload, &w.tags, &w.blob, &w.doc, &w.mask); err != nil {
			t.Fatal(err)
		}
		got[id] = w
	}
	r.Close()
	w1, w2, w3 := got[1], got[2], got[3]
	if w1.parent == nil || *w1.parent != 3 || w3.parent == nil || *w3.parent != 2 || w2.parent != nil {
		t.Fatalf("self-references: %v %v %v", w1.parent, w2.parent, w3.parent)
	}
	if w1.amount != "-12345678901234567890.123456789012345678" || w2.amount != "0.000000000000000001" || w3.amount != "42.000000000000000000" {
		t.Fatalf("amounts not exact: %q %q %q", w1.amount, w2.amount, w3.amount)
	}
	if !w1.flag || w2.flag || *w1.seen != "2026-03-04 03:06:07.500000" || *w1.day != "2026-03-04" || w2.seen != nil {
		t.Fatalf("flag/time/day: %+v", w1)
	}
	if w1.payload != `{"a": [1, 2]}` || *w1.tags != `{x,"y \"q\""}` || string(w1.blob) != "\x00\xff\x10" {
		t.Fatalf("json/array/bytes: %q %q %x", w1.payload, *w1.tags, w1.blob)
	}
	if *w1.doc != `{"k": [1, "z"]}` || *w2.doc != `{"t": true}` || w3.doc != nil || *w1.mask != "00000101" || *w2.mask != "10000000" || *w3.tags != "{j}" {
		t.Fatalf("jsonb blob/bitmask: %v %v %v %v %q", *w1.doc, *w2.doc, *w1.mask, *w2.mask, *w3.tags)
	}
	var created string
	if err := dst.DB.DB.QueryRowContext(ctx, `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM users`).Scan(&created); err != nil || created != "2026-01-02 03:04:05.123456" {
		t.Fatalf("users.created_at = %q, %v", created, err)
	}
	// The sequence moved on: a new row gets a fresh id instead of colliding.
	var next int64
	if err := dst.DB.DB.QueryRowContext(ctx, `INSERT INTO widgets (owner_id, amount, flag, payload) VALUES ('`+userID+`', 1, true, '{}') RETURNING id`).Scan(&next); err != nil || next != 4 {
		t.Fatalf("next widget id %d, %v", next, err)
	}

	// A second copy finds the target full and refuses before writing anything.
	_, err = database.CopySQLiteToPostgres(ctx, path, dst, database.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "widgets") {
		t.Fatalf("copy into a full target: %v", err)
	}
}

// TestCopyRefusesWhatWouldNotBeExact refuses amounts PostgreSQL would round or that
// a float has already rounded, and a table the target lacks.
func TestCopyRefusesWhatWouldNotBeExact(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, column, value, want string
	}{
		{"nineteen decimals", "TEXT", "'0.0000000000000000001'", "more than 18 decimals"},
		{"a float", "REAL", "0.1", "float"},
		{"not a number", "TEXT", "'12,50'", "not a decimal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, path := migratedSQLite(t)
			mustExec(t, src, `CREATE TABLE gadgets (id INTEGER PRIMARY KEY, amount `+tc.column+`)`)
			mustExec(t, src, `INSERT INTO gadgets (id, amount) VALUES (1, `+tc.value+`)`)
			dst, err := database.OpenPostgres(dbtest.NewPostgresURL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			mustExec(t, dst, `CREATE TABLE gadgets (id BIGINT PRIMARY KEY, amount NUMERIC(38,18))`)
			_, err = database.CopySQLiteToPostgres(ctx, path, dst, database.CopyOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "gadgets") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("a table the target lacks", func(t *testing.T) {
		src, path := migratedSQLite(t)
		mustExec(t, src, `CREATE TABLE gizmos (id INTEGER PRIMARY KEY)`)
		dst, err := database.OpenPostgres(dbtest.NewPostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		_, err = database.CopySQLiteToPostgres(ctx, path, dst, database.CopyOptions{})
		if err == nil || !strings.Contains(err.Error(), "gizmos") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a source behind the target's migrations", func(t *testing.T) {
		src, path := migratedSQLite(t)
		mustExec(t, src, `DELETE FROM bun_migrations WHERE name = (SELECT max(name) FROM bun_migrations)`)
		dst, err := database.OpenPostgres(dbtest.NewPostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		_, err = database.CopySQLiteToPostgres(ctx, path, dst, database.CopyOptions{})
		if err == nil || !strings.Contains(err.Error(), "kontor migrate up") {
			t.Fatalf("err = %v", err)
		}
	})
}
