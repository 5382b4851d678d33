package database

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// skippedTables are not copied: each database keeps its own.
var skippedTables = map[string]string{
	"bun_migrations":      "migration bookkeeping: the target records its own migrations",
	"bun_migration_locks": "migration bookkeeping",
	"river_migration":     "River's migration bookkeeping: the target records its own",
	"river_leader":        "River's leader lease, which belongs to running processes",
}

// skipTable reports whether a table is bookkeeping that Copy and backups' row counts
// leave out.
func skipTable(name string) bool {
	_, skip := skippedTables[name]
	return skip || strings.HasPrefix(name, "sqlite_")
}

// CopyOptions tune CopySQLiteToPostgres.
type CopyOptions struct {
	// BatchSize is the number of rows inserted per transaction (default 1000).
	BatchSize int
	// Progress, when set, receives one line per table copied.
	Progress io.Writer
	// Verify, when set, runs on the target after the copy, for invariants the
	// database does not know (the accounts' ledger); its error fails the copy.
	Verify func(ctx context.Context, target *DB) error
}

// CopiedTable is one table's count of copied rows.
type CopiedTable struct {
	Name string
	Rows int64
}

// CopyReport says what CopySQLiteToPostgres copied.
type CopyReport struct {
	// Tables lists every copied table in the order it was copied (parents first).
	Tables []CopiedTable
	// Rows is the total number of rows copied.
	Rows int64
	// Skipped names the bookkeeping tables left out, with the reason.
	Skipped map[string]string
	// Duration is the copy's wall time, verification included.
	Duration time.Duration
}

// sourceColumn is a column of an SQLite table.
type sourceColumn struct {
	name     string
	declared string
}

// targetColumn is a column of a PostgreSQL table.
type targetColumn struct {
	name     string
	dataType string // information_schema data_type: "numeric", "ARRAY", ...
	udt      string // udt_name: "numeric", "uuid", "_text", ...
	nullable bool
	serial   bool // filled from a sequence, which must move past the copied values
	scale    sql.NullInt64
	length   sql.NullInt64 // character_maximum_length: n of BIT(n)
}

// copyPlan is one table to copy.
type copyPlan struct {
	table    string
	columns  []sourceColumn
	targets  []targetColumn
	deferred map[int]bool // self-referencing columns, inserted NULL then updated
	pk       string
}

// CopySQLiteToPostgres copies every table of the SQLite database at sqlitePath into
// the PostgreSQL database target, which it first migrates and which must hold no
// rows. Tables and columns are discovered from the schemas, so tables added by later
// migrations are carried without changes here; they are copied parents first (by the
// target's foreign keys), in batches of one transaction each, from one consistent
// read of the source. Values are converted to the target column's type: amounts stay
// exact decimal strings (a value with more decimals than the column keeps is refused,
// never rounded), and floats are refused in NUMERIC columns. Afterwards every table's
// row count is compared with the source's, sequences are moved past the copied ids,
// and opts.Verify runs.
func CopySQLiteToPostgres(ctx context.Context, sqlitePath string, target *DB, opts CopyOptions) (CopyReport, error) {
	started := time.Now()
	if target.Dialect != Postgres {
		return CopyReport{}, errors.New("the target must be a PostgreSQL database (postgres://...)")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if err := checkSQLiteHeader(sqlitePath); err != nil {
		return CopyReport{}, err
	}
	srcDB, err := openSQLiteReader(sqlitePath)
	if err != nil {
		return CopyReport{}, err
	}
	defer srcDB.Close()
	// One read transaction: every table is read as of the same moment, even if a
	// server still writes to the file.
	src, err := srcDB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return CopyReport{}, err
	}
	defer src.Rollback() //nolint:errcheck // read-only

	m, err := NewMigrator(target)
	if err != nil {
		return CopyReport{}, err
	}
	if _, err := m.Up(ctx); err != nil {
		return CopyReport{}, fmt.Errorf("migrate the target: %w", err)
	}
	if err := sameMigrations(ctx, src, sqlitePath); err != nil {
		return CopyReport{}, err
	}

	plans, err := planCopy(ctx, src, target)
	if err != nil {
		return CopyReport{}, err
	}
	if err := ensureEmpty(ctx, target); err != nil {
		return CopyReport{}, err
	}

	report := CopyReport{Skipped: map[string]string{}}
	for name, why := range skippedTables {
		report.Skipped[name] = why
	}
	for _, p := range plans {
		t0 := time.Now()
		n, err := copyTable(ctx, src, target, p, opts.BatchSize)
		if err != nil {
			return report, fmt.Errorf("copy %s: %w (the target now holds part of the data: empty it, e.g. drop and re-create the database, before trying again)", p.table, err)
		}
		report.Tables = append(report.Tables, CopiedTable{Name: p.table, Rows: n})
		report.Rows += n
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "copied %-28s %9d rows in %s\n", p.table, n, time.Since(t0).Round(time.Millisecond))
		}
	}
	if err := resetSequences(ctx, target, plans); err != nil {
		return report, err
	}
	for i, p := range plans {
		var want, got int64
		if err := src.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(p.table)).Scan(&want); err != nil {
			return report, err
		}
		if err := target.DB.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(p.table)).Scan(&got); err != nil {
			return report, err
		}
		if want != got || got != report.Tables[i].Rows {
			return report, fmt.Errorf("verify %s: the source has %d rows, the target %d (copied %d)", p.table, want, got, report.Tables[i].Rows)
		}
	}
	if opts.Verify != nil {
		if err := opts.Verify(ctx, target); err != nil {
			return report, fmt.Errorf("verify the target: %w", err)
		}
	}
	report.Duration = time.Since(started)
	return report, nil
}

// sameMigrations refuses a source whose applied migrations differ from the SQLite
// migrations this build embeds: the target has just been brought up to date by this
// build, so both then hold the same schema (each dialect's own files).
func sameMigrations(ctx context.Context, src *sql.Tx, path string) error {
	have, err := appliedMigrations(ctx, src)
	if err != nil {
		return fmt.Errorf("%s: %w (is it a Kontor database?)", path, err)
	}
	known := migrationNames(SQLite)
	haveSet := map[string]bool{}
	var extra []string
	for _, n := range have {
		haveSet[n] = true
		if !known[n] {
			extra = append(extra, n)
		}
	}
	var missing []string
	for n := range known {
		if !haveSet[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(extra) > 0 {
		return fmt.Errorf("%s was migrated by a newer Kontor (migrations %s are unknown here); copy it with that version", path, strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks migrations %s; bring it up to date first: kontor migrate up --database-url sqlite:%s", path, strings.Join(missing, ", "), path)
	}
	return nil
}

// planCopy lists the source's tables in dependency order with their columns matched
// to the target's.
func planCopy(ctx context.Context, src *sql.Tx, target *DB) ([]copyPlan, error) {
	tables, err := sourceTables(ctx, src)
	if err != nil {
		return nil, err
	}
	targetCols, err := targetColumns(ctx, target)
	if err != nil {
		return nil, err
	}
	fks, err := targetForeignKeys(ctx, target)
	if err != nil {
		return nil, err
	}
	plans := map[string]*copyPlan{}
	for _, t := range tables {
		tcols, ok := targetCols[t]
		if !ok {
			return nil, fmt.Errorf("table %s exists in the SQLite database but not in PostgreSQL; both must be migrated by the same Kontor version", t)
		}
		byName := map[string]targetColumn{}
		for _, c := range tcols {
			byName[c.name] = c
		}
		cols, err := sourceColumns(ctx, src, t)
		if err != nil {
			return nil, err
		}
		p := &copyPlan{table: t, columns: cols, deferred: map[int]bool{}}
		for i, c := range cols {
			tc, ok := byName[c.name]
			if !ok {
				return nil, fmt.Errorf("column %s.%s exists in the SQLite database but not in PostgreSQL", t, c.name)
			}
			p.targets = append(p.targets, tc)
			for _, fk := range fks {
				if fk.child == t && fk.parent == t && fk.column == c.name {
					if !tc.nullable {
						return nil, fmt.Errorf("column %s.%s refers to its own table and is NOT NULL; it cannot be copied row by row", t, c.name)
					}
					p.deferred[i] = true
				}
			}
		}
		if len(p.deferred) > 0 {
			if p.pk, err = singlePrimaryKey(ctx, target, t); err != nil {
				return nil, err
			}
		}
		plans[t] = p
	}
	order, err := dependencyOrder(tables, fks)
	if err != nil {
		return nil, err
	}
	out := make([]copyPlan, 0, len(order))
	for _, t := range order {
		out = append(out, *plans[t])
	}
	return out, nil
}

func sourceTables(ctx context.Context, src *sql.Tx) ([]string, error) {
	rows, err := src.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if !skipTable(n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

func sourceColumns(ctx context.Context, src *sql.Tx, table string) ([]sourceColumn, error) {
	rows, err := src.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sourceColumn
	for rows.Next() {
		var c sourceColumn
		if err := rows.Scan(&c.name, &c.declared); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func targetColumns(ctx context.Context, target *DB) (map[string][]targetColumn, error) {
	rows, err := target.DB.DB.QueryContext(ctx, `
SELECT table_name, column_name, data_type, udt_name, is_nullable = 'YES',
       coalesce(column_default LIKE 'nextval(%', false) OR is_identity = 'YES', numeric_scale,
       character_maximum_length
FROM information_schema.columns
WHERE table_schema = current_schema()
ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]targetColumn{}
	for rows.Next() {
		var t string
		var c targetColumn
		if err := rows.Scan(&t, &c.name, &c.dataType, &c.udt, &c.nullable, &c.serial, &c.scale, &c.length); err != nil {
			return nil, err
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

type foreignKey struct{ child, parent, column string }

func targetForeignKeys(ctx context.Context, target *DB) ([]foreignKey, error) {
	rows, err := target.DB.DB.QueryContext(ctx, `
SELECT cl.relname, pl.relname, a.attname
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_class pl ON pl.oid = c.confrelid
JOIN pg_namespace n ON n.oid = c.connamespace
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'f' AND n.nspname = current_schema()
ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var fk foreignKey
		if err := rows.Scan(&fk.child, &fk.parent, &fk.column); err != nil {
			return nil, err
		}
		out = append(out, fk)
	}
	return out, rows.Err()
}

func singlePrimaryKey(ctx context.Context, target *DB, table string) (string, error) {
	rows, err := target.DB.DB.QueryContext(ctx, `
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = to_regclass($1) AND i.indisprimary`, quoteIdent(table))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(cols) != 1 {
		return "", fmt.Errorf("table %s refers to itself but has no single-column primary key to update the references by", table)
	}
	return cols[0], nil
}

// dependencyOrder sorts tables so that every table comes after the tables it refers
// to (Kahn's algorithm, ties by name so the order is stable).
func dependencyOrder(tables []string, fks []foreignKey) ([]string, error) {
	in := map[string]bool{}
	for _, t := range tables {
		in[t] = true
	}
	parents := map[string]map[string]bool{}
	for _, fk := range fks {
		if fk.child == fk.parent || !in[fk.child] || !in[fk.parent] {
			continue
		}
		if parents[fk.child] == nil {
			parents[fk.child] = map[string]bool{}
		}
		parents[fk.child][fk.parent] = true
	}
	done := map[string]bool{}
	var order []string
	for len(order) < len(tables) {
		var ready []string
		for _, t := range tables {
			if done[t] {
				continue
			}
			ok := true
			for p := range parents[t] {
				if !done[p] {
					ok = false
					break
				}
			}
			if ok {
				ready = append(ready, t)
			}
		}
		if len(ready) == 0 {
			var left []string
			for _, t := range tables {
				if !done[t] {
					left = append(left, t)
				}
			}
			return nil, fmt.Errorf("the foreign keys between %s form a cycle; no copy order exists", strings.Join(left, ", "))
		}
		sort.Strings(ready)
		for _, t := range ready {
			done[t] = true
			order = append(order, t)
		}
	}
	return order, nil
}

// ensureEmpty refuses a target with rows in any table Copy would fill or leave.
func ensureEmpty(ctx context.Context, target *DB) error {
	cols, err := targetColumns(ctx, target)
	if err != nil {
		return err
	}
	var names []string
	for t := range cols {
		if !skipTable(t) {
			names = append(names, t)
		}
	}
	sort.Strings(names)
	var full []string
	for _, t := range names {
		var exists bool
		if err := target.DB.DB.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+quoteIdent(t)+")").Scan(&exists); err != nil {
			return err
		}
		if exists {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("the target database is not empty (rows in %s); copy only into an empty database, so nothing is merged or overwritten", strings.Join(full, ", "))
	}
	return nil
}

// copyTable streams one table from the source and inserts it in batches, one
// transaction each; self-referencing columns are filled in afterwards.
func copyTable(ctx context.Context, src *sql.Tx, target *DB, p copyPlan, batchSize int) (int64, error) {
	names := make([]string, len(p.columns))
	selects := make([]string, len(p.columns))
	for i, c := range p.columns {
		names[i] = quoteIdent(c.name)
		selects[i] = names[i]
		if tc := p.targets[i]; tc.udt == "json" || tc.udt == "jsonb" || tc.dataType == "ARRAY" {
			// SQLite may keep JSON as its binary JSONB (River does); json() turns
			// that back into text. Text, and text stored as a BLOB, stay as they are.
			selects[i] = fmt.Sprintf("CASE WHEN typeof(%[1]s) = 'blob' AND json_valid(%[1]s, 8) THEN json(%[1]s) ELSE %[1]s END", names[i])
		}
	}
	// PostgreSQL takes at most 65,535 parameters per statement.
	batchSize = max(1, min(batchSize, 65000/max(1, len(p.columns))))
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(selects, ", ")+" FROM "+quoteIdent(p.table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	insert := "INSERT INTO " + quoteIdent(p.table) + " (" + strings.Join(names, ", ") + ") VALUES "
	var (
		n       int64
		inBatch int
		sb      strings.Builder
		later   []deferredRef
	)
	sqldb := target.DB.DB
	pkIndex := -1
	for i, c := range p.columns {
		if c.name == p.pk {
			pkIndex = i
		}
	}
	flush := func() error {
		if inBatch == 0 {
			return nil
		}
		// The values are inlined as literals (as bun itself sends queries), so the
		// batch is one simple-protocol round trip whatever the driver; PostgreSQL
		// coerces each literal to its destination column's type.
		err := inTx(ctx, sqldb, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, sb.String())
			return err
		})
		sb.Reset()
		inBatch = 0
		return err
	}
	raw := make([]any, len(p.columns))
	ptrs := make([]any, len(p.columns))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if inBatch == 0 {
			sb.WriteString(insert)
		} else {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for i, v := range raw {
			cv, err := convertValue(v, p.targets[i])
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, p.columns[i].name, err)
			}
			if p.deferred[i] && cv != nil {
				if pkIndex < 0 {
					return n, fmt.Errorf("primary key %s is not among the source's columns", p.pk)
				}
				pk, err := convertValue(raw[pkIndex], p.targets[pkIndex])
				if err != nil {
					return n, err
				}
				later = append(later, deferredRef{pk: pk, column: p.columns[i].name, value: cv})
				cv = nil
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			if err := appendLiteral(&sb, cv); err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, p.columns[i].name, err)
			}
		}
		sb.WriteByte(')')
		inBatch++
		n++
		if inBatch >= batchSize {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	for start := 0; start < len(later); start += batchSize {
		end := min(start+batchSize, len(later))
		err := inTx(ctx, sqldb, func(tx *sql.Tx) error {
			for _, l := range later[start:end] {
				q := "UPDATE " + quoteIdent(p.table) + " SET " + quoteIdent(l.column) + " = $1 WHERE " + quoteIdent(p.pk) + " = $2"
				if _, err := tx.ExecContext(ctx, q, l.value, l.pk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("fill self-references: %w", err)
		}
	}
	return n, nil
}

// appendLiteral writes v as a PostgreSQL literal. Strings are quoted with
// standard_conforming_strings (on by default since PostgreSQL 9.1, and required by
// pgx): a quote is doubled and a backslash is an ordinary character.
func appendLiteral(sb *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		sb.WriteString("NULL")
	case int64:
		sb.WriteString(strconv.FormatInt(x, 10))
	case bool:
		if x {
			sb.WriteString("TRUE")
		} else {
			sb.WriteString("FALSE")
		}
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return errors.New("text holds a NUL character, which PostgreSQL cannot store")
		}
		sb.WriteByte('\'')
		sb.WriteString(strings.ReplaceAll(x, "'", "''"))
		sb.WriteByte('\'')
	case []byte:
		sb.WriteString(`'\x`)
		sb.WriteString(hex.EncodeToString(x))
		sb.WriteString(`'`)
	case time.Time:
		sb.WriteString(x.UTC().Format("'2006-01-02 15:04:05.999999-07:00'"))
	default:
		return fmt.Errorf("cannot write %T as a literal", v)
	}
	return nil
}

// deferredRef is a self-reference filled in after its table is copied.
type deferredRef struct {
	pk     any
	column string
	value  any
}

// inTx runs fn in one transaction of db, committing when it returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// resetSequences moves every sequence-backed column's sequence past the largest
// copied value, so the next row the application inserts gets a fresh id.
func resetSequences(ctx context.Context, target *DB, plans []copyPlan) error {
	for _, p := range plans {
		for _, c := range p.targets {
			if !c.serial {
				continue
			}
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(%s), 0) + 1, false) FROM %s",
				quoteIdent(c.name), quoteIdent(p.table))
			if _, err := target.DB.DB.ExecContext(ctx, q, quoteIdent(p.table), c.name); err != nil {
				return fmt.Errorf("reset the sequence of %s.%s: %w", p.table, c.name, err)
			}
		}
	}
	return nil
}

// sqliteTimeLayouts are the ways a time can sit in an SQLite TEXT column.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func parseSQLiteTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// Go's time.Time.String form, which some drivers write: "... +0000 UTC".
	if i := strings.Index(s, " m="); i >= 0 {
		s = s[:i]
	}
	for _, l := range sqliteTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// convertValue turns a value read from SQLite into one PostgreSQL stores exactly in
// column c.
func convertValue(v any, c targetColumn) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok && c.udt != "bytea" {
		v = string(b)
	}
	switch c.udt {
	case "bool":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "1", "t", "true", "yes", "on":
				return true, nil
			case "0", "f", "false", "no", "off":
				return false, nil
			}
		}
		return nil, fmt.Errorf("%v (%T) is not a boolean", v, v)
	case "int2", "int4", "int8":
		switch x := v.(type) {
		case int64:
			return x, nil
		case string:
			if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return i, nil
			}
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
		return nil, fmt.Errorf("%v (%T) is not a whole number", v, v)
	case "numeric":
		var s string
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), nil
		case string:
			s = strings.TrimSpace(x)
		case float64:
			return nil, fmt.Errorf("%v is stored as a float, which has already lost exactness; refusing to copy it into NUMERIC", x)
		default:
			return nil, fmt.Errorf("%v (%T) is not a decimal number", v, v)
		}
		if err := checkDecimal(s, c.scale); err != nil {
			return nil, err
		}
		return s, nil
	case "timestamptz", "timestamp":
		switch x := v.(type) {
		case time.Time:
			return pgTime(x), nil
		case string:
			t, err := parseSQLiteTime(x)
			if err != nil {
				return nil, err
			}
			return pgTime(t), nil
		case int64:
			return pgTime(time.Unix(x, 0)), nil
		}
		return nil, fmt.Errorf("%v (%T) is not a time", v, v)
	case "date":
		switch x := v.(type) {
		case time.Time:
			return x.Format(time.DateOnly), nil
		case string:
			t, err := parseSQLiteTime(x)
			if err != nil {
				return nil, err
			}
			// A date is the calendar day written, whatever the offset.
			return t.Format(time.DateOnly), nil
		}
		return nil, fmt.Errorf("%v (%T) is not a date", v, v)
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
		return nil, fmt.Errorf("%T is not bytes", v)
	case "json", "jsonb":
		s, ok := v.(string)
		if !ok || !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("%v is not JSON", v)
		}
		return s, nil
	case "uuid":
		if s, ok := v.(string); ok {
			if len(s) == 16 && !utf8.ValidString(s) {
				// A binary UUID read from a BLOB.
				h := hex.EncodeToString([]byte(s))
				return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
			}
			return s, nil
		}
		return nil, fmt.Errorf("%v (%T) is not a UUID", v, v)
	}
	if c.udt == "bit" || c.udt == "varbit" {
		// A bitmask kept as an integer, written as PostgreSQL's integer::bit(n) does:
		// the n lowest bits, most significant first.
		if x, ok := v.(int64); ok {
			n := int64(64)
			if c.length.Valid && c.length.Int64 > 0 && c.length.Int64 < 64 {
				n = c.length.Int64
				x &= 1<<n - 1
			}
			return fmt.Sprintf("%0*b", n, uint64(x)), nil
		}
		return v, nil
	}
	if c.dataType == "ARRAY" {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v (%T) is not an array", v, v)
		}
		return arrayLiteral(s)
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case int64:
		if c.udt == "float4" || c.udt == "float8" {
			return x, nil
		}
		return strconv.FormatInt(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return v, nil
}

// pgTime writes a time as a PostgreSQL literal; the driver would turn the zero time
// into NULL.
func pgTime(t time.Time) any {
	if t.IsZero() {
		return "0001-01-01 00:00:00+00"
	}
	return t
}

// checkDecimal refuses a string that is no plain decimal, or that has more decimals
// than the column keeps (PostgreSQL would round it silently).
func checkDecimal(s string, scale sql.NullInt64) error {
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" && frac == "" {
		return fmt.Errorf("%q is not a decimal number", s)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return fmt.Errorf("%q is not a decimal number", s)
		}
	}
	if scale.Valid && int64(len(strings.TrimRight(frac, "0"))) > scale.Int64 {
		return fmt.Errorf("%q has more than %d decimals; PostgreSQL would round it, so it is refused", s, scale.Int64)
	}
	return nil
}

// arrayLiteral turns a JSON array (how SQLite keeps lists) into a PostgreSQL array
// literal.
func arrayLiteral(s string) (string, error) {
	var items []any
	if err := json.Unmarshal([]byte(s), &items); err != nil {
		if strings.HasPrefix(strings.TrimSpace(s), "{") {
			return s, nil // already an array literal
		}
		return "", fmt.Errorf("%q is not a JSON array", s)
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		if it == nil {
			b.WriteString("NULL")
			continue
		}
		var text string
		switch x := it.(type) {
		case string:
			text = x
		default:
			raw, _ := json.Marshal(x)
			text = string(raw)
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
