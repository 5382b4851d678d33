package money_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
	_ "modernc.org/sqlite"
)

// TestSQLiteRoundTrip stores amounts through a real driver, because what matters is
// what SQLite does with the value: a TEXT column keeps the canonical string exactly,
// while a column with NUMERIC affinity would turn "0.10" into a REAL, which Scan
// must refuse rather than accept a rounded amount.
func TestSQLiteRoundTrip(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // every connection to ":memory:" is a separate database

	if _, err := db.Exec(`CREATE TABLE amounts (id INTEGER PRIMARY KEY, exact TEXT NOT NULL, optional TEXT, affinity NUMERIC)`); err != nil {
		t.Fatal(err)
	}

	inputs := []string{
		"0", "0.10", "25000.5", "-500", "0.000000000000000001",
		"99999999999999999999.999999999999999999", "-99999999999999999999.999999999999999999",
	}
	for i, s := range inputs {
		a := money.MustParse(s)
		if _, err := db.Exec(`INSERT INTO amounts (id, exact, optional) VALUES (?, ?, ?)`, i, a, money.NullAmount{}); err != nil {
			t.Fatalf("insert %s: %v", s, err)
		}
		var got money.Amount
		var optional money.NullAmount
		var stored string
		if err := db.QueryRow(`SELECT exact, exact, optional FROM amounts WHERE id = ?`, i).Scan(&got, &stored, &optional); err != nil {
			t.Fatalf("select %s: %v", s, err)
		}
		if !got.Equal(a) || stored != a.String() {
			t.Errorf("stored %s as %q and read back %s", a, stored, got)
		}
		if optional.Valid {
			t.Errorf("NULL read back as %+v, want absent", optional)
		}
	}

	if _, err := db.Exec(`INSERT INTO amounts (id, exact, optional) VALUES (100, '1', ?)`, money.NullAmount{Amount: money.MustParse("12.5"), Valid: true}); err != nil {
		t.Fatal(err)
	}
	var optional money.NullAmount
	if err := db.QueryRow(`SELECT optional FROM amounts WHERE id = 100`).Scan(&optional); err != nil || !optional.Valid || optional.Amount.String() != "12.50" {
		t.Errorf("NullAmount round trip = %+v, %v; want 12.50", optional, err)
	}

	if _, err := db.Exec(`INSERT INTO amounts (id, exact, affinity) VALUES (200, '0', ?)`, money.MustParse("0.10")); err != nil {
		t.Fatal(err)
	}
	var fromReal money.Amount
	err = db.QueryRow(`SELECT affinity FROM amounts WHERE id = 200`).Scan(&fromReal)
	if err == nil || !strings.Contains(err.Error(), "floats are not accepted") {
		t.Errorf("scanning a NUMERIC-affinity column = %v, %v; want floats refused", fromReal, err)
	}
}
