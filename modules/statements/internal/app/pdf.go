package app

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/width"

	"github.com/johnfercher/go-tree/node"
	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/border"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/props"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/kontor-app/kontor/modules/statements/internal/domain"
	"github.com/kontor-app/kontor/platform/money"
)

// pdfFont is the PDF's font: DejaVu Sans, a Unicode TrueType font embedded in
// every statement (subset to the glyphs it uses), so names in Latin, Greek,
// Cyrillic, Hebrew and Arabic letters print as they were written. Helvetica, the
// built-in font used before, knows only Windows-1252 and printed "Łódź" as "?ód?".
// DejaVu has no Chinese, Japanese or Korean glyphs, so a statement that has any
// is set in Kontor Sans CJK instead: DejaVu Sans with the CJK glyphs of
// WenQuanYi Micro Hei added (fonts/build-cjk.py), one font for a name that mixes
// "Łódź", "日本語", "한국어" and "עברית". The files, how they were made and their
// licences are in fonts/ (see fonts/README.md).
const pdfFont = "dejavu"

//go:embed fonts/DejaVuSans.ttf
var dejaVuSans []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var dejaVuSansBold []byte

// The CJK fonts are stored gzipped (2 MB each instead of 4) and unpacked once,
// by the first statement that needs them.
var (
	//go:embed fonts/KontorSansCJK.ttf.gz
	cjkSansGzip []byte
	//go:embed fonts/KontorSansCJK-Bold.ttf.gz
	cjkSansBoldGzip []byte

	cjkFonts = sync.OnceValues(func() ([2][]byte, error) {
		var fonts [2][]byte
		for i, packed := range [][]byte{cjkSansGzip, cjkSansBoldGzip} {
			zr, err := gzip.NewReader(bytes.NewReader(packed))
			if err != nil {
				return fonts, fmt.Errorf("statement font: %w", err)
			}
			if fonts[i], err = io.ReadAll(zr); err != nil {
				return fonts, fmt.Errorf("statement font: %w", err)
			}
		}
		return fonts, nil
	})
)

// pdfFonts registers the embedded fonts with maroto, under the one family name
// every text uses: DejaVu Sans, or Kontor Sans CJK when cjk is set.
func pdfFonts(cjk bool) ([]*entity.CustomFont, error) {
	regular, bold := dejaVuSans, dejaVuSansBold
	if cjk {
		fonts, err := cjkFonts()
		if err != nil {
			return nil, err
		}
		regular, bold = fonts[0], fonts[1]
	}
	return []*entity.CustomFont{
		{Family: pdfFont, Style: fontstyle.Normal, Bytes: regular},
		{Family: pdfFont, Style: fontstyle.Bold, Bytes: bold},
	}, nil
}

// hasCJK reports whether s holds a Chinese, Japanese or Korean character, which
// DejaVu Sans cannot draw.
func hasCJK(s string) bool {
	for _, r := range s {
		if r >= 0x1100 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo) ||
			r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef) {
			return true
		}
	}
	return false
}

// Layout of the transaction table, in millimetres and as shares of the width.
const (
	lineHeight    = 4.6
	headingHeight = 6.0
	// descriptionColumns and counterpartyColumns are how many Latin characters of
	// a description and a counterparty fit their columns at the table's font size
	// (a wide CJK character counts two, see truncateColumns);
	// longer ones are cut with an ellipsis so a line never wraps into the next.
	descriptionColumns  = 34
	counterpartyColumns = 20
	// lowMemoryLines is the statement length from which the PDF is rendered in
	// chunks of pages and merged, which bounds the memory the PDF library takes.
	lowMemoryLines = 4000
	linesPerChunk  = 2500
)

// lineColumns are the widths of Date, Description, Counterparty, Type, Amount and
// Balance as shares of the table's width.
var lineColumns = [6]float64{0.11, 0.29, 0.18, 0.12, 0.15, 0.15}

// figureColumn is the first of the right-aligned figure columns.
const figureColumn = 4

var (
	brand     = &props.Color{Red: 11, Green: 95, Blue: 107}
	muted     = &props.Color{Red: 91, Green: 98, Blue: 112}
	boxFill   = &props.Color{Red: 230, Green: 242, Blue: 243}
	ruleColor = &props.Color{Red: 180, Green: 190, Blue: 196}
)

// pdfcpuOnce switches off pdfcpu's configuration directory. maroto merges chunked
// documents with pdfcpu, whose default configuration writes files under the user's
// config directory and exits the process when it cannot; a server must do neither.
var pdfcpuOnce sync.Once

// pdfRenderer lays a statement out with maroto: a header with the holder, the
// account and the period; a summary box with the opening balance, deposits,
// withdrawals and closing balance; the transaction table with the running balance,
// its headings repeated on every page; and a footer with the generated-at line and
// "Page x of y". Maroto has to know the whole document before it writes a byte, so
// the lines are kept as compact table rows (five strings each) until End.
type pdfRenderer struct {
	w      io.Writer
	header domain.Header
	lines  []*tableLine
	// cjk is set once a line holds a Chinese, Japanese or Korean character.
	cjk bool
}

func newPDFRenderer(w io.Writer) *pdfRenderer {
	pdfcpuOnce.Do(func() { model.ConfigPath = "disable" })
	return &pdfRenderer{w: w}
}

func (r *pdfRenderer) Begin(h domain.Header) error {
	r.header = h
	return nil
}

func (r *pdfRenderer) Line(l domain.Line) error {
	cur := r.header.Account.Currency
	r.cjk = r.cjk || hasCJK(l.Description) || hasCJK(l.Counterparty)
	r.lines = append(r.lines, &tableLine{cells: [6]string{
		l.BookedAt.UTC().Format(domain.HumanDateLayout),
		printable(truncateColumns(l.Description, descriptionColumns)),
		printable(truncateColumns(l.Counterparty, counterpartyColumns)),
		typeLabel(l.Type),
		humanAmount(l.Amount, cur),
		humanAmount(l.BalanceAfter, cur),
	}})
	return nil
}

func (r *pdfRenderer) End(t domain.Totals) error {
	h := r.header
	fonts, err := pdfFonts(r.cjk || hasCJK(h.HolderName) || hasCJK(h.Account.Name))
	if err != nil {
		return err
	}
	generated := "Generated " + h.GeneratedAt.UTC().Format(domain.HumanDateLayout+", 15:04") + " UTC by Kontor"
	b := config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithLeftMargin(15).WithRightMargin(15).WithTopMargin(15).WithBottomMargin(12).
		WithCustomFonts(fonts).
		WithDefaultFont(&props.Font{Family: pdfFont, Size: 9}).
		WithCompression(true).
		WithTitle("Account statement "+h.Account.MaskedNumber()+" "+h.Period.String(), true).
		WithAuthor("Kontor", false).
		WithCreator("Kontor", false).
		WithCreationDate(h.GeneratedAt).
		WithPageNumber(props.PageNumber{Pattern: "Page {current} of {total}", Place: props.RightBottom, Family: pdfFont, Size: 7, Color: muted})
	if len(r.lines) >= lowMemoryLines {
		b = b.WithSequentialLowMemoryMode(max(2, len(r.lines)/linesPerChunk))
	}
	m := maroto.New(b.Build())
	if err := m.RegisterFooter(row.New(5).Add(text.NewCol(8, generated, small(muted)))); err != nil {
		return err
	}
	m.AddRows(r.headerRows(t)...)
	m.AddRows(headingRow())
	for i, line := range r.lines {
		if !m.FitlnCurrentPage(lineHeight) {
			m.AddRows(headingRow())
		}
		m.AddRows(row.New(lineHeight).Add(col.New(12).Add(line)))
		r.lines[i] = nil // maroto holds the row now; let the slice forget it
	}
	if len(r.lines) == 0 {
		m.AddRows(text.NewRow(8, "No transactions in this period.", props.Text{Family: pdfFont, Size: 9, Top: 2, Color: muted}))
	}
	r.lines = nil
	doc, err := m.Generate()
	if err != nil {
		return err
	}
	_, err = r.w.Write(doc.GetBytes())
	return err
}

// headerRows are the first page's title, account block and summary box.
func (r *pdfRenderer) headerRows(t domain.Totals) []core.Row {
	h := r.header
	a := h.Account
	cur := a.Currency
	holder := h.HolderName
	if holder == "" {
		holder = "-"
	}
	label := props.Text{Family: pdfFont, Size: 8, Style: fontstyle.Bold, Color: muted, Top: 1}
	value := props.Text{Family: pdfFont, Size: 9, Top: 1}
	kv := func(k1, v1, k2, v2 string) core.Row {
		return row.New(5.5).Add(
			text.NewCol(2, k1, label), text.NewCol(4, printable(v1), value),
			text.NewCol(2, k2, label), text.NewCol(4, printable(v2), value),
		)
	}
	figures := [4]string{humanAmount(t.Opening, cur), humanAmount(t.Deposits, cur), humanAmount(t.Withdrawals, cur), humanAmount(t.Closing, cur)}
	// One size for all four figures keeps them on one baseline.
	longest := ""
	for _, f := range figures {
		if len(f) > len(longest) {
			longest = f
		}
	}
	size := figureSize(longest)
	box := func(k, v string) core.Col {
		return col.New(3).Add(
			text.New(k, props.Text{Family: pdfFont, Size: 8, Color: muted, Top: 2.5, Left: 3}),
			text.New(v, props.Text{Family: pdfFont, Size: size, Style: fontstyle.Bold, Top: 8, Left: 3}),
		)
	}
	return []core.Row{
		row.New(12).Add(
			text.NewCol(8, "Account statement", props.Text{Family: pdfFont, Size: 17, Style: fontstyle.Bold}),
			text.NewCol(4, "Kontor", props.Text{Family: pdfFont, Size: 13, Style: fontstyle.Bold, Color: brand, Align: align.Right}),
		),
		kv("Account holder", holder, "Period", h.Period.Start.Format(domain.HumanDateLayout)+" to "+h.Period.End.Format(domain.HumanDateLayout)),
		kv("Account", a.Name, "Currency", string(cur)),
		kv("Account number", a.MaskedNumber(), "Transactions", strconv.Itoa(t.Count)),
		kv("Account type", typeLabel(a.Type), "", ""),
		row.New(5),
		row.New(16).Add(
			box("Opening balance", figures[0]),
			box("Deposits", figures[1]),
			box("Withdrawals", figures[2]),
			box("Closing balance", figures[3]),
		).WithStyle(&props.Cell{BackgroundColor: boxFill, BorderType: border.Full, BorderColor: ruleColor, BorderThickness: 0.3}),
		row.New(6),
	}
}

// headingRow names the table's columns; it starts the table on every page.
func headingRow() core.Row {
	return row.New(headingHeight).Add(col.New(12).Add(&tableLine{
		cells: [6]string{"Date", "Description", "Counterparty", "Type", "Amount", "Balance"},
		bold:  true,
	})).WithStyle(&props.Cell{BorderType: border.Bottom, BorderColor: ruleColor, BorderThickness: 0.3})
}

// figureSize shrinks a summary figure with many digits (crypto amounts carry up to
// 18 decimals) so it stays inside its box: a quarter of the 180 mm table less the
// box's padding, at most 11 points.
func figureSize(v string) float64 {
	return fitFigure(v, 180.0/4-5, 11)
}

func small(c *props.Color) props.Text {
	return props.Text{Family: pdfFont, Size: 7, Color: c, Top: 1.5}
}

// tableLine is one line of the transaction table as a single maroto component: six
// texts in fixed columns. One component per line instead of a row of five columns of
// texts keeps a long statement's layout small in memory.
type tableLine struct {
	cells [6]string
	bold  bool
}

var (
	cellLeft  = props.Text{Family: pdfFont, Size: 7.5, Top: 1, Align: align.Left}
	cellRight = props.Text{Family: pdfFont, Size: 7.5, Top: 1, Align: align.Right}
)

// SetConfig is part of core.Component; a line needs no configuration.
func (l *tableLine) SetConfig(*entity.Config) {}

// GetStructure is part of core.Component; it describes the line for maroto's tests.
func (l *tableLine) GetStructure() *node.Node[core.Structure] {
	return node.New(core.Structure{Type: "statement_line", Value: strings.Join(l.cells[:], " | ")})
}

// GetHeight is part of core.Component; lines have a fixed height.
func (l *tableLine) GetHeight(core.Provider, *entity.Cell) float64 { return lineHeight }

// Render draws the six cells side by side, figures right-aligned.
func (l *tableLine) Render(p core.Provider, cell *entity.Cell) {
	x := cell.X
	for i, s := range l.cells {
		w := cell.Width * lineColumns[i]
		c := entity.Cell{X: x, Y: cell.Y, Width: w, Height: cell.Height}
		prop := cellLeft
		if i >= figureColumn {
			prop = cellRight
			prop.Right = 0.5
			prop.Size = fitFigure(s, w-prop.Right, prop.Size)
		} else {
			prop.Right = 2
		}
		if l.bold {
			prop.Style = fontstyle.Bold
			prop.Top = 1.8
		}
		p.AddText(s, &c, &prop)
		x += w
	}
}

// fitFigure returns the font size at which the figure s fits width millimetres in
// one line, at most size. DejaVu Sans's digits, comma, point and minus are all at
// most 0.637 em wide, and a point is 0.3528 mm, so the estimate never overflows.
func fitFigure(s string, width, size float64) float64 {
	need := float64(len(s)) * 0.637 * 0.3528 * size
	if need <= width {
		return size
	}
	return size * width / need
}

// typeLabel turns a type such as "transfer_in" into "Transfer in".
func typeLabel(t string) string {
	if t == "" {
		return ""
	}
	s := strings.ReplaceAll(t, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// truncateColumns cuts s to at most n columns, ending with an ellipsis when cut. A
// wide character (Chinese, Japanese, Korean, full-width forms) takes two columns,
// as it takes about twice the room of a Latin letter on the page.
func truncateColumns(s string, n int) string {
	cols, cut := 0, -1
	for i, r := range s {
		cols++
		if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
			cols++
		}
		if cut < 0 && cols > n-1 {
			cut = i // the first character the ellipsis has no room beside
		}
		if cols > n {
			return strings.TrimSpace(s[:cut]) + "…"
		}
	}
	return s
}

// printable readies text from banks and people for the PDF: control characters
// become spaces, and runs of right-to-left letters (Hebrew, Arabic) are put in
// visual order, because the PDF library draws every string left to right.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || isRTL(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	runes := []rune(s)
	for i, r := range runes {
		if r < 0x20 || r == 0x7f {
			runes[i] = ' '
		}
	}
	// Reverse each run that starts and ends with a right-to-left letter and holds
	// only such letters, spaces and marks in between, so "עברית ספר" reads from
	// the right as written. Digits inside a run keep their order.
	for i := 0; i < len(runes); {
		if !isRTL(runes[i]) {
			i++
			continue
		}
		j, end := i, i
		for j < len(runes) && (isRTL(runes[j]) || runes[j] == ' ' || unicode.Is(unicode.Mn, runes[j])) {
			if isRTL(runes[j]) || unicode.Is(unicode.Mn, runes[j]) {
				end = j + 1
			}
			j++
		}
		reverseRTLRun(runes[i:end])
		i = end
	}
	return string(runes)
}

// reverseRTLRun reverses run in place letter by letter, keeping each combining
// mark (a Hebrew vowel point, say) after the letter it belongs to.
func reverseRTLRun(run []rune) {
	var clusters [][]rune
	for _, r := range run {
		if unicode.Is(unicode.Mn, r) && len(clusters) > 0 {
			clusters[len(clusters)-1] = append(clusters[len(clusters)-1], r)
			continue
		}
		clusters = append(clusters, []rune{r})
	}
	k := 0
	for c := len(clusters) - 1; c >= 0; c-- {
		k += copy(run[k:], clusters[c])
	}
}

// isRTL reports whether r is a letter of a right-to-left script.
func isRTL(r rune) bool {
	return unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko) && !unicode.IsDigit(r)
}

// humanAmount writes an amount on the PDF as pages do: grouped, the currency's
// minor units, and U+2212 for a negative figure (the CSV keeps ASCII "-").
func humanAmount(a money.Amount, c money.Currency) string {
	s := money.Format(a, c)
	if strings.HasPrefix(s, "-") {
		return "\u2212" + s[1:]
	}
	return s
}
