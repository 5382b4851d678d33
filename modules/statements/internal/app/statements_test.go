package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func export(t *testing.T, f *fixture, in ExportInput) []byte {
	t.Helper()
	doc, err := f.svc.Export(context.Background(), f.owner, in)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	var buf bytes.Buffer
	if err := doc.WriteTo(context.Background(), &buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return buf.Bytes()
}

// statementJSON is API.md's statement object.
type statementJSON struct {
	AccountID       string `json:"account_id"`
	AccountNumber   string `json:"account_number"`
	AccountName     string `json:"account_name"`
	AccountType     string `json:"account_type"`
	Currency        string `json:"currency"`
	UserID          string `json:"user_id"`
	StatementPeriod struct {
		StartDate string `json:"start_date"`
		EndDate   string `json:"end_date"`
	} `json:"statement_period"`
	OpeningBalance   money.Amount `json:"opening_balance"`
	ClosingBalance   money.Amount `json:"closing_balance"`
	TotalDeposits    money.Amount `json:"total_deposits"`
	TotalWithdrawals money.Amount `json:"total_withdrawals"`
	TransactionCount int          `json:"transaction_count"`
	GeneratedAt      string       `json:"generated_at"`
	Transactions     []struct {
		TransactionID string       `json:"transaction_id"`
		Date          string       `json:"date"`
		Description   string       `json:"description"`
		Type          string       `json:"type"`
		Amount        money.Amount `json:"amount"`
		BalanceAfter  money.Amount `json:"balance_after"`
	} `json:"transactions"`
}

func decodeStatement(t *testing.T, body []byte) statementJSON {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var s statementJSON
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("decode statement: %v\n%s", err, body)
	}
	return s
}

func TestJSONStatement(t *testing.T) {
	f := newFixture()
	body := export(t, f, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: january}, Format: domain.JSON})
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	want := []string{"account_id", "account_number", "account_name", "account_type", "currency", "user_id", "statement_period",
		"opening_balance", "closing_balance", "total_deposits", "total_withdrawals", "transaction_count", "generated_at", "transactions"}
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want exactly %v", keys, want)
	}
	for _, k := range want {
		if _, ok := keys[k]; !ok {
			t.Fatalf("key %q missing", k)
		}
	}
	s := decodeStatement(t, body)
	if s.AccountNumber != "ACC-12345" || s.UserID != ownerID.String() || s.StatementPeriod.StartDate != "2025-01-01" ||
		s.StatementPeriod.EndDate != "2025-01-31" || s.GeneratedAt != "2025-02-03T09:30:00Z" || s.Currency != "USD" {
		t.Fatalf("header: %+v", s)
	}
	checks := map[string][2]money.Amount{
		"opening_balance":   {s.OpeningBalance, money.MustParse("5000")},
		"total_deposits":    {s.TotalDeposits, money.MustParse("1262.845")},
		"total_withdrawals": {s.TotalWithdrawals, money.MustParse("612.335000000000000001")},
		"closing_balance":   {s.ClosingBalance, money.MustParse("5650.509999999999999999")},
	}
	for name, c := range checks {
		if !c[0].Equal(c[1]) {
			t.Errorf("%s = %s, want %s", name, c[0], c[1])
		}
	}
	if s.TransactionCount != 8 || len(s.Transactions) != 8 {
		t.Fatalf("count %d, %d transactions; want 8", s.TransactionCount, len(s.Transactions))
	}
	if last := s.Transactions[7]; !last.BalanceAfter.Equal(s.ClosingBalance) || last.Date != "2025-01-31T23:59:59Z" {
		t.Fatalf("last line %+v, closing %s", last, s.ClosingBalance)
	}
	if !s.OpeningBalance.Add(s.TotalDeposits).Sub(s.TotalWithdrawals).Equal(s.ClosingBalance) {
		t.Fatal("opening + deposits - withdrawals != closing")
	}
	if s.Transactions[2].Description != `Café "Zur Post", Wien` {
		t.Fatalf("description not kept exactly: %q", s.Transactions[2].Description)
	}
}

func TestJSONStatementOfAnEmptyPeriod(t *testing.T) {
	f := newFixture()
	body := export(t, f, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: domain.PeriodInput{StartDate: "2024-06-01", EndDate: "2024-06-30"}}, Format: domain.JSON})
	s := decodeStatement(t, body)
	if s.Transactions == nil || len(s.Transactions) != 0 || s.TransactionCount != 0 || !s.OpeningBalance.IsZero() || !s.ClosingBalance.IsZero() {
		t.Fatalf("empty statement: %s", body)
	}
}

// TestCSVGolden holds the CSV byte for byte to testdata/*.golden; run
// go test -run TestCSVGolden -update to accept a deliberate change.
func TestCSVGolden(t *testing.T) {
	f := newFixture()
	cases := map[string]domain.PeriodInput{
		"january":      january,
		"empty_period": {StartDate: "2024-06-01", EndDate: "2024-06-30"},
	}
	for name, period := range cases {
		t.Run(name, func(t *testing.T) {
			got := export(t, f, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: period}, Format: domain.CSV})
			golden := filepath.Join("testdata", "statement_"+name+".csv.golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("CSV differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestExportRefuses(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	cases := []struct {
		name string
		run  func() error
		code apperr.Code
	}{
		{"another user's account", func() error {
			_, err := f.svc.Export(ctx, f.other, ExportInput{StatementInput: StatementInput{AccountID: accountID}, Format: domain.JSON})
			return err
		}, apperr.Forbidden},
		{"an unknown account", func() error {
			_, err := f.svc.Export(ctx, f.owner, ExportInput{StatementInput: StatementInput{AccountID: uuid.New()}, Format: domain.CSV})
			return err
		}, apperr.NotFound},
		{"a start after the end", func() error {
			_, err := f.svc.Export(ctx, f.owner, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: domain.PeriodInput{StartDate: "2025-02-01", EndDate: "2025-01-01"}}, Format: domain.PDF})
			return err
		}, apperr.ValidationFailed},
		{"another user's view", func() error {
			_, err := f.svc.View(ctx, f.other, ViewInput{StatementInput: StatementInput{AccountID: accountID}})
			return err
		}, apperr.Forbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !apperr.Is(err, tc.code) {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
		})
	}
}

func TestExportFileName(t *testing.T) {
	f := newFixture()
	doc, err := f.svc.Export(context.Background(), f.owner, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: january}, Format: domain.PDF})
	if err != nil {
		t.Fatal(err)
	}
	if doc.FileName != "statement-xxxx2345-2025-01-01-2025-01-31.pdf" || doc.Format.MediaType() != "application/pdf" {
		t.Fatalf("file %q, type %q", doc.FileName, doc.Format.MediaType())
	}
}

func TestViewPagesLinesButTotalsTheWholePeriod(t *testing.T) {
	f := newFixture()
	v, err := f.svc.View(context.Background(), f.owner, ViewInput{StatementInput: StatementInput{AccountID: accountID, Period: january}, Page: 2, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if v.Offset != 3 || len(v.Lines) != 3 || v.Lines[0].TransactionID != txID(5) || v.Totals.Count != 8 || v.Header.HolderName != "Ada Lovelace" {
		t.Fatalf("view: offset %d, %d lines, first %s, totals %+v", v.Offset, len(v.Lines), v.Lines[0].TransactionID, v.Totals)
	}
}
