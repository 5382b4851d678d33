package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/accounts/internal/app"
	"github.com/kontor-app/kontor/modules/accounts/internal/domain"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// hostileTexts are strings that break a store which builds SQL from text or lets
// a driver rewrite placeholders: quotes, backslashes, ?, $1, :name, LIKE wildcards,
// comment markers and unicode outside the BMP.
var hostileTexts = []string{
	`O'Brien's "quoted" account`,
	`back\slash \\ \' \"`,
	`what? ?? ?1 $1 $2 :name @p1 %s %d`,
	`'; DROP TABLE accounts; --`,
	`100% _under_ [bracket] ^caret`,
	"Ünïcødé 🦀 日本語 \u202eRTL\u200d zero-width",
	`/* comment */ -- tail`,
}

// TestHostileTextRoundTrips writes every hostile string through every text column of
// accounts and transactions, on both engines, and reads each back byte for byte; a
// name search for it finds exactly its account.
func TestHostileTextRoundTrips(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		for i, h := range hostileTexts {
			name := fmt.Sprintf("%s #%d", h, i)
			a := e.create(t, e.alice, name, "checking", "USD", "10.00", func(f *app.AccountFieldsText) {
				f.Subtype = app.Set(fit(h, domain.MaxSubtypeLength))
				f.ExternalID = app.Set(fmt.Sprintf("%s-ext-%d", h, i))
				f.AccountNumber = app.Set(fit(fmt.Sprintf("%d-%s", i, h), domain.MaxAccountNumberLength))
				f.Color = app.Set(fit(h, domain.MaxColorLength))
				f.Icon = app.Set(fit(h, domain.MaxIconLength))
				f.Notes = app.Set(h)
				f.CustomFields = app.Set([]domain.CustomField{{Label: h, Value: h}})
				v := h
				f.Metadata = app.Set(map[string]*string{h: &v})
			})
			got, err := e.store.Get(ctx, a.ID)
			if err != nil {
				t.Fatalf("get %q: %v", h, err)
			}
			for col, v := range map[string]string{
				"name": got.Name, "subtype": got.Subtype, "color": got.Color, "icon": got.Icon, "notes": got.Notes,
				"external_id": got.ExternalID, "account_number": got.AccountNumber,
			} {
				want := h
				switch col {
				case "subtype":
					want = fit(h, domain.MaxSubtypeLength)
				case "color":
					want = fit(h, domain.MaxColorLength)
				case "icon":
					want = fit(h, domain.MaxIconLength)
				case "name":
					want = name
				case "external_id":
					want = fmt.Sprintf("%s-ext-%d", h, i)
				case "account_number":
					want = fit(fmt.Sprintf("%d-%s", i, h), domain.MaxAccountNumberLength)
				}
				if v != want {
					t.Errorf("%s: stored %q, read back %q", col, want, v)
				}
			}
			if len(got.CustomFields) != 1 || got.CustomFields[0].Label != h || got.CustomFields[0].Value != h {
				t.Errorf("custom_fields of %q read back as %+v", h, got.CustomFields)
			}
			if len(got.Metadata) != 1 || got.Metadata[h] != h {
				t.Errorf("metadata of %q read back as %+v", h, got.Metadata)
			}

			rec, err := e.record(ctx, e.alice, app.RecordTransactionText{AccountID: a.ID, Type: "deposit", Amount: "1.00",
				Description: h, Counterparty: h, ExternalID: fmt.Sprintf("tx-%d-%s", i, h)})
			if err != nil {
				t.Fatalf("record %q: %v", h, err)
			}
			found := false
			err = e.store.StreamLedger(ctx, a.ID, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(2, 0, 0), func(tx domain.Transaction) error {
				if tx.ID != rec.Transaction.ID {
					return nil
				}
				found = true
				if tx.Description != h || tx.Counterparty != h || tx.ExternalID != fmt.Sprintf("tx-%d-%s", i, h) {
					t.Errorf("transaction text of %q read back as %q / %q / %q", h, tx.Description, tx.Counterparty, tx.ExternalID)
				}
				return nil
			})
			if err != nil || !found {
				t.Fatalf("stream ledger for %q: found=%v err=%v", h, found, err)
			}

			list, err := e.list(ctx, e.alice, app.ListAccountsText{Q: name, Limit: 200})
			if err != nil {
				t.Fatalf("search %q: %v", name, err)
			}
			if len(list.Accounts) != 1 || list.Accounts[0].ID != a.ID {
				var names []string
				for _, x := range list.Accounts {
					names = append(names, x.Name)
				}
				t.Errorf("search for %q found %q", name, names)
			}
		}
	})
}

// fit cuts s to at most n characters, so a column's length limit is not what fails.
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
