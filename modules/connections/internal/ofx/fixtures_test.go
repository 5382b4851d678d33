package ofx

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

func TestInfo(t *testing.T) {
	var f provider.File = New()
	info := f.Info()
	if info.Slug != "ofx" || info.Name != "OFX/QFX file" || info.AuthKind != provider.AuthFile || info.Description == "" {
		t.Errorf("Info() = %+v", info)
	}
}

func descriptions(s provider.Statement) []string {
	var out []string
	for _, tx := range s.Transactions {
		out = append(out, tx.Description+" | "+tx.Counterparty)
	}
	return out
}

// TestWindows1252 reads CHARSET:1252 bytes (é, €, —, ß), unclosed SGML leaves and a CRLF
// header, and maps AVAILBAL.
func TestWindows1252(t *testing.T) {
	got := mustParse(t, "sgml_cp1252.ofx")
	if len(got) != 1 {
		t.Fatalf("%d statements", len(got))
	}
	want := []string{"Paiement 5€ — débit | Café Métro €uro", "Straße | Straße"}
	if d := descriptions(got[0]); !slices.Equal(d, want) {
		t.Errorf("texts %q, want %q", d, want)
	}
	a := got[0].Account
	if a.ID != "111000025:12345678" || a.Mask != "5678" || a.Name != "Checking ••5678" || a.Type != "checking" ||
		a.Institution != "Kontor Test Bank" || a.Currency != "USD" || a.Balance.String() != "105.50" ||
		!a.AvailableBalance.Valid || a.AvailableBalance.Amount.String() != "90.00" {
		t.Errorf("account %+v", a)
	}
	wantAsOf := time.Date(2024, 1, 31, 12, 0, 0, 0, time.FixedZone("", -5*3600))
	if !a.BalanceDate.Equal(wantAsOf) {
		t.Errorf("BalanceDate %v, want %v", a.BalanceDate, wantAsOf)
	}
}

// TestDecimalComma reads decimal commas, padded amounts, '+' with leading zeros,
// one-decimal and integer amounts and a bare ",25", all exactly.
func TestDecimalComma(t *testing.T) {
	got := mustParse(t, "comma_decimal.ofx")
	var amounts []string
	for _, tx := range got[0].Transactions {
		amounts = append(amounts, tx.Amount.String())
	}
	want := []string{"-11.76", "100.50", "-35.40", "-140.00", "0.25"}
	if !slices.Equal(amounts, want) {
		t.Errorf("amounts %q, want %q", amounts, want)
	}
	if b := got[0].Account.Balance.String(); b != "1234.50" || got[0].Account.Currency != "BRL" {
		t.Errorf("balance %s %s", b, got[0].Account.Currency)
	}
}

// TestTimeZones keeps the booking day as the bank wrote it, whatever the zone suffix.
func TestTimeZones(t *testing.T) {
	got := mustParse(t, "timezones.ofx")
	var days []string
	for _, tx := range got[0].Transactions {
		days = append(days, tx.Date.Format(time.RFC3339))
	}
	want := []string{
		"2024-01-10T00:00:00Z", // 23:30 EST is still the 10th in New York
		"2024-01-11T00:00:00Z", // 00:30 in Nepal (+5:45) is the 11th there
		"2024-01-12T00:00:00Z",
		"2024-01-13T00:00:00Z",
		"2024-01-14T00:00:00Z",
		"2024-01-15T00:00:00Z",
	}
	if !slices.Equal(days, want) {
		t.Errorf("days %q, want %q", days, want)
	}
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"20240110233000[-5:EST]", time.Date(2024, 1, 11, 4, 30, 0, 0, time.UTC)},
		{"20240111003000.123[+5.75:NPT]", time.Date(2024, 1, 10, 18, 45, 0, 123e6, time.UTC)},
		{"20240112", time.Date(2024, 1, 12, 0, 0, 0, 0, time.UTC)},
		{"202401131200", time.Date(2024, 1, 13, 12, 0, 0, 0, time.UTC)},
		{"20240114120000[-3]", time.Date(2024, 1, 14, 15, 0, 0, 0, time.UTC)},
		{"20240115120000.000[-03:BRT]", time.Date(2024, 1, 15, 15, 0, 0, 0, time.UTC)},
		{"20240115120000 [0:GMT] ", time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)},
		{"20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := parseDate("DTPOSTED", c.in, 1)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// TestEntities resolves XML and numeric references, keeps raw ampersands and unknown
// references as written, and undoes one level of double escaping.
func TestEntities(t *testing.T) {
	got := mustParse(t, "entities.ofx")
	want := []string{
		`Fish & Chips <b> "x" été | AT&T`,
		"HYDRO & POWER | TPAY <DEFTPYMT>",
		`Tom "Big" & Co &unknown; &#0; | Tom "Big" & Co &unknown; &#0;`,
	}
	if d := descriptions(got[0]); !slices.Equal(d, want) {
		t.Errorf("texts\n%q\nwant\n%q", d, want)
	}
}

// TestAccountTypes maps ACCTTYPE onto API.md's types and defaults CURDEF to USD.
func TestAccountTypes(t *testing.T) {
	got := mustParse(t, "account_types.ofx")
	var types []string
	for _, s := range got {
		types = append(types, s.Account.Type+"/"+s.Account.Currency+"/"+s.Account.Name)
	}
	want := []string{"money_market/USD/Money market ••1001", "line_of_credit/USD/Line of credit ••1002", "cd/USD/Certificate of deposit ••1003"}
	if !slices.Equal(types, want) {
		t.Errorf("types %q, want %q", types, want)
	}
}

// TestCorrections applies CORRECTACTION: REPLACE and DELETE withdraw the corrected
// FITID (from this chunk, and through Removed from earlier imports); REPLACE adds the
// replacement, DELETE adds nothing.
func TestCorrections(t *testing.T) {
	got := mustParse(t, "corrections.ofx")
	var ids []string
	for _, tx := range got[0].Transactions {
		ids = append(ids, tx.ID+"="+tx.Amount.String())
	}
	if want := []string{"A2=-11.00", "C=-5.00"}; !slices.Equal(ids, want) {
		t.Errorf("transactions %q, want %q", ids, want)
	}
	if want := []string{"A", "B", "OLD", "C"}; !slices.Equal(got[0].Removed, want) {
		t.Errorf("Removed %q, want %q", got[0].Removed, want)
	}
}

// TestFITIDPerAccount: the same FITID in two accounts is two transactions.
func TestFITIDPerAccount(t *testing.T) {
	got := mustParse(t, "same_fitid_two_accounts.ofx")
	if len(got) != 2 {
		t.Fatalf("%d statements", len(got))
	}
	a, b := got[0], got[1]
	if a.Account.ID == b.Account.ID || len(a.Transactions) != 2 || len(b.Transactions) != 1 ||
		a.Transactions[0].ID != "SAME" || b.Transactions[0].ID != "SAME" ||
		a.Transactions[0].AccountID != a.Account.ID || b.Transactions[0].AccountID != b.Account.ID {
		t.Errorf("statements %+v", got)
	}
}

// TestXMLBankCardInvestment reads OFX 2.x XML with three statement kinds: PAYEE/NAME as
// the counterparty, BANKACCTTO and ORIGCURRENCY ignored, a self-closing element, the
// investment statement's INVBANKTRAN as its only cash transaction and
// INVBAL/AVAILCASH with the statement's DTASOF as its balance.
func TestXMLBankCardInvestment(t *testing.T) {
	got := mustParse(t, "xml_v2_bank_card_invest.ofx")
	if len(got) != 3 {
		t.Fatalf("%d statements", len(got))
	}
	bank, card, inv := got[0], got[1], got[2]
	if bank.Account.ID != "DE1:DE89370400440532013000" || bank.Account.Currency != "EUR" || bank.Account.Institution != "Grüne Bank" ||
		bank.Account.Balance.String() != "957.00" || bank.Account.AvailableBalance.Amount.String() != "900.00" {
		t.Errorf("bank %+v", bank.Account)
	}
	if want := []string{"Rechnung 7 | Müller GmbH", "Salary | Salary", "FEE | "}; !slices.Equal(descriptions(bank), want) {
		t.Errorf("bank texts %q, want %q", descriptions(bank), want)
	}
	if !sum(bank.Transactions).Equal(money.MustParse("957.00")) {
		t.Errorf("bank sum %s", sum(bank.Transactions))
	}
	if card.Account.ID != "4111111111111111" || card.Account.Type != "credit_card" || card.Account.Mask != "1111" ||
		card.Account.Balance.String() != "-19.99" || card.Account.AvailableBalance.Valid || card.Transactions[0].ID != "X1" {
		t.Errorf("card %+v", card)
	}
	asOf := time.Date(2024, 1, 31, 21, 0, 0, 0, time.UTC)
	if inv.Account.ID != "INV-0099" || inv.Account.Type != "brokerage" || len(inv.Transactions) != 1 ||
		inv.Transactions[0].Amount.String() != "0.42" || inv.Account.Balance.String() != "1500.42" ||
		!inv.Account.BalanceDate.Equal(asOf) || inv.NoBalance {
		t.Errorf("investment %+v", inv)
	}
}

// TestStatusErrors refuses a statement-level error and a sign-on failure with the
// bank's words, or the code's meaning when the bank sent none.
func TestStatusErrors(t *testing.T) {
	for _, c := range []struct {
		file, want string
		line       int
	}{
		{"statement_error.ofx", "the bank reported an error instead of the statement: code 2003 (ERROR): the account was not found", 12},
		{"signon_error.ofx", "the bank refused the sign-on, so the file holds no statement: code 15500 (ERROR): Bad password", 11},
	} {
		file, want := c.file, c.want
		data := readFixture(t, file)
		calls := 0
		err := New().Parse(strings.NewReader(string(data)), func(provider.Statement) error { calls++; return nil })
		pe := parseErr(t, err)
		if pe.Reason != want || pe.Line != c.line || calls != 0 {
			t.Errorf("%s: line %d %q after %d calls, want line %d %q", file, pe.Line, pe.Reason, calls, c.line, want)
		}
	}
}
