package ofx

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// accountWant is what a file says about one account, over all its statements.
type accountWant struct {
	id, typ, currency string
	statements, txns  int
	sum               string // of TRNAMT over the account's transactions
	balance           string // LEDGERBAL (or INVBAL/AVAILCASH) of its last statement
	avail             string // AVAILBAL, "" when absent
	noBalance         bool
}

// realFile is one row of the acceptance table: a file of ../shared/testdata/ofx and
// either what it imports or why it is refused. The counts, sums and balances are the
// ones SOURCES.md measured from each file.
type realFile struct {
	file     string
	why      string
	accounts []accountWant // nil when the file is refused
	texts    []string      // text a description or counterparty must hold (charsets, entities)
	line     int           // refused: the line the reason names
	reason   string        // refused: part of the reason
}

var realFiles = []realFile{
	{file: "jseutter__ofxparse__checking.ofx", why: "SGML 1.0.2 bank statement with closing tags on aggregates only, Quicken INTU.* tags",
		accounts: []accountWant{{"5472369148:1452687~7", "checking", "USD", 1, 3, "-59.50", "100.99", "75.99", false}}},
	{file: "chilts__node-ofx__example1.ofx", why: "minimal SGML savings statement, date-only dates",
		accounts: []accountWant{{"01:1234567-00", "savings", "NZD", 1, 5, "-173.11", "4225.79", "12.79", false}}},
	{file: "fnando__ofx__bb.ofx", why: "CHARSET:1252 bytes decoded to UTF-8, trailing spaces in values, a transaction before DTSTART kept",
		accounts: []accountWant{{"001:12345-6", "checking", "BRL", 1, 81, "6592.75", "6529.19", "", false}},
		texts:    []string{"PAGAMENTO DE TÍTULO"}},
	{file: "fnando__ofx__santander.ofx", why: "decimal commas and space-padded amounts",
		accounts: []accountWant{{"034:3423130031625", "checking", "BRL", 1, 4, "0", "348.29", "2415.87", false}}},
	{file: "asgrim__ofxparser__ofxdata-bb-two-stmtrs.ofx", why: "two STMTRS in one STMTTRNRS (not per spec, accepted), cp1252 and CRLF, an empty BANKTRANLIST",
		accounts: []accountWant{
			{"001:455000-5", "checking", "BRL", 1, 0, "0", "0", "", false},
			{"001:655000-2", "checking", "BRL", 1, 36, "-3648.66", "4555.28", "", false},
		},
		texts: []string{"TED-CRÉDITO EM CONTA"}},
	{file: "bradenmacdonald__ofx-js__credit-card.qfx", why: "QFX credit-card statement on one line, tz [-5], &amp; in NAME",
		accounts: []accountWant{{"4510000000003333", "credit_card", "CAD", 1, 5, "80.48", "904.53", "904.53", false}}},
	{file: "fnando__ofx__nd-amex-sample.ofx", why: "16 CCSTMTTRNRS for 2 cards, proprietary AMEX.* tags, one-decimal amounts",
		accounts: []accountWant{
			{"555555555555555", "credit_card", "USD", 5, 11, "-764.6", "-764.6", "", false},
			{"444444444444444", "credit_card", "USD", 11, 4, "0.21", "0.21", "", false},
		}},
	{file: "asgrim__ofxparser__ofxdata-memoWithAmpersand.ofx", why: "raw & and \" in MEMO kept as written, integer amounts",
		accounts: []accountWant{{"99999999-9999-9999-9999-999999999999", "credit_card", "BRL", 1, 16, "393.82", "-734.05", "", false}},
		texts:    []string{"Amazon.Com.Br Amazon & Cloud 3/3"}},
	{file: "jseutter__ofxparse__fidelity.ofx", why: "investment statement: the 3 INVBANKTRAN are the cash side, INVBAL/AVAILCASH the balance; BUYSTOCK and the rest are not cash transactions",
		accounts: []accountWant{{"01234567890", "brokerage", "USD", 1, 3, "-0.57", "18073.98", "", false}}},
	{file: "asgrim__ofxparser__ofxdata-investments-xml.ofx", why: "XML 2.0.2 investment statement with one INVBANKTRAN and no balance at all (NoBalance)",
		accounts: []accountWant{{"1234567890", "brokerage", "USD", 1, 1, "1234.56", "0", "", true}}},
	{file: "fnando__ofx__v211.ofx", why: "the OFX 2.1.1 specification's example: bank and card in one file, an XML comment",
		accounts: []accountWant{
			{"000000123:123456", "checking", "USD", 1, 1, "-80", "2156.56", "", false},
			{"123412341234", "credit_card", "USD", 1, 2, "327", "-562.00", "", false},
		}},
	{file: "asgrim__ofxparser__ofx-multiple-accounts-xml.ofx", why: "XML with three accounts, the first without transactions",
		accounts: []accountWant{
			{"875400:54658222458596", "checking", "GBP", 1, 0, "0", "43.01", "", false},
			{"875400:546582659855", "checking", "GBP", 1, 2, "496.02", "3000.25", "", false},
			{"492900:21252344525548", "savings", "GBP", 1, 1, "18.70", "11728.56", "", false},
		}},
	{file: "jseutter__ofxparse__anzcc.ofx", why: "XML header over an SGML body (unclosed leaves); ledger and available balances of opposite sign kept as written",
		accounts: []accountWant{{"1234123412341234", "credit_card", "AUD", 1, 1, "-5.50", "-123.45", "123.45", false}}},
	{file: "fnando__ofx__utf8.ofx", why: "UTF-8 bytes under a USASCII/1252 header: valid UTF-8 is read as UTF-8",
		accounts: []accountWant{{"0356:03227113109", "checking", "BRL", 1, 36, "-3896.56", "598.44", "", false}},
		texts:    []string{"TÍTULO COBRANÇA"}},
	{file: "actualbudget__actual__1252.qfx", why: "Windows-1252, not ISO-8859-1: € (0x80) and — (0x97) decode right",
		accounts: []accountWant{{"700012345:999-12345-0055666-EOP", "checking", "CAD", 1, 1, "-20", "9999.99", "9999.99", false}},
		texts:    []string{"Café Métro €uro", "Paiement 5€ — débit"}},
	{file: "actualbudget__actual__html-vals.qfx", why: "double-escaped entities resolved (&amp;lt; → <), an ACCTID with a space",
		accounts: []accountWant{{"000000000:00000 00-00000", "checking", "CAD", 1, 2, "-2.00", "1111.11", "1111.11", false}},
		texts:    []string{"TPAY <DEFTPYMT>", "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer"}},
	{file: "jseutter__ofxparse__error_message.ofx", why: "STMTTRNRS/STATUS CODE 2000: the bank sent an error instead of the statement",
		line: 23, reason: "the bank reported an error instead of the statement: code 2000 (ERROR): General Server Error"},
	{file: "jseutter__ofxparse__signon_fail.ofx", why: "SONRS CODE 15500: the sign-on failed, there is no statement",
		line: 11, reason: "the bank refused the sign-on, so the file holds no statement: code 15500 (ERROR): Your request could not be processed"},
	{file: "jseutter__ofxparse__empty_balance.ofx", why: "known broken: LEDGERBAL/BALAMT is blank, so the file states no usable balance (the missing header alone is accepted)",
		line: 38, reason: "LEDGERBAL/BALAMT is empty"},
	{file: "stoicflame__ofx4j__pag-seguro.ofx", why: "non-conformant: BALAMT \"R$ 5.326,43\" carries a currency symbol and a thousands separator, which Kontor refuses rather than guesses",
		line: 64, reason: `LEDGERBAL/BALAMT "R$\u00a05.326,43" is not an amount`},
}

// TestRealFiles holds every file of ../shared/testdata/ofx to its row of realFiles:
// imported with SOURCES.md's counts, sums and balances, or refused with the reason
// and line given.
func TestRealFiles(t *testing.T) {
	dir := sharedOFX(t)
	onDisk, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, f := range realFiles {
		inTable[f.file] = true
	}
	n := 0
	for _, path := range onDisk {
		base := filepath.Base(path)
		if !strings.HasSuffix(base, ".ofx") && !strings.HasSuffix(base, ".qfx") {
			continue
		}
		n++
		if !inTable[base] {
			t.Errorf("%s has no row in realFiles: say whether it imports or why it is refused", base)
		}
	}
	if n != len(realFiles) {
		t.Errorf("%d OFX/QFX files on disk, %d rows in the table", n, len(realFiles))
	}

	for _, f := range realFiles {
		t.Run(f.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, f.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseAll(data, 0)
			if f.accounts == nil {
				pe := parseErr(t, err)
				if pe.Line != f.line || !strings.Contains(pe.Reason, f.reason) {
					t.Fatalf("refused with line %d %q, want line %d and %q (%s)", pe.Line, pe.Reason, f.line, f.reason, f.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse error = %v; want it imported (%s)", err, f.why)
			}
			checkAccounts(t, got, f.accounts)
			for _, want := range f.texts {
				if !hasText(got, want) {
					t.Errorf("no description or counterparty holds %q", want)
				}
			}
		})
	}
}

// checkAccounts folds the statements of got per account and compares them with want.
func checkAccounts(t *testing.T, got []provider.Statement, want []accountWant) {
	t.Helper()
	var order []string
	folded := map[string]*accountWant{}
	for _, s := range got {
		a := s.Account
		w, ok := folded[a.ID]
		if !ok {
			w = &accountWant{id: a.ID, typ: a.Type, currency: a.Currency, sum: "0"}
			folded[a.ID] = w
			order = append(order, a.ID)
		}
		if !s.More {
			w.statements++
			w.balance = a.Balance.String()
			w.avail = ""
			if a.AvailableBalance.Valid {
				w.avail = a.AvailableBalance.Amount.String()
			}
			w.noBalance = s.NoBalance
		}
		w.txns += len(s.Transactions)
		w.sum = money.MustParse(w.sum).Add(sum(s.Transactions)).String()
		for _, tx := range s.Transactions {
			if tx.AccountID != a.ID || tx.ID == "" || tx.Date.IsZero() || tx.Description == "" {
				t.Errorf("transaction %+v is incomplete", tx)
			}
		}
	}
	var ids []string
	for _, w := range want {
		ids = append(ids, w.id)
	}
	if !slices.Equal(order, ids) {
		t.Fatalf("accounts %q, want %q", order, ids)
	}
	for _, w := range want {
		g := folded[w.id]
		norm := func(s string) string {
			if s == "" {
				return ""
			}
			return money.MustParse(s).String()
		}
		wn := w
		wn.sum, wn.balance, wn.avail = norm(w.sum), norm(w.balance), norm(w.avail)
		if *g != wn {
			t.Errorf("account %s:\n got %+v\nwant %+v", w.id, *g, wn)
		}
	}
}

func hasText(stmts []provider.Statement, want string) bool {
	for _, s := range stmts {
		for _, tx := range s.Transactions {
			if strings.Contains(tx.Description, want) || strings.Contains(tx.Counterparty, want) {
				return true
			}
		}
	}
	return false
}
