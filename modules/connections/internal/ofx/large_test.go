package ofx

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// bigStatement is an io.Reader that writes one SGML bank statement with n transactions
// as it is read, so that a test of constant memory does not hold the file itself.
// Transaction i has FITID i and amount -(i mod 1000)/100 + 5 (0.01 where that is
// zero), about 100 bytes each.
type bigStatement struct {
	n, i  int
	stage int
	buf   strings.Builder
	pend  string
	bytes int64
}

func newBigStatement(n int) *bigStatement { return &bigStatement{n: n} }

func (g *bigStatement) Read(p []byte) (int, error) {
	for len(g.pend) == 0 {
		g.buf.Reset()
		switch {
		case g.stage == 0:
			g.buf.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
			g.buf.WriteString("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240105<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n")
			g.buf.WriteString("<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD\n")
			g.buf.WriteString("<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20200101<DTEND>20240131\n")
			g.stage = 1
		case g.stage == 1 && g.i < g.n:
			// A few transactions per refill keeps Read cheap.
			for k := 0; k < 64 && g.i < g.n; k++ {
				i := g.i
				fmt.Fprintf(&g.buf, "<STMTTRN><TRNTYPE>POS<DTPOSTED>2023%02d%02d<TRNAMT>%s<FITID>%06d<NAME>Shop %d<MEMO>Card%d</STMTTRN>\n",
					1+i%12, 1+i%28, bigAmount(i), i, i%100, i)
				g.i++
			}
		case g.stage == 1:
			g.buf.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>12345.67<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
			g.stage = 2
		default:
			return 0, io.EOF
		}
		g.pend = g.buf.String()
	}
	n := copy(p, g.pend)
	g.pend = g.pend[n:]
	g.bytes += int64(n)
	return n, nil
}

func bigAmount(i int) string {
	cents := 500 - i%1000
	if cents == 0 {
		cents = 1 // a zero row would be left out (Statement.ZeroAmount)
	}
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// bigSum is the sum of the amounts of bigStatement(n).
func bigSum(n int) money.Amount {
	total := money.Zero
	for i := 0; i < n; i++ {
		total = total.Add(money.MustParse(bigAmount(i)))
	}
	return total
}

// TestChunks hands a statement larger than the chunk size over in several calls: all
// but the last with More set and no balance, every transaction once and in order.
func TestChunks(t *testing.T) {
	const n = 2500
	var calls []provider.Statement
	err := (&Provider{ChunkSize: 1000}).Parse(newBigStatement(n), func(s provider.Statement) error {
		calls = append(calls, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	next := 0
	total := money.Zero
	for i, s := range calls {
		last := i == len(calls)-1
		if s.More == last {
			t.Errorf("call %d: More = %v", i, s.More)
		}
		if s.Account.ID != "021000021:000123456789" {
			t.Errorf("call %d: account %q", i, s.Account.ID)
		}
		if !last && (!s.Account.Balance.IsZero() || !s.Account.BalanceDate.IsZero()) {
			t.Errorf("call %d carries a balance before the statement ended", i)
		}
		for _, tx := range s.Transactions {
			if tx.ID != fmt.Sprintf("%06d", next) {
				t.Fatalf("transaction %q, want %06d", tx.ID, next)
			}
			next++
			total = total.Add(tx.Amount)
		}
	}
	if next != n || !total.Equal(bigSum(n)) {
		t.Errorf("%d transactions summing %s, want %d and %s", next, total, n, bigSum(n))
	}
	if b := calls[2].Account.Balance.String(); b != "12345.67" || calls[2].NoBalance {
		t.Errorf("last call balance %s", b)
	}
}

// TestConstantMemory streams 100,000 transactions (about 10 MiB) and holds the live
// heap, sampled at every call of fn, far below what keeping the transactions would
// take (each costs over 200 bytes as a provider.Transaction).
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100,000 transactions")
	}
	const n = 100_000
	peak, count, size := measure(t, n)
	t.Logf("%d transactions, %.1f MiB of OFX, peak heap in use above the start %.2f MiB", count, float64(size)/(1<<20), float64(peak)/(1<<20))
	if count != n {
		t.Fatalf("%d transactions, want %d", count, n)
	}
	if size < 9<<20 || size > 11<<20 {
		t.Fatalf("the generated file has %d bytes, not about 10 MiB", size)
	}
	const limit = 8 << 20
	if peak > limit {
		t.Errorf("peak heap %d bytes above the start, want under %d: the parser is not streaming", peak, limit)
	}
}

// measure parses bigStatement(n) and returns the peak of live heap above the start
// (sampled after a GC at every call of fn), the transaction count and the file size.
func measure(tb testing.TB, n int) (peak uint64, count int, size int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := ms.HeapAlloc
	g := newBigStatement(n)
	err := New().Parse(g, func(s provider.Statement) error {
		count += len(s.Transactions)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > start && ms.HeapAlloc-start > peak {
			peak = ms.HeapAlloc - start
		}
		runtime.KeepAlive(s) // the chunk in hand counts as live, as it does for a real caller
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return peak, count, g.bytes
}

// BenchmarkParse100k parses a generated 100,000-transaction statement (9.9 MiB),
// written once to a temporary file and streamed from it per iteration as an upload
// would be, and reports the peak live heap besides time and allocations.
func BenchmarkParse100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "big.ofx")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	size, err := io.Copy(f, newBigStatement(n))
	if err != nil || f.Close() != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		if err := New().Parse(f, func(s provider.Statement) error { count += len(s.Transactions); return nil }); err != nil || count != n {
			b.Fatalf("%d transactions, %v", count, err)
		}
		f.Close()
	}
	b.StopTimer()
	peak, _, _ := measure(b, n)
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// TestMaxBytes imports a file of exactly MaxFileSize and refuses one byte more with a
// ParseError, having read no further.
func TestMaxBytes(t *testing.T) {
	exact := []byte(base)
	pad := MaxFileSize - len(exact)
	// Padding before the header is white space the parser skips.
	data := append(bytes.Repeat([]byte("\n"), pad), exact...)
	if len(data) != MaxFileSize {
		t.Fatal(len(data))
	}
	p := &Provider{MaxBytes: MaxFileSize}
	if err := p.Parse(bytes.NewReader(data), func(provider.Statement) error { return nil }); err != nil {
		t.Fatalf("a file of exactly %d bytes: %v", MaxFileSize, err)
	}
	over := append([]byte("\n"), data...)
	err := p.Parse(bytes.NewReader(over), func(provider.Statement) error { return nil })
	if pe := parseErr(t, err); !strings.Contains(pe.Reason, "the file is larger than 10485760 bytes (10 MiB)") {
		t.Errorf("%d bytes: line %d %q", len(over), pe.Line, pe.Reason)
	}
	// The 100,000-transaction statement of the benchmark fits the limit.
	g := newBigStatement(100_000)
	if err := p.Parse(g, func(provider.Statement) error { return nil }); err != nil {
		t.Errorf("the 100,000-transaction statement (%d bytes): %v", g.bytes, err)
	}
}
