package ofx

import (
	"strings"
	"testing"
)

// TestZeroAmountRows reads a file with a zero-amount row (a waived fee) beside two
// real ones: the zero row is validated, left out of Transactions and counted in
// Statement.ZeroAmount, and the balance is the file's. A REPLACE whose replacement
// is zero only withdraws the corrected FITID; a zero row with a bad date is still
// refused.
func TestZeroAmountRows(t *testing.T) {
	rows := `<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>-1.50<FITID>F1<NAME>Shop</STMTTRN>
<STMTTRN><TRNTYPE>FEE<DTPOSTED>20240111<TRNAMT>0.00<FITID>F2<NAME>Monthly fee waived</STMTTRN>
<STMTTRN><TRNTYPE>OTHER<DTPOSTED>20240112<TRNAMT>-0<FITID>F3<MEMO>Statement note</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240113<TRNAMT>+11.50<FITID>F4<NAME>Refund</STMTTRN>`
	file := strings.Replace(base, `<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>-1.50<FITID>F1<NAME>Shop</STMTTRN>`, rows, 1)
	for _, chunk := range []int{0, 1} {
		got, err := parseAll([]byte(file), chunk)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		var ids []string
		zero := 0
		for _, st := range got {
			zero += st.ZeroAmount
			for _, tx := range st.Transactions {
				ids = append(ids, tx.ID)
			}
		}
		if strings.Join(ids, ",") != "F1,F4" || zero != 2 || got[len(got)-1].Account.Balance.String() != "10.00" {
			t.Fatalf("chunk %d: ids %v, zero rows %d, %+v", chunk, ids, zero, got)
		}
	}

	replace := strings.Replace(base, `<NAME>Shop</STMTTRN>`, `<NAME>Shop</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240110<TRNAMT>0.00<FITID>F1b<CORRECTFITID>F1<CORRECTACTION>REPLACE</STMTTRN>`, 1)
	got, err := parseAll([]byte(replace), 0)
	if err != nil || len(got) != 1 || len(got[0].Transactions) != 0 || got[0].ZeroAmount != 1 || strings.Join(got[0].Removed, ",") != "F1" {
		t.Fatalf("REPLACE by a zero row: %+v, %v", got, err)
	}

	badDate := strings.Replace(base, `<TRNAMT>-1.50`, `<TRNAMT>0.00`, 1)
	badDate = strings.Replace(badDate, `<DTPOSTED>20240110`, `<DTPOSTED>2024-01-10`, 1)
	_, err = parseAll([]byte(badDate), 0)
	if pe := parseErr(t, err); pe.Line != 12 || !strings.Contains(pe.Reason, "DTPOSTED") {
		t.Fatalf("zero row with a bad date: line %d %q", pe.Line, pe.Reason)
	}
}
