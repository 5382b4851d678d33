package ofx

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
)

// base is a small valid SGML statement; the bad-input cases are edits of it. Line 12
// holds the transaction, line 13 the balance.
const base = `OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240105<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>2<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240101<DTEND>20240131
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>-1.50<FITID>F1<NAME>Shop</STMTTRN></BANKTRANLIST>
<LEDGERBAL><BALAMT>10.00<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
`

func TestBaseImports(t *testing.T) {
	got, err := parseAll([]byte(base), 0)
	if err != nil || len(got) != 1 || len(got[0].Transactions) != 1 || got[0].Account.Balance.String() != "10.00" {
		t.Fatalf("base: %+v, %v", got, err)
	}
}

// TestBadInput refuses every kind of bad file with the line and a precise reason, and
// never calls fn for a file refused before its first statement ends.
func TestBadInput(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base has no %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	cases := []struct {
		name, in string
		line     int
		reason   string
	}{
		{"empty", "", 1, "the file is empty"},
		{"white space only", "\r\n\n   \n", 4, "the file is empty"},
		{"binary NUL", "\x00\x01\x02\x03", 1, "byte 0x00: this is a binary file"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00", 1, "byte 0x1F: this is a binary file"},
		{"binary in a value", edit("<NAME>Shop", "<NAME>Sh\x00op"), 12, "byte 0x00: this is a binary file"},
		{"UTF-16", "\xff\xfe<\x00O\x00", 1, "UTF-16"},
		{"plain text", "hello world\n", 1, `this is not an OFX file: it starts with "hello world"`},
		{"CSV", "date,amount\n2024-01-01,5\n", 1, `this is not an OFX file: it starts with "date,amount"`},
		{"HTML", "<!DOCTYPE html>\n<html><body>hi</body></html>", 2, "expected the <OFX> element, found <HTML>"},
		{"header only", "OFXHEADER:100\nDATA:OFXSGML\n", 3, "the file ends after its header"},
		{"bad header line", "OFXHEADER:100\nDATA OFXSGML\n<OFX></OFX>", 2, `header line "DATA OFXSGML" is not NAME:VALUE`},
		{"truncated in a statement", base[:strings.Index(base, "<LEDGERBAL>")], 13, "the file ends inside <STMTRS> (opened on line 11): it is truncated"},
		{"truncated in a tag", base[:strings.Index(base, "</OFX>")+3], 13, "the file ends inside a tag: it is truncated"},
		{"truncated before </OFX>", base[:strings.Index(base, "</OFX>")], 13, "the file ends inside <OFX>"},
		{"no statement", "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1></OFX>", 1, "the file holds no bank, credit-card or investment statement"},
		{"date: month 13", edit("<DTPOSTED>20240110", "<DTPOSTED>20241310"), 12, `DTPOSTED "20241310" is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[±H[:TZ]]]): no such month, day or time`},
		{"date: 30 February", edit("<DTPOSTED>20240110", "<DTPOSTED>20240230"), 12, "no such day in that month"},
		{"date: ISO", edit("<DTPOSTED>20240110", "<DTPOSTED>2024-01-10"), 12, "4 digits where 8, 12 or 14 belong"},
		{"date: year 1899", edit("<DTPOSTED>20240110", "<DTPOSTED>18991231"), 12, "the year 1899 is before 1900"},
		{"date: bad zone", edit("<DTPOSTED>20240110", "<DTPOSTED>20240110120000[EST]"), 12, `time zone offset "EST" is not a number of hours`},
		{"date: zone past 14 h", edit("<DTPOSTED>20240110", "<DTPOSTED>20240110120000[+15:X]"), 12, "beyond ±14"},
		{"date: empty", edit("<DTPOSTED>20240110", "<DTPOSTED>"), 12, "DTPOSTED is empty: a date is required"},
		{"date: missing", edit("<DTPOSTED>20240110", ""), 12, "a transaction (STMTTRN, FITID F1) without DTPOSTED"},
		{"balance date", edit("<DTASOF>20240131", "<DTASOF>31/01/2024"), 13, `LEDGERBAL/DTASOF "31/01/2024" is not an OFX date`},
		{"amount: two points", edit("<TRNAMT>-1.50", "<TRNAMT>-1.50.2"), 12, `TRNAMT "-1.50.2" is not an amount`},
		{"amount: thousands", edit("<TRNAMT>-1.50", "<TRNAMT>1,234.56"), 12, `TRNAMT "1,234.56" is not an amount`},
		{"amount: exponent", edit("<TRNAMT>-1.50", "<TRNAMT>1e5"), 12, `TRNAMT "1e5" is not an amount`},
		{"amount: currency symbol", edit("<TRNAMT>-1.50", "<TRNAMT>$5.00"), 12, `TRNAMT "$5.00" is not an amount`},
		{"amount: empty", edit("<TRNAMT>-1.50", "<TRNAMT> "), 12, "TRNAMT is empty: an amount is required"},
		{"amount: missing", edit("<TRNAMT>-1.50", ""), 12, "a transaction (STMTTRN, FITID F1) without TRNAMT"},
		{"amount: out of range", edit("<TRNAMT>-1.50", "<TRNAMT>100000000000000000000"), 12, "is out of range: Kontor holds at most 20 digits before the decimal point"},
		{"amount: too precise", edit("<TRNAMT>-1.50", "<TRNAMT>0.0000000000000000001"), 12, "more than 18 digits after the decimal point"},
		{"balance amount", edit("<BALAMT>10.00", "<BALAMT>ten"), 13, `LEDGERBAL/BALAMT "ten" is not an amount`},
		{"currency: two letters", edit("<CURDEF>USD", "<CURDEF>US"), 11, `CURDEF "US" is not an ISO 4217 currency code`},
		{"currency: digits", edit("<CURDEF>USD", "<CURDEF>840"), 11, `CURDEF "840" is not an ISO 4217 currency code`},
		{"currency: symbol", edit("<CURDEF>USD", "<CURDEF>€"), 11, `CURDEF "€" is not an ISO 4217 currency code`},
		{"currency: word", edit("<CURDEF>USD", "<CURDEF>EURO"), 11, `CURDEF "EURO" is not an ISO 4217 currency code`},
		{"statement error", edit("<TRNUID>1<STATUS><CODE>0<SEVERITY>INFO", "<TRNUID>1<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>Server down"), 11, "the bank reported an error instead of the statement: code 2000 (ERROR): Server down"},
		{"sign-on error", edit("<SONRS><STATUS><CODE>0", "<SONRS><STATUS><CODE>15500"), 11, "the bank refused the sign-on, so the file holds no statement: code 15500 (INFO): the user id or password is wrong"},
		{"status without code", edit("<SONRS><STATUS><CODE>0", "<SONRS><STATUS>"), 11, "a STATUS without CODE"},
		{"no FITID", edit("<FITID>F1", ""), 12, "a transaction (STMTTRN) without FITID"},
		{"FITID too long", edit("<FITID>F1", "<FITID>"+strings.Repeat("x", 256)), 12, "FITID is longer than 255 characters"},
		{"bad CORRECTACTION", edit("<FITID>F1", "<FITID>F1<CORRECTFITID>F0<CORRECTACTION>UPDATE"), 12, `CORRECTACTION "UPDATE": REPLACE or DELETE expected`},
		{"CORRECTACTION alone", edit("<FITID>F1", "<FITID>F1<CORRECTACTION>DELETE"), 12, "CORRECTACTION DELETE without CORRECTFITID"},
		{"no account", edit("<ACCTID>2", ""), 11, "<STMTRS> has no account number (BANKACCTFROM/ACCTID)"},
		{"balance without date", edit("<DTASOF>20240131", ""), 13, "LEDGERBAL without DTASOF"},
		{"nested statements", edit("<BANKTRANLIST>", "<CCSTMTRS>"), 11, "<CCSTMTRS> inside <STMTRS>"},
		{"undefined Windows-1252 byte", edit("<NAME>Shop", "<NAME>Sh\x81op"), 12, "byte 0x81 is not a character in Windows-1252"},
		{"huge value", edit("<NAME>Shop", "<NAME>"+strings.Repeat("a", 20000)), 12, "a value longer than 16384 bytes"},
		{"huge tag name", edit("<NAME>Shop", "<"+strings.Repeat("N", 100)+">x"), 12, "an element name longer than 64 characters"},
		{"malformed tag", edit("<NAME>Shop", "<NA$ME>Shop"), 12, `malformed tag: '$' cannot appear in an element name`},
		{"deep nesting", "<OFX>" + strings.Repeat("<A>", 100), 1, "elements nested more than 64 deep"},
		{"unterminated comment", "<OFX><!-- never closed", 1, "the file ends inside a comment"},
		{"not OFX XML", `<?xml version="1.0"?><rss></rss>`, 1, "expected the <OFX> element, found <RSS>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			err := New().Parse(strings.NewReader(c.in), func(provider.Statement) error { calls++; return nil })
			pe := parseErr(t, err)
			if pe.Line != c.line || !strings.Contains(pe.Reason, c.reason) {
				t.Errorf("line %d %q, want line %d and %q", pe.Line, pe.Reason, c.line, c.reason)
			}
			// Cut after its statement, a file has handed that statement over already;
			// the error tells the caller to keep none of it.
			if calls != 0 && !strings.HasPrefix(c.name, "truncated in a tag") && !strings.HasPrefix(c.name, "truncated before") {
				t.Errorf("fn was called %d times for a file refused before its statement ended", calls)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

// TestEveryTruncationRefused cuts valid files at every byte: each prefix short of the
// closing </OFX> is refused, so a half-uploaded file never imports half.
func TestEveryTruncationRefused(t *testing.T) {
	for _, name := range []string{"", "xml_v2_bank_card_invest.ofx", "sgml_cp1252.ofx"} {
		data := []byte(base)
		if name != "" {
			data = readFixture(t, name)
		}
		end := bytes.LastIndex(data, []byte("</OFX>")) + len("</OFX>")
		for i := 0; i < end; i++ {
			if _, err := parseAll(data[:i], 0); err == nil {
				t.Fatalf("%s cut at byte %d of %d was accepted", name, i, len(data))
			} else {
				parseErr(t, err)
			}
		}
	}
}

// TestFnErrorStops returns fn's error unchanged and reads no further.
func TestFnErrorStops(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := New().Parse(bytes.NewReader(readFixture(t, "same_fitid_two_accounts.ofx")), func(provider.Statement) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("Parse = %v after %d calls, want fn's error after 1", err, calls)
	}
}

// TestCtrlZ accepts the DOS end-of-file mark some exporters append.
func TestCtrlZ(t *testing.T) {
	if _, err := parseAll([]byte(base+"\x1a"), 0); err != nil {
		t.Errorf("Parse with a trailing Ctrl-Z: %v", err)
	}
	if _, err := parseAll([]byte("\xef\xbb\xbf"+base), 0); err != nil {
		t.Errorf("Parse with a UTF-8 BOM: %v", err)
	}
}

// TestTransactionCurrency: CURRENCY equal to CURDEF or ORIGCURRENCY (already converted)
// import; CURRENCY naming another currency is refused rather than converted silently.
func TestTransactionCurrency(t *testing.T) {
	same := strings.Replace(base, "<FITID>F1", "<FITID>F1<CURRENCY><CURRATE>1.0<CURSYM>USD</CURRENCY>", 1)
	orig := strings.Replace(base, "<FITID>F1", "<FITID>F1<ORIGCURRENCY><CURRATE>1.1<CURSYM>EUR</ORIGCURRENCY>", 1)
	for _, in := range []string{same, orig} {
		if got, err := parseAll([]byte(in), 0); err != nil || got[0].Transactions[0].Amount.String() != "-1.50" {
			t.Errorf("Parse = %+v, %v", got, err)
		}
	}
	other := strings.Replace(base, "<FITID>F1", "<FITID>F1<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY>", 1)
	_, err := parseAll([]byte(other), 0)
	if pe := parseErr(t, err); pe.Line != 12 || !strings.Contains(pe.Reason, "transaction F1 is in EUR (CURRENCY) while its statement is in USD") {
		t.Errorf("line %d %q", pe.Line, pe.Reason)
	}
	bad := strings.Replace(base, "<FITID>F1", "<FITID>F1<CURRENCY><CURRATE>1.1<CURSYM>E1</CURRENCY>", 1)
	_, err = parseAll([]byte(bad), 0)
	if pe := parseErr(t, err); !strings.Contains(pe.Reason, `CURRENCY/CURSYM "E1" is not an ISO 4217 currency code`) {
		t.Errorf("line %d %q", pe.Line, pe.Reason)
	}
}

// TestDeletesAreChunked: a file of nothing but deletions still hands them over in
// bounded chunks.
func TestDeletesAreChunked(t *testing.T) {
	var b strings.Builder
	for i := range 7 {
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>0<FITID>D%d<CORRECTFITID>X%d<CORRECTACTION>DELETE</STMTTRN>", i, i)
	}
	in := strings.Replace(base, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>-1.50<FITID>F1<NAME>Shop</STMTTRN>", b.String(), 1)
	got, err := parseAll([]byte(in), 3)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, s := range got {
		if len(s.Removed) > 3 || len(s.Transactions) != 0 {
			t.Errorf("chunk %+v", s)
		}
		removed = append(removed, s.Removed...)
	}
	if len(got) != 3 || len(removed) != 7 || removed[6] != "X6" {
		t.Errorf("%d calls removing %q", len(got), removed)
	}
}
