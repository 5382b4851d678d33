package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// bigOFX is one SGML checking statement with n transactions of about 100 bytes
// each, as a bank's export of years of card payments looks.
func bigOFX(n int) string {
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
	b.WriteString("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240105<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n")
	b.WriteString("<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD\n")
	b.WriteString("<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20200101<DTEND>20240131\n")
	for i := 0; i < n; i++ {
		cents := 500 - i%1000
		if cents == 0 {
			cents = 1 // the ledger refuses zero amounts
		}
		sign := ""
		if cents < 0 {
			sign, cents = "-", -cents
		}
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>POS<DTPOSTED>2023%02d%02d<TRNAMT>%s%d.%02d<FITID>%06d<NAME>Shop %d</STMTTRN>\n",
			1+i%12, 1+i%28, sign, cents/100, cents%100, i, i%100)
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>12345.67<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	return b.String()
}

// importPeakRSS is the process's peak resident set size from /proc, in MiB (0 where
// /proc is missing). The server runs in this process, so it is the whole
// instance's peak, test client included.
func importPeakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkConnectionsImport100k imports a 100,000-transaction OFX file through
// POST /connections/{id}/imports on PostgreSQL (KONTOR_BENCH_ENGINE=sqlite for
// SQLite), then imports it again (nothing added), and reports both times and the
// process's peak RSS.
//
//	go test ./e2e -run '^$' -bench ConnectionsImport100k -benchtime 1x
func BenchmarkConnectionsImport100k(b *testing.B) {
	engine := harness.Postgres
	if os.Getenv("KONTOR_BENCH_ENGINE") == "sqlite" {
		engine = harness.SQLite
	}
	file := bigOFX(100_000)
	b.Logf("file: %.2f MiB", float64(len(file))/(1<<20))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inst := harness.Start(b, harness.Options{Engine: engine})
		k := loadContract(b, inst)
		anon := newAPI(inst, k, false)
		email := newEmail("bench-import")
		var u user
		anon.Post(b, "/api/v1/auth/register", map[string]any{"name": "Bench", "email": email, "password": password}).Expect(b, http.StatusCreated).JSON(b, &u)
		var pair tokenPair
		anon.Post(b, "/api/v1/auth/login", map[string]any{"email": email, "password": password}).Expect(b, http.StatusOK).JSON(b, &pair)
		a := anon.with(pair.AccessToken)
		a.HTTP.Timeout = 15 * time.Minute // one request imports the whole file
		var created struct {
			Connection connectionJSON `json:"connection"`
		}
		a.Post(b, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(b, http.StatusCreated).JSON(b, &created)
		b.StartTimer()
		start := time.Now()
		var sum importJSON
		upload(b, a, created.Connection.ID, "big.ofx", file).Expect(b, http.StatusCreated).JSON(b, &sum)
		first := time.Since(start)
		start = time.Now()
		var again importJSON
		upload(b, a, created.Connection.ID, "big.ofx", file).Expect(b, http.StatusCreated).JSON(b, &again)
		second := time.Since(start)
		b.StopTimer()
		if sum.TransactionsAdded != 100_000 || again.TransactionsAdded != 0 || again.Duplicates != 100_000 {
			b.Fatalf("first %+v, again %+v", sum, again)
		}
		b.ReportMetric(first.Seconds(), "import-s")
		b.ReportMetric(second.Seconds(), "reimport-s")
		b.ReportMetric(importPeakRSS(), "peak-rss-MiB")
	}
}
