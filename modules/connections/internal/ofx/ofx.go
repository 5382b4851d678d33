// Package ofx reads OFX and QFX statement files: OFX 1.x SGML (the header block,
// unclosed elements, Windows-1252 text, decimal commas) and OFX 2.x XML, bank,
// credit-card and the cash side of investment statements, several statements per
// file. It is Kontor's own code, written from the OFX specification; it implements
// provider.File for the connections module.
//
// The file is read once, as a stream: a tokenizer over a bufio.Reader hands elements
// to a builder that keeps one statement's header and at most one chunk of
// transactions, so memory stays constant whatever the file's size. Every problem is a
// *provider.ParseError with the line it was found on and a reason a person can act on.
//
// How OFX maps onto the provider port:
//
//   - Account.ID is BANKID:ACCTID for bank statements and ACCTID for cards and brokerage
//     accounts; Mask is the last four characters of ACCTID. ACCTTYPE CHECKING, SAVINGS,
//     MONEYMRKT, CREDITLINE and CD become checking, savings, money_market,
//     line_of_credit and cd; CCSTMTRS is credit_card and INVSTMTRS brokerage.
//   - Currency is CURDEF (USD when absent, as the specification says). A transaction
//     whose CURRENCY names another currency is refused, not converted; ORIGCURRENCY
//     (an amount already converted into CURDEF) is accepted.
//   - Balance is LEDGERBAL (AVAILBAL the available balance) with its DTASOF, signed as
//     the file writes it; for an investment statement it is INVBAL/AVAILCASH as of the
//     statement's DTASOF. Without either, Statement.NoBalance is set.
//   - Transaction.ID is FITID (unique per account only), Amount TRNAMT with its sign,
//     Date the calendar day of DTPOSTED in the zone the bank wrote, Counterparty NAME
//     (or PAYEE/NAME), Description MEMO, else the counterparty, else TRNTYPE.
//   - CORRECTFITID with CORRECTACTION REPLACE or DELETE withdraws the corrected FITID
//     (from the chunk at hand, and through Statement.Removed from earlier imports);
//     REPLACE adds the replacement.
//   - A transaction whose TRNAMT is zero (a fee waived, a memo line) is validated like
//     any other but left out of Transactions and counted in Statement.ZeroAmount: the
//     ledger holds no zero entries, and a zero row moves no balance. A REPLACE whose
//     replacement is zero therefore only withdraws the corrected FITID.
//   - Text that is valid UTF-8 is read as UTF-8 whatever the header declares; other
//     text in the declared charset (Windows-1252 unless ISO-8859-1 is declared).
//     Entities are resolved, twice when the bank escaped them twice.
//   - Any STATUS with a CODE other than 0, the sign-on's included, refuses the file
//     with the bank's MESSAGE.
package ofx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
	"github.com/kontor-app/kontor/platform/money"
)

// Slug is the provider slug of OFX/QFX files.
const Slug = "ofx"

// DefaultChunkSize is how many transactions of one statement Parse hands over per call
// of fn; a statement with more is handed over in several calls (provider.Statement.More).
const DefaultChunkSize = 1000

// Provider is the OFX/QFX file provider. The zero value is ready to use.
type Provider struct {
	// ChunkSize bounds the transactions per call of fn; 0 means DefaultChunkSize.
	ChunkSize int
	// MaxBytes, when positive, refuses a file longer than that many bytes with a
	// *provider.ParseError as soon as the byte after the limit is read (the upload
	// limit is 10 MiB: MaxFileSize). 0 reads any length.
	MaxBytes int64
}

// MaxFileSize is the largest OFX/QFX upload Kontor accepts, 10 MiB.
const MaxFileSize = 10 << 20

var _ provider.File = (*Provider)(nil)

// New returns the OFX/QFX file provider.
func New() *Provider { return &Provider{} }

// Info describes the provider for GET /providers.
func (p *Provider) Info() provider.Info {
	return provider.Info{
		Slug:        Slug,
		Name:        "OFX/QFX file",
		AuthKind:    provider.AuthFile,
		Description: "Upload the OFX, QFX or Quicken Web Connect file your bank lets you download: bank, credit-card and investment cash statements, OFX 1.x and 2.x.",
	}
}

// Parse reads an OFX or QFX file and calls fn for each statement in it, in file order,
// as provider.File describes: a statement with more than ChunkSize transactions comes
// in several calls with More set on all but the last. It returns a
// *provider.ParseError for a file it cannot read (empty, binary, truncated, not OFX, a
// bad date, amount or currency, a bank's error status) and fn's own error unchanged.
// Nothing fn received is valid unless Parse returns nil.
func (p *Provider) Parse(r io.Reader, fn func(provider.Statement) error) error {
	chunk := p.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	if p.MaxBytes > 0 {
		r = &limitReader{r: r, left: p.MaxBytes}
	}
	err := parse(r, fn, chunk)
	var pe *parseError
	if errors.As(err, &pe) {
		return &provider.ParseError{Line: pe.line, Reason: pe.reason}
	}
	return err
}

// limitReader reads at most left bytes and answers errTooLarge when there is more.
type limitReader struct {
	r    io.Reader
	left int64
	max  int64
}

// errTooLarge is what limitReader returns past its limit; the lexer adds the line.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the file is larger than %d bytes (%.0f MiB), the most Kontor imports", e.limit, float64(e.limit)/(1<<20))
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.max == 0 {
		l.max = l.left
	}
	if l.left <= 0 {
		// One byte more than the limit decides it: a file of exactly the limit passes.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge{limit: l.max}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// parse does Parse's work, returning *parseError for problems with the file.
func parse(r io.Reader, fn func(provider.Statement) error, chunk int) (err error) {
	defer func() {
		// A panic is a defect of this package, never a reason to take the server
		// down over one uploaded file: report it as an unreadable file.
		if v := recover(); v != nil {
			err = errorf(0, "the file could not be read (internal error: %v)", v)
		}
	}()
	br := bufio.NewReaderSize(r, 64<<10)
	lx := newLexer(br, 1)
	cs, err := readHeader(lx)
	if err != nil {
		return err
	}
	b := &builder{fn: fn, chunk: chunk, cs: cs}
	if err := findRoot(lx, b); err != nil {
		return err
	}
	return walk(lx, b)
}

// readHeader skips a byte-order mark and reads the OFX 1.x header block ("OFXHEADER:100",
// "CHARSET:1252", ...) when there is one, stopping before the first '<'. It returns
// the character set the header declares.
func readHeader(lx *lexer) (charset, error) {
	if head, _ := lx.r.Peek(3); bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = lx.r.Discard(3)
	} else if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return cp1252, errorf(1, "the file is UTF-16 text; OFX files are 8-bit text (ASCII, Windows-1252 or UTF-8)")
	}
	c, err := skipSpace(lx)
	if err == io.EOF {
		return cp1252, errorf(lx.line, "the file is empty")
	}
	if err != nil {
		return cp1252, err
	}
	if c == '<' {
		return cp1252, nil // OFX 2.x (XML) or a body without a header
	}
	cs := cp1252
	for i := 0; ; i++ {
		if i == maxHeaderLines {
			return cs, errorf(lx.line, "the header has more than %d lines: this is not an OFX file", maxHeaderLines)
		}
		line := lx.line
		text, err := readLine(lx)
		if err != nil {
			return cs, err
		}
		key, value, ok := strings.Cut(text, ":")
		key = strings.ToUpper(strings.TrimSpace(key))
		if i == 0 && (!ok || key != "OFXHEADER") {
			return cs, errorf(line, "this is not an OFX file: it starts with %q where the OFX header (OFXHEADER:100) or <OFX> belongs", clip(text))
		}
		if !ok {
			return cs, errorf(line, "header line %q is not NAME:VALUE", clip(text))
		}
		if key == "CHARSET" {
			cs = charsetFor(value)
		}
		c, err := skipSpace(lx)
		if err == io.EOF {
			return cs, errorf(lx.line, "the file ends after its header: there is no <OFX> element")
		}
		if err != nil {
			return cs, err
		}
		if c == '<' {
			return cs, nil
		}
	}
}

// skipSpace consumes white space and returns the next byte without consuming it.
func skipSpace(lx *lexer) (byte, error) {
	for {
		c, err := lx.readByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(c) {
			lx.unreadByte(c)
			return c, nil
		}
	}
}

// readLine reads one header line, without its line break.
func readLine(lx *lexer) (string, error) {
	start := lx.line
	var b []byte
	for {
		c, err := lx.readByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		if c == '\n' {
			break
		}
		if len(b) == maxHeaderLine {
			return "", errorf(start, "a header line longer than %d bytes: this is not an OFX file", maxHeaderLine)
		}
		b = append(b, c)
	}
	return strings.TrimSpace(string(b)), nil
}

// findRoot consumes processing instructions and comments up to the <OFX> element and
// reads the character set of an XML declaration on the way.
func findRoot(lx *lexer, b *builder) error {
	for {
		t, err := lx.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokPI:
			if enc := xmlEncoding(t.name); enc != "" {
				b.cs = charsetFor(enc)
			}
		case tokStart:
			if t.name != "OFX" {
				return errorf(t.line, "expected the <OFX> element, found <%s>: this is not an OFX file", t.name)
			}
			return nil
		case tokEnd:
			return errorf(t.line, "expected the <OFX> element, found </%s>: this is not an OFX file", t.name)
		case tokText:
			return errorf(t.line, "expected the <OFX> element, found the text %q: this is not an OFX file", clip(string(t.text)))
		case tokEOF:
			return errorf(t.line, "there is no <OFX> element: this is not an OFX file")
		}
	}
}

// xmlEncoding returns the encoding of an <?xml ...?> declaration, or "".
func xmlEncoding(pi string) string {
	if !strings.HasPrefix(strings.ToLower(pi), "xml") {
		return ""
	}
	_, rest, ok := strings.Cut(pi, "encoding=")
	if !ok || rest == "" {
		return ""
	}
	q := rest[0]
	if q != '"' && q != '\'' {
		return ""
	}
	enc, _, _ := strings.Cut(rest[1:], string(q))
	return enc
}

// frame is an open aggregate.
type frame struct {
	name string
	line int
}

// walk reads the body of <OFX> and turns SGML's optional end tags into a tree: an
// element followed by text is a leaf (its end tag, when present, is consumed with it),
// an element followed by its own end tag is empty, a known leaf followed by another
// tag is empty, and anything else is an aggregate that stays open until its end tag.
// An end tag closes every element opened after its own start, as SGML does.
func walk(lx *lexer, b *builder) error {
	stack := []frame{{name: "OFX", line: lx.line}}
	for len(stack) > 0 {
		t, err := lx.next()
		if err != nil {
			return err
		}
		top := stack[len(stack)-1]
		switch t.kind {
		case tokPI, tokText:
			// Processing instructions inside the body and text outside any leaf
			// carry nothing OFX defines.
		case tokEOF:
			return errorf(t.line, "the file ends inside <%s> (opened on line %d): it is truncated", top.name, top.line)
		case tokStart:
			name, line := t.name, t.line
			nx, err := lx.peek()
			if err != nil {
				return err
			}
			switch {
			case nx.kind == tokText:
				raw := nx.text
				if _, err := lx.next(); err != nil {
					return err
				}
				if nx2, err := lx.peek(); err != nil {
					return err
				} else if nx2.kind == tokEnd && nx2.name == name {
					if _, err := lx.next(); err != nil {
						return err
					}
				}
				if err := b.leaf(name, raw, top.name, line); err != nil {
					return err
				}
			case nx.kind == tokEnd && nx.name == name:
				if _, err := lx.next(); err != nil {
					return err
				}
				if err := b.leaf(name, nil, top.name, line); err != nil {
					return err
				}
			case knownLeaves[name]:
				if err := b.leaf(name, nil, top.name, line); err != nil {
					return err
				}
			default:
				if len(stack) == maxDepth {
					return errorf(line, "elements nested more than %d deep: this is not an OFX statement", maxDepth)
				}
				stack = append(stack, frame{name: name, line: line})
				if err := b.enter(name, top.name, line); err != nil {
					return err
				}
			}
		case tokEnd:
			i := len(stack) - 1
			for i >= 0 && stack[i].name != t.name {
				i--
			}
			if i < 0 {
				continue // the end tag of an element already closed, or of nothing
			}
			for len(stack) > i {
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if err := b.exit(f.name, t.line); err != nil {
					return err
				}
			}
		}
	}
	if err := b.finish(lx.line); err != nil {
		return err
	}
	// Whatever follows </OFX> is read too, so that a file over the size limit or with
	// binary data appended is refused as a whole.
	for {
		if _, err := lx.readByte(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// knownLeaves are elements that hold text, so that one written empty and unclosed
// (<MEMO><NAME>…) is not mistaken for an aggregate.
var knownLeaves = map[string]bool{}

// internTable is filled once knownLeaves is.
var internTable names

func init() {
	for _, n := range strings.Fields(`CODE SEVERITY MESSAGE DTSERVER LANGUAGE DTPROFUP DTACCTUP ORG FID
		SESSCOOKIE USERKEY TSKEYEXPIRE ACCESSTOKEN TRNUID CLTCOOKIE CURDEF BANKID BRANCHID ACCTID ACCTTYPE
		ACCTKEY BROKERID DTSTART DTEND TRNTYPE DTPOSTED DTUSER DTAVAIL TRNAMT FITID CORRECTFITID CORRECTACTION
		SRVRTID CHECKNUM REFNUM SIC PAYEEID NAME EXTDNAME MEMO IMAGEREF BALAMT DTASOF AVAILCASH MARGINBALANCE
		SHORTBALANCE BUYPOWER CURRATE CURSYM SUBACCTFUND INV401KSOURCE MKTGINFO INTU.BID INTU.USERID
		ADDR1 ADDR2 ADDR3 CITY STATE POSTALCODE COUNTRY PHONE DTPRICEASOF UNITS UNITPRICE TOTAL
		COMMISSION FEES MKTVAL SUBACCTSEC UNIQUEID UNIQUEIDTYPE DTTRADE DTSETTLE BUYTYPE SELLTYPE INCOMETYPE`) {
		knownLeaves[n] = true
	}
	internTable = newInternTable()
}

// builder turns elements into statements and hands them to fn.
type builder struct {
	fn    func(provider.Statement) error
	chunk int
	cs    charset

	institution string
	inFI        bool
	status      *status
	stmt        *statement
	statements  int
	txnBuf      txn // reused for every STMTTRN
}

// status is an OFX STATUS aggregate being read.
type status struct {
	parent                  string
	line                    int
	code, severity, message string
	codeSeen                bool
}

// statement is one STMTRS, CCSTMTRS or INVSTMTRS being read.
type statement struct {
	kind string
	line int

	currency     string
	currencyLine int
	bankID       string
	acctID       string
	acctType     string
	acctFrom     string // the *ACCTFROM aggregate being read
	section      string // LEDGERBAL, AVAILBAL or INVBAL being read

	ledger, avail   money.Amount
	ledgerSet       bool
	availSet        bool
	ledgerDate      time.Time
	ledgerDateSet   bool
	balanceLine     int
	availCash       money.Amount
	availCashSet    bool
	asOf            time.Time // INVSTMTRS/DTASOF
	asOfSet         bool
	emittedCurrency string

	txns    []provider.Transaction
	removed []string
	zero    int // zero-amount rows left out of the current chunk
	txn     *txn
}

// txn is one STMTTRN being read.
type txn struct {
	line                        int
	fitid, correctFITID, action string
	trnType, name, payee, memo  string
	extdName                    string
	amount                      money.Amount
	amountSet                   bool
	posted                      time.Time
	postedSet                   bool
	inPayee                     bool
	nested                      int // inside BANKACCTTO, CCACCTTO, CURRENCY or ORIGCURRENCY
	inCurrency                  bool
	currency                    string // CURRENCY/CURSYM: the currency TRNAMT is written in
	currencyLine                int
}

func isStatement(name string) bool {
	return name == "STMTRS" || name == "CCSTMTRS" || name == "INVSTMTRS"
}

func (b *builder) enter(name, parent string, line int) error {
	switch {
	case name == "STATUS":
		b.status = &status{parent: parent, line: line}
		return nil
	case isStatement(name):
		if b.stmt != nil {
			return errorf(line, "<%s> inside <%s> (opened on line %d): statements cannot nest", name, b.stmt.kind, b.stmt.line)
		}
		b.stmt = &statement{kind: name, line: line}
		return nil
	case name == "FI" && b.stmt == nil:
		b.inFI = true
		return nil
	}
	s := b.stmt
	if s == nil {
		return nil
	}
	if t := s.txn; t != nil {
		switch name {
		case "PAYEE":
			t.inPayee = true
		case "BANKACCTTO", "CCACCTTO", "CURRENCY", "ORIGCURRENCY":
			t.nested++
			t.inCurrency = name == "CURRENCY"
		}
		return nil
	}
	switch name {
	case "BANKACCTFROM", "CCACCTFROM", "INVACCTFROM":
		s.acctFrom = name
	case "LEDGERBAL", "AVAILBAL", "INVBAL":
		s.section = name
		s.balanceLine = line
	case "STMTTRN":
		// In an investment statement only INVBANKTRAN holds a STMTTRN; it is the
		// cash side (deposits, withdrawals, interest) Kontor records.
		b.txnBuf = txn{line: line}
		s.txn = &b.txnBuf
	}
	return nil
}

func (b *builder) exit(name string, line int) error {
	switch {
	case name == "STATUS":
		st := b.status
		b.status = nil
		if st == nil {
			return nil
		}
		return st.check()
	case isStatement(name):
		if b.stmt == nil {
			return nil
		}
		err := b.endStatement(line)
		b.stmt = nil
		return err
	case name == "FI":
		b.inFI = false
		return nil
	}
	s := b.stmt
	if s == nil {
		return nil
	}
	if t := s.txn; t != nil {
		switch name {
		case "STMTTRN":
			s.txn = nil
			return b.endTxn(t)
		case "PAYEE":
			t.inPayee = false
		case "BANKACCTTO", "CCACCTTO", "CURRENCY", "ORIGCURRENCY":
			t.nested--
			t.inCurrency = false
		}
		return nil
	}
	switch name {
	case "BANKACCTFROM", "CCACCTFROM", "INVACCTFROM":
		s.acctFrom = ""
	case "LEDGERBAL", "AVAILBAL", "INVBAL":
		s.section = ""
	}
	return nil
}

// leaf handles an element with text (raw, undecoded; nil when empty).
func (b *builder) leaf(name string, raw []byte, parent string, line int) error {
	if st := b.status; st != nil && parent == "STATUS" {
		v, err := decodeText(raw, b.cs, line)
		if err != nil {
			return err
		}
		switch name {
		case "CODE":
			st.code, st.codeSeen = v, true
			st.line = line
		case "SEVERITY":
			st.severity = v
		case "MESSAGE":
			st.message = v
		}
		return nil
	}
	s := b.stmt
	if s == nil {
		if b.inFI && name == "ORG" {
			v, err := decodeText(raw, b.cs, line)
			if err != nil {
				return err
			}
			b.institution = v
		}
		return nil
	}
	text := func() (string, error) { return decodeText(raw, b.cs, line) }
	if t := s.txn; t != nil {
		if t.nested > 0 {
			// ORIGCURRENCY says TRNAMT was converted into CURDEF: nothing to do. CURRENCY
			// says TRNAMT is written in another currency, checked in endTxn.
			if t.inCurrency && name == "CURSYM" {
				cur, err := parseCurrency("CURRENCY/CURSYM", string(raw), line)
				t.currency, t.currencyLine = cur, line
				return err
			}
			return nil
		}
		var err error
		if t.inPayee {
			if name == "NAME" {
				t.payee, err = text()
			}
			return err
		}
		switch name {
		case "TRNTYPE":
			t.trnType, err = text()
		case "DTPOSTED":
			t.posted, err = parseDate("DTPOSTED", string(raw), line)
			t.postedSet = err == nil
		case "TRNAMT":
			t.amount, err = parseAmount("TRNAMT", string(raw), line)
			t.amountSet = err == nil
		case "FITID":
			t.fitid, err = text()
		case "CORRECTFITID":
			t.correctFITID, err = text()
		case "CORRECTACTION":
			t.action, err = text()
		case "NAME":
			t.name, err = text()
		case "MEMO":
			t.memo, err = text()
		case "EXTDNAME":
			t.extdName, err = text()
		}
		return err
	}
	var err error
	switch {
	case s.acctFrom != "":
		switch name {
		case "BANKID":
			s.bankID, err = text()
		case "ACCTID":
			s.acctID, err = text()
		case "ACCTTYPE":
			s.acctType, err = text()
		}
	case s.section == "LEDGERBAL" || s.section == "AVAILBAL":
		field := s.section + "/" + name
		switch name {
		case "BALAMT":
			var a money.Amount
			if a, err = parseAmount(field, string(raw), line); err == nil {
				if s.section == "LEDGERBAL" {
					s.ledger, s.ledgerSet = a, true
				} else {
					s.avail, s.availSet = a, true
				}
			}
		case "DTASOF":
			var d time.Time
			if d, err = parseDate(field, string(raw), line); err == nil && s.section == "LEDGERBAL" {
				s.ledgerDate, s.ledgerDateSet = d, true
			}
		}
	case s.section == "INVBAL":
		if name == "AVAILCASH" && parent == "INVBAL" {
			s.availCash, err = parseAmount("INVBAL/AVAILCASH", string(raw), line)
			s.availCashSet = err == nil
		}
	default:
		switch {
		case name == "CURDEF" && parent == s.kind:
			s.currency, err = parseCurrency("CURDEF", string(raw), line)
			s.currencyLine = line
			if err == nil && s.emittedCurrency != "" && s.currency != s.emittedCurrency {
				err = errorf(line, "CURDEF %s comes after transactions already read as %s", s.currency, s.emittedCurrency)
			}
		case name == "DTASOF" && parent == "INVSTMTRS":
			s.asOf, err = parseDate("DTASOF", string(raw), line)
			s.asOfSet = err == nil
		case name == "DTSTART" || name == "DTEND":
			_, err = parseDate(name, string(raw), line)
		}
	}
	return err
}

// knownCodes words the OFX status codes a person is most likely to meet when the
// bank sent no MESSAGE.
var knownCodes = map[string]string{
	"2000":  "general error",
	"2002":  "the account is not valid",
	"2003":  "the account was not found",
	"2004":  "the account is closed",
	"2005":  "the account is not authorized",
	"2019":  "duplicate request",
	"2020":  "the date is invalid",
	"2027":  "the date range is invalid",
	"15000": "the user must change the password",
	"15500": "the user id or password is wrong",
	"15501": "the customer account is already in use",
	"15502": "the password is locked",
	"15510": "the client is not authorized",
}

// check refuses a status whose code is not 0.
func (st *status) check() error {
	if !st.codeSeen {
		return errorf(st.line, "a STATUS without CODE: the file does not say whether the bank answered")
	}
	if strings.Trim(st.code, "0") == "" && st.code != "" {
		return nil
	}
	msg := st.message
	if msg == "" {
		msg = knownCodes[st.code]
	}
	if msg == "" {
		msg = "no message"
	}
	sev := st.severity
	if sev == "" {
		sev = "ERROR"
	}
	what := "the bank reported an error instead of the statement"
	if st.parent == "SONRS" {
		what = "the bank refused the sign-on, so the file holds no statement"
	}
	return errorf(st.line, "%s: code %s (%s): %s", what, clip(st.code), clip(sev), msg)
}

// endTxn validates a finished STMTTRN and adds it to the statement's current chunk.
func (b *builder) endTxn(t *txn) error {
	s := b.stmt
	if t.fitid == "" {
		return errorf(t.line, "a transaction (STMTTRN) without FITID: Kontor cannot tell it apart on the next import")
	}
	if len(t.fitid) > 255 {
		return errorf(t.line, "FITID is longer than 255 characters")
	}
	action := strings.ToUpper(t.action)
	switch {
	case t.correctFITID == "" && action != "":
		return errorf(t.line, "CORRECTACTION %s without CORRECTFITID: nothing says which transaction it corrects", clip(t.action))
	case t.correctFITID != "" && action != "REPLACE" && action != "DELETE":
		return errorf(t.line, "CORRECTACTION %q: REPLACE or DELETE expected with CORRECTFITID", clip(t.action))
	}
	if t.correctFITID != "" {
		// The corrected transaction may be in this chunk (then it goes) or in an
		// earlier chunk or import (then Removed withdraws it).
		for i := range s.txns {
			if s.txns[i].ID == t.correctFITID {
				s.txns = append(s.txns[:i], s.txns[i+1:]...)
				break
			}
		}
		s.removed = append(s.removed, t.correctFITID)
		if action == "DELETE" {
			if len(s.removed) >= b.chunk {
				return b.emit(false, t.line)
			}
			return nil
		}
	}
	if !t.amountSet {
		return errorf(t.line, "a transaction (STMTTRN, FITID %s) without TRNAMT", clip(t.fitid))
	}
	if cur := s.currencyOrDefault(); t.currency != "" && t.currency != cur {
		return errorf(t.currencyLine, "transaction %s is in %s (CURRENCY) while its statement is in %s: Kontor records a statement in one currency and does not convert amounts", clip(t.fitid), t.currency, cur)
	}
	if !t.postedSet {
		return errorf(t.line, "a transaction (STMTTRN, FITID %s) without DTPOSTED", clip(t.fitid))
	}
	if t.amount.IsZero() {
		s.zero++
		return nil
	}
	counterparty := t.name
	if counterparty == "" {
		counterparty = t.payee
	}
	description := firstNonEmpty(t.memo, counterparty, t.extdName, t.trnType)
	s.txns = append(s.txns, provider.Transaction{
		ID:           t.fitid,
		Amount:       t.amount,
		Date:         bookingDay(t.posted),
		Description:  description,
		Counterparty: counterparty,
	})
	if len(s.txns) >= b.chunk {
		return b.emit(false, t.line)
	}
	return nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// endStatement hands over the statement's last chunk with its balances.
func (b *builder) endStatement(line int) error {
	b.statements++
	return b.emit(true, line)
}

// emit calls fn with the statement's account and current chunk; final says whether
// the statement is complete (its balances known).
func (b *builder) emit(final bool, line int) error {
	s := b.stmt
	if s.acctID == "" {
		from := map[string]string{"STMTRS": "BANKACCTFROM", "CCSTMTRS": "CCACCTFROM", "INVSTMTRS": "INVACCTFROM"}[s.kind]
		return errorf(s.line, "<%s> has no account number (%s/ACCTID) before line %d", s.kind, from, line)
	}
	acct := b.account(s)
	for i := range s.txns {
		s.txns[i].AccountID = acct.ID
	}
	st := provider.Statement{Account: acct, Transactions: s.txns, Removed: s.removed, ZeroAmount: s.zero, More: !final}
	if final {
		switch s.kind {
		case "INVSTMTRS":
			if s.availCashSet {
				st.Account.Balance = s.availCash
				st.Account.BalanceDate = s.asOf
				if !s.asOfSet {
					return errorf(s.balanceLine, "INVBAL/AVAILCASH without the statement's DTASOF: the balance has no date")
				}
			} else {
				st.NoBalance = true
			}
		default:
			if s.ledgerSet {
				if !s.ledgerDateSet {
					return errorf(s.balanceLine, "LEDGERBAL without DTASOF: the balance has no date")
				}
				st.Account.Balance, st.Account.BalanceDate = s.ledger, s.ledgerDate
				if s.availSet {
					st.Account.AvailableBalance = money.NullAmount{Amount: s.avail, Valid: true}
				}
			} else {
				st.NoBalance = true
			}
		}
	}
	s.emittedCurrency = acct.Currency
	s.txns = make([]provider.Transaction, 0, min(b.chunk, DefaultChunkSize))
	s.removed = nil
	s.zero = 0
	return b.fn(st)
}

// accountTypes maps ACCTTYPE (bank statements) onto API.md's account types.
var accountTypes = map[string]string{
	"CHECKING":   "checking",
	"SAVINGS":    "savings",
	"MONEYMRKT":  "money_market",
	"CREDITLINE": "line_of_credit",
	"CD":         "cd",
}

var typeLabels = map[string]string{
	"checking":       "Checking",
	"savings":        "Savings",
	"money_market":   "Money market",
	"line_of_credit": "Line of credit",
	"cd":             "Certificate of deposit",
	"credit_card":    "Credit card",
	"brokerage":      "Brokerage",
	"other":          "Account",
}

// account describes the statement's account as the provider port wants it.
func (b *builder) account(s *statement) provider.Account {
	var typ, id string
	switch s.kind {
	case "CCSTMTRS":
		typ, id = "credit_card", s.acctID
	case "INVSTMTRS":
		typ, id = "brokerage", s.acctID
	default:
		typ = accountTypes[strings.ToUpper(s.acctType)]
		if typ == "" {
			typ = "other"
		}
		id = s.acctID
		if s.bankID != "" {
			id = s.bankID + ":" + s.acctID
		}
	}
	currency := s.currencyOrDefault()
	mask := maskOf(s.acctID)
	return provider.Account{
		ID:          id,
		Name:        fmt.Sprintf("%s ••%s", typeLabels[typ], mask),
		Type:        typ,
		Subtype:     strings.ToLower(s.acctType),
		Currency:    currency,
		Mask:        mask,
		Institution: b.institution,
	}
}

// currencyOrDefault is CURDEF, or USD (the OFX default) when the file has none.
func (s *statement) currencyOrDefault() string {
	if s.currency == "" {
		return "USD"
	}
	return s.currency
}

// maskOf returns the last four characters of an account number, spaces left out.
func maskOf(acctID string) string {
	r := []rune(strings.ReplaceAll(acctID, " ", ""))
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return string(r)
}

// finish checks the file held something to import.
func (b *builder) finish(line int) error {
	if b.statements == 0 {
		return errorf(line, "the file holds no bank, credit-card or investment statement (STMTRS, CCSTMTRS or INVSTMTRS)")
	}
	return nil
}
