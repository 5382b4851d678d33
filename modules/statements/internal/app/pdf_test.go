package app

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// pdfText renders pdf to text with poppler's pdftotext, keeping the layout. The test
// is skipped when pdftotext is missing, except in CI, where it must be installed
// (apt-get install poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is required in CI: apt-get install poppler-utils")
		}
		t.Skip("PDF read-back skipped: pdftotext not found (apt-get install poppler-utils); CI runs it")
	}
	path := filepath.Join(t.TempDir(), "statement.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var spaces = regexp.MustCompile(`\s{2,}`)

// summaryFigures finds the summary box in the text: the line of its four labels and
// the line of its four figures below it, and parses the figures exactly.
func summaryFigures(t *testing.T, text string) map[string]money.Amount {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "Opening balance") {
			continue
		}
		labels := spaces.Split(strings.TrimSpace(l), -1)
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "" {
				continue
			}
			values := spaces.Split(strings.TrimSpace(lines[j]), -1)
			if len(values) != len(labels) {
				t.Fatalf("summary box: labels %q, values %q", labels, values)
			}
			out := map[string]money.Amount{}
			for k, label := range labels {
				a, err := money.Parse(strings.ReplaceAll(values[k], ",", ""))
				if err != nil {
					t.Fatalf("summary %s: %q: %v", label, values[k], err)
				}
				out[label] = a
			}
			return out
		}
	}
	t.Fatalf("no summary box in the PDF text:\n%s", text)
	return nil
}

// TestPDFReadBackMatchesJSON reads the PDF back as text and holds its header, totals
// and page furniture to the JSON statement of the same period.
func TestPDFReadBackMatchesJSON(t *testing.T) {
	f := newFixture()
	in := StatementInput{AccountID: accountID, Period: january}
	s := decodeStatement(t, export(t, f, ExportInput{StatementInput: in, Format: domain.JSON}))
	pdf := export(t, f, ExportInput{StatementInput: in, Format: domain.PDF})
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
	}
	text := pdfText(t, pdf)
	for _, want := range []string{
		"Account statement", "Ada Lovelace", "Everyday account", "****2345", "Checking", "USD", "Counterparty", "Engines Ltd",
		"1 Jan 2025 to 31 Jan 2025", "Page 1 of 1", "Generated 3 Feb 2025, 09:30 UTC by Kontor",
		"Salary deposit", `Café "Zur Post", Wien`, "Transfer in", "5,650.509999999999999999",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	got := summaryFigures(t, text)
	want := map[string]money.Amount{
		"Opening balance": s.OpeningBalance, "Deposits": s.TotalDeposits,
		"Withdrawals": s.TotalWithdrawals, "Closing balance": s.ClosingBalance,
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !g.Equal(w) {
			t.Errorf("PDF %s = %s, JSON says %s", k, g, w)
		}
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}

// TestLongPDFRunsOverManyPages checks that a long statement is paged, numbered
// "Page x of y" throughout, repeats the table headings and keeps every line.
func TestLongPDFRunsOverManyPages(t *testing.T) {
	for _, n := range []int{600, lowMemoryLines + 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFixture()
			start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			entries := make([]domain.Entry, n)
			for i := range entries {
				amount := money.MustParse(fmt.Sprintf("%d.%02d", i%500, i%100))
				if i%3 == 0 {
					amount = amount.Neg()
				}
				entries[i] = domain.Entry{TransactionID: uuid.New(), BookedAt: start.Add(time.Duration(i) * time.Minute), Description: fmt.Sprintf("Line %05d", i), Type: "other", Amount: amount}
			}
			f.ledger.entries[accountID] = entries
			in := StatementInput{AccountID: accountID, Period: domain.PeriodInput{StartDate: "2025-03-01", EndDate: "2025-03-31"}}
			s := decodeStatement(t, export(t, f, ExportInput{StatementInput: in, Format: domain.JSON}))
			text := pdfText(t, export(t, f, ExportInput{StatementInput: in, Format: domain.PDF}))
			pages := strings.Split(text, "\f")
			if pages[len(pages)-1] == "" {
				pages = pages[:len(pages)-1]
			}
			if len(pages) < n/60 {
				t.Fatalf("%d lines on %d pages", n, len(pages))
			}
			for i, p := range pages {
				if !strings.Contains(p, fmt.Sprintf("Page %d of %d", i+1, len(pages))) {
					t.Fatalf("page %d lacks its number", i+1)
				}
				if !strings.Contains(p, "Description") || !strings.Contains(p, "Balance") {
					t.Fatalf("page %d lacks the table headings", i+1)
				}
				if !strings.Contains(p, "by Kontor") {
					t.Fatalf("page %d lacks the generated-at line", i+1)
				}
			}
			for _, i := range []int{0, n / 2, n - 1} {
				if !strings.Contains(text, fmt.Sprintf("Line %05d", i)) {
					t.Fatalf("line %d missing", i)
				}
			}
			got := summaryFigures(t, text)
			if !got["Closing balance"].Equal(s.ClosingBalance) || !got["Withdrawals"].Equal(s.TotalWithdrawals) {
				t.Fatalf("PDF totals %v, JSON closing %s withdrawals %s", got, s.ClosingBalance, s.TotalWithdrawals)
			}
			last := s.Transactions[len(s.Transactions)-1]
			if !strings.Contains(text, money.Format(last.BalanceAfter, "USD")) {
				t.Fatalf("last running balance %s not in the PDF", last.BalanceAfter)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	if got := printable("Café € 東\x01"); got != "Café € 東 " {
		t.Fatalf("printable = %q", got)
	}
	// Right-to-left runs are put in visual order; the rest keeps its order.
	if got := printable("Konto עברית 42"); got != "Konto תירבע 42" {
		t.Fatalf("printable RTL = %q", got)
	}
	if got := printable("שָׁלוֹם"); []rune(got)[0] != 'ם' || []rune(got)[len([]rune(got))-1] != 'ׁ' {
		t.Fatalf("printable keeps marks after their letters: %q", got)
	}
	if got := truncateColumns("ÄÖÜ long description", 5); got != "ÄÖÜ …" && got != "ÄÖÜ…" {
		t.Fatalf("truncateColumns = %q", got)
	}
	// A wide character takes two columns: five fit in ten, the ellipsis after four.
	for in, want := range map[string]string{"日本語": "日本語", "東京都港区六本木ヒルズ": "東京都港…", "AB日本語です": "AB日本語…", "ABCDEFGHIJ": "ABCDEFGHIJ", "ABCDEFGHIJK": "ABCDEFGHI…"} {
		if got := truncateColumns(in, 10); got != want {
			t.Errorf("truncateColumns(%q, 10) = %q, want %q", in, got, want)
		}
	}
}

// TestPDFPrintsUnicodeNames renders a statement of an account with a name in
// several scripts and reads it back: the embedded DejaVu Sans prints Latin with
// diacritics, Polish, Greek, Cyrillic and Hebrew (which pdftotext gives back in
// reading order). Chinese and Japanese have no glyphs in DejaVu; the test pins that
// they do not break the rest of the line.
func TestPDFPrintsUnicodeNames(t *testing.T) {
	f := newFixture()
	acc := f.ledger.accounts[accountID]
	acc.Name = "Ümlaut Konto — Łódź 日本語 עברית"
	f.ledger.accounts[accountID] = acc
	entries := f.ledger.entries[accountID]
	f.ledger.entries[accountID] = append(entries[:1:1], domain.Entry{
		TransactionID: txID(11), BookedAt: time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC),
		Description: "Αθήνα Москва", Counterparty: "Zoë Ølsen", Type: "deposit", Amount: money.MustParse("1.00"),
	}, domain.Entry{
		TransactionID: txID(12), BookedAt: time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC),
		Description: "東京 한국어", Counterparty: "カフェ", Type: "deposit", Amount: money.MustParse("2.00"),
	})
	f.ledger.entries[accountID] = append(f.ledger.entries[accountID], entries[1:]...)
	in := StatementInput{AccountID: accountID, Period: january}
	pdf := export(t, f, ExportInput{StatementInput: in, Format: domain.PDF})
	if dir := os.Getenv("KONTOR_TEST_ARTIFACTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "statement-unicode.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := pdfText(t, pdf)
	for _, want := range []string{"Ümlaut Konto — Łódź 日本語", "עברית", "Αθήνα Москва", "Zoë Ølsen", "****2345", "東京 한국어"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if strings.Contains(text, "?ód?") {
		t.Error("the PDF still prints unknown characters as question marks")
	}
	// pdftotext reads characters back even where the font has no glyph (an empty
	// box is printed), so the glyphs are checked too: a font embedded in the PDF
	// draws every letter of the name and of the lines.
	embedded := embeddedFonts(t, pdf)
	for _, f := range embedded {
		if family, err := f.Name(nil, sfnt.NameIDFamily); err != nil || family != "Kontor Sans CJK" {
			t.Errorf("the statement embeds %q (%v), want Kontor Sans CJK", family, err)
		}
	}
	wantGlyphs(t, embedded, acc.Name+"Αθήνα Москва Zoë Ølsen 東京 한국어 カフェ")
	fonts, err := cjkFonts()
	if err != nil {
		t.Fatal(err)
	}
	for i, style := range []string{"regular", "bold"} { // the bold one sets labels and headings
		f, err := sfnt.Parse(fonts[i])
		if err != nil {
			t.Fatalf("%s CJK font: %v", style, err)
		}
		wantGlyphs(t, []*sfnt.Font{f}, "Ümlaut Łódź 日本語 עברית 한국어 カフェ")
	}
	if t.Failed() {
		t.Logf("PDF text:\n%s", text)
	}
}

// wantGlyphs fails t unless one of fonts draws every letter of s: a glyph with
// an outline.
func wantGlyphs(t *testing.T, fonts []*sfnt.Font, s string) {
	t.Helper()
	var buf sfnt.Buffer
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Mn, r) {
			continue
		}
		drawn := false
		for _, f := range fonts {
			g, err := f.GlyphIndex(&buf, r)
			if err != nil || g == 0 {
				continue
			}
			if segs, err := f.LoadGlyph(&buf, g, fixed.I(12), nil); err == nil && len(segs) > 0 {
				drawn = true
				break
			}
		}
		if !drawn {
			t.Errorf("no font draws %q", r)
		}
	}
}

var (
	pdfStream = regexp.MustCompile(`(?s)<<([^<>]*?/Length1 \d+[^<>]*?)>>\s*stream\r?\n`)
	pdfLength = regexp.MustCompile(`/Length (\d+)`)
)

// embeddedFonts returns the TrueType fonts embedded in pdf (the FontFile2 streams,
// which carry a Length1).
func embeddedFonts(t *testing.T, pdf []byte) []*sfnt.Font {
	t.Helper()
	var fonts []*sfnt.Font
	for _, m := range pdfStream.FindAllSubmatchIndex(pdf, -1) {
		l := pdfLength.FindSubmatch(pdf[m[2]:m[3]])
		n, err := strconv.Atoi(string(l[1]))
		if err != nil || m[1]+n > len(pdf) {
			t.Fatalf("font stream length %q", l)
		}
		zr, err := zlib.NewReader(bytes.NewReader(pdf[m[1] : m[1]+n]))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		f, err := sfnt.Parse(data)
		if err != nil {
			t.Fatalf("embedded font: %v", err)
		}
		fonts = append(fonts, f)
	}
	if len(fonts) == 0 {
		t.Fatal("the PDF embeds no font")
	}
	return fonts
}

// TestPDFWithoutCJKKeepsDejaVu: a statement with no Chinese, Japanese or Korean
// character is set in DejaVu Sans, and stays small.
func TestPDFWithoutCJKKeepsDejaVu(t *testing.T) {
	f := newFixture()
	for i, e := range f.ledger.entries[accountID] {
		if hasCJK(e.Description) { // the fixture's "東京 transfer"
			f.ledger.entries[accountID][i].Description = "Tokyo transfer"
		}
	}
	pdf := export(t, f, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: january}, Format: domain.PDF})
	for _, f := range embeddedFonts(t, pdf) {
		if family, err := f.Name(nil, sfnt.NameIDFamily); err != nil || family != "DejaVu Sans" {
			t.Errorf("a statement without CJK text embeds %q (%v), want DejaVu Sans", family, err)
		}
	}
	if hasCJK("Ümlaut Konto — Łódź עברית Αθήνα Москва") || !hasCJK("カ") || !hasCJK("한") || !hasCJK("日") || !hasCJK("，") {
		t.Error("hasCJK misjudges a script")
	}
}

// TestPDFSampleIsKept renders the fixture's statement, checks it is a complete PDF
// document, and keeps it in $KONTOR_TEST_ARTIFACTS (CI's artifacts folder) so a person
// can look at what Kontor hands out.
func TestPDFSampleIsKept(t *testing.T) {
	dir := os.Getenv("KONTOR_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	f := newFixture()
	pdf := export(t, f, ExportInput{StatementInput: StatementInput{AccountID: accountID, Period: january}, Format: domain.PDF})
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[max(0, len(pdf)-32):], []byte("%%EOF")) {
		t.Fatalf("not a complete PDF document (%d bytes)", len(pdf))
	}
	path := filepath.Join(dir, "statement-sample.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("sample statement kept at %s", path)
}
