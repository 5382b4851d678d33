package app

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// BenchmarkRender100k renders a statement of 100,000 generated entries in each format
// without a database, to separate the renderers' cost from the ledger's:
//
//	go test -run '^$' -bench Render100k -benchtime 3x ./modules/statements/internal/app/
func BenchmarkRender100k(b *testing.B) {
	f := newFixture()
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	f.ledger.gen = func(_ uuid.UUID, from, until time.Time, fn func(domain.Entry) error) error {
		for i := 0; i < 100_000; i++ {
			a := money.MustParse(strconv.Itoa(i%997) + ".25")
			if i%3 != 0 {
				a = a.Neg()
			}
			e := domain.Entry{TransactionID: uuid.New(), BookedAt: start.Add(time.Duration(i) * 20 * time.Second), Description: "Benchmark transaction " + strconv.Itoa(i), Type: "purchase", Amount: a}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	for _, format := range domain.Formats {
		b.Run(string(format), func(b *testing.B) {
			for b.Loop() {
				doc, err := f.svc.Export(context.Background(), f.owner, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: domain.PeriodInput{StartDate: "2025-03-01", EndDate: "2025-03-31"}}, Format: format})
				if err != nil {
					b.Fatal(err)
				}
				if err := doc.WriteTo(context.Background(), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
