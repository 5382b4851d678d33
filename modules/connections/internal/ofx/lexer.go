package ofx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits that keep a hostile file from costing more than constant memory.
const (
	maxTagName     = 64         // bytes in an element name
	maxValue       = 16 << 10   // bytes in one element's text
	maxSkipped     = 1 << 20    // bytes in a comment, declaration or processing instruction
	maxHeaderLine  = 1024       // bytes in one line of the OFX 1.x header
	maxHeaderLines = 64         // lines in the OFX 1.x header
	maxDepth       = 64         // nesting of aggregates
	maxPI          = 4 << 10    // bytes of a processing instruction kept for reading
	ctrlZ          = byte(0x1a) // DOS end-of-file mark some exporters still append
)

// tokenKind is what a token is.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokStart
	tokEnd
	tokText
	tokPI
)

// token is one piece of the file: an element's start or end tag, a run of text (raw
// bytes, not yet decoded), or a processing instruction.
type token struct {
	kind tokenKind
	name string // element name in upper case (tags) or the PI's content
	text []byte // text bytes; valid until the next call to next
	line int
}

// lexer splits an OFX body (SGML or XML) into tokens, reading the input once through a
// bufio.Reader and holding at most one value at a time.
type lexer struct {
	r          *bufio.Reader
	line       int
	buf        []byte
	peekBufs   [2][]byte // a peeked token's text, alternating so the last one stays valid
	peekBuf    int
	peeked     token
	hasPeeked  bool
	pending    token // the end half of a self-closing tag
	hasPending bool
	done       bool
	nameBuf    [maxTagName]byte
}

func newLexer(r *bufio.Reader, line int) *lexer {
	return &lexer{r: r, line: line, buf: make([]byte, 0, 256)}
}

// errorf returns a *parseError at line.
func errorf(line int, format string, args ...any) error {
	return &parseError{line: line, reason: fmt.Sprintf(format, args...)}
}

// parseError is converted into a *provider.ParseError by Parse; it is its own type so
// that errors from the caller's fn pass through untouched.
type parseError struct {
	line   int
	reason string
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// readByte returns the next byte, counting lines and refusing bytes no text file has.
func (l *lexer) readByte() (byte, error) {
	if l.done {
		return 0, io.EOF
	}
	c, err := l.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, l.readError(err)
	}
	switch {
	case c == '\n':
		l.line++
	case c == ctrlZ:
		l.done = true
		return 0, io.EOF
	case c < 0x20 && c != '\t' && c != '\r', c == 0x7f:
		return 0, binaryError(l.line, c)
	}
	return c, nil
}

// readError turns the size limit's error into a parse error at the current line and
// passes any other read error through.
func (l *lexer) readError(err error) error {
	var tooLarge errTooLarge
	if errors.As(err, &tooLarge) {
		return errorf(l.line, "%s", tooLarge.Error())
	}
	return err
}

func binaryError(line int, c byte) error {
	return errorf(line, "byte 0x%02X: this is a binary file, not an OFX/QFX text file", c)
}

func (l *lexer) unreadByte(c byte) {
	_ = l.r.UnreadByte()
	if c == '\n' {
		l.line--
	}
}

// peek returns the next token without consuming it. Its text stays valid until the
// token after the next one has been peeked.
func (l *lexer) peek() (token, error) {
	if !l.hasPeeked {
		t, err := l.next()
		if err != nil {
			return token{}, err
		}
		if t.text != nil {
			l.peekBuf ^= 1
			l.peekBufs[l.peekBuf] = append(l.peekBufs[l.peekBuf][:0], t.text...)
			t.text = l.peekBufs[l.peekBuf]
		}
		l.peeked, l.hasPeeked = t, true
	}
	return l.peeked, nil
}

// next returns the next token. Whitespace-only text is dropped. A text token's bytes
// are valid until the next call.
func (l *lexer) next() (token, error) {
	if l.hasPeeked {
		l.hasPeeked = false
		return l.peeked, nil
	}
	if l.hasPending {
		l.hasPending = false
		return l.pending, nil
	}
	for {
		c, err := l.readByte()
		if err == io.EOF {
			return token{kind: tokEOF, line: l.line}, nil
		}
		if err != nil {
			return token{}, err
		}
		if c == '<' {
			t, ok, err := l.markup()
			if err != nil {
				return token{}, err
			}
			if !ok { // a comment or declaration
				continue
			}
			return t, nil
		}
		if isSpace(c) {
			continue
		}
		return l.text(c)
	}
}

// text reads a run of text that starts with the non-space byte c, up to the next '<'.
// It reads whole slices of the buffer rather than byte by byte, which is where a
// large file spends its time, and checks them as readByte would.
func (l *lexer) text(c byte) (token, error) {
	start := l.line
	l.buf = append(l.buf[:0], c)
	for !l.done {
		chunk, err := l.r.ReadSlice('<')
		n := len(chunk)
		if err == nil {
			n-- // the '<' starts the next token
		}
	scan:
		for i := 0; i < n; i++ {
			switch b := chunk[i]; {
			case b == '\n':
				l.line++
			case b == ctrlZ:
				l.done = true
				n = i
				break scan
			case b < 0x20 && b != '\t' && b != '\r', b == 0x7f:
				return token{}, binaryError(l.line, b)
			}
		}
		if len(l.buf)+n > maxValue {
			return token{}, errorf(start, "a value longer than %d bytes: this is not an OFX file or it is damaged", maxValue)
		}
		l.buf = append(l.buf, chunk[:n]...)
		switch {
		case l.done:
		case err == nil:
			_ = l.r.UnreadByte()
			return l.textToken(start), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return l.textToken(start), nil
		default:
			return token{}, l.readError(err)
		}
	}
	return l.textToken(start), nil
}

func (l *lexer) textToken(line int) token {
	return token{kind: tokText, text: bytes.TrimRight(l.buf, " \t\r\n"), line: line}
}

// markup reads what follows a '<': a tag, a comment, a declaration or a processing
// instruction. It reports false for what carries nothing (comments, declarations).
func (l *lexer) markup() (token, bool, error) {
	start := l.line
	c, err := l.readByte()
	if err == io.EOF {
		return token{}, false, errorf(start, "the file ends inside a tag: it is truncated")
	}
	if err != nil {
		return token{}, false, err
	}
	switch c {
	case '!':
		return token{}, false, l.declaration(start)
	case '?':
		body, err := l.skipUntil("?>", start, "a processing instruction", maxPI)
		if err != nil {
			return token{}, false, err
		}
		return token{kind: tokPI, name: body, line: start}, true, nil
	case '/':
		name, _, err := l.tagName(start, true)
		if err != nil {
			return token{}, false, err
		}
		return token{kind: tokEnd, name: name, line: start}, true, nil
	default:
		l.unreadByte(c)
		name, selfClosing, err := l.tagName(start, false)
		if err != nil {
			return token{}, false, err
		}
		if selfClosing {
			l.pending, l.hasPending = token{kind: tokEnd, name: name, line: start}, true
		}
		return token{kind: tokStart, name: name, line: start}, true, nil
	}
}

// declaration skips a comment (<!-- -->), a CDATA section's markers or a declaration
// such as <!DOCTYPE>.
func (l *lexer) declaration(start int) error {
	c, err := l.readByte()
	if err == io.EOF {
		return errorf(start, "the file ends inside a declaration: it is truncated")
	}
	if err != nil {
		return err
	}
	if c == '-' {
		if c2, err := l.readByte(); err != nil || c2 != '-' {
			if err != nil && err != io.EOF {
				return err
			}
			return errorf(start, "malformed comment: <!- must be followed by -")
		}
		_, err := l.skipUntil("-->", start, "a comment", 0)
		return err
	}
	_, err = l.skipUntil(">", start, "a declaration", 0)
	return err
}

// skipUntil consumes input up to and including end. It keeps at most keep bytes of
// what it skipped (returned as a string) and refuses more than maxSkipped bytes.
func (l *lexer) skipUntil(end string, start int, what string, keep int) (string, error) {
	var kept []byte
	matched := 0
	for n := 0; ; n++ {
		if n > maxSkipped {
			return "", errorf(start, "%s longer than %d bytes", what, maxSkipped)
		}
		c, err := l.readByte()
		if err == io.EOF {
			return "", errorf(start, "the file ends inside %s: it is truncated", what)
		}
		if err != nil {
			return "", err
		}
		if len(kept) < keep {
			kept = append(kept, c)
		}
		if c == end[matched] {
			matched++
			if matched == len(end) {
				s := string(kept)
				if len(kept) < keep {
					s = strings.TrimSuffix(s, end)
				}
				return s, nil
			}
			continue
		}
		matched = 0
		if c == end[0] {
			matched = 1
		}
	}
}

// tagName reads an element name and the rest of its tag up to '>'. Attributes, which
// OFX does not use, are skipped. It reports whether the tag closes itself (<X/>).
func (l *lexer) tagName(start int, end bool) (string, bool, error) {
	name := &l.nameBuf
	n := 0
	for {
		c, err := l.readByte()
		if err == io.EOF {
			return "", false, errorf(start, "the file ends inside a tag: it is truncated")
		}
		if err != nil {
			return "", false, err
		}
		switch {
		case isNameByte(c):
			if n == maxTagName {
				return "", false, errorf(start, "an element name longer than %d characters", maxTagName)
			}
			name[n] = upper(c)
			n++
			continue
		case c == '>':
		case c == '/' && !end:
			if c2, err := l.readByte(); err != nil || c2 != '>' {
				if err != nil && err != io.EOF {
					return "", false, err
				}
				return "", false, errorf(start, "malformed tag <%s/: '/' must be followed by '>'", name[:n])
			}
			if n == 0 {
				return "", false, errorf(start, "a tag without a name")
			}
			return intern(name[:n]), true, nil
		case isSpace(c) && n > 0:
			// Attributes: skip them up to '>' (or "/>").
			rest, err := l.skipUntil(">", start, "a tag", 2)
			if err != nil {
				return "", false, err
			}
			_ = rest
			return intern(name[:n]), false, nil
		default:
			return "", false, errorf(start, "malformed tag: %q cannot appear in an element name", c)
		}
		if n == 0 {
			return "", false, errorf(start, "a tag without a name")
		}
		return intern(name[:n]), false, nil
	}
}

// names maps the element names OFX statements use to one shared string each, so that
// the millions of tags of a large file allocate nothing; other names get a fresh
// string. The table is fixed at start-up and only read afterwards.
type names map[string]string

// newInternTable returns the table of the names OFX statements use.
func newInternTable() names {
	m := names{}
	for n := range knownLeaves {
		m[n] = n
	}
	for _, n := range strings.Fields(`OFX SIGNONMSGSRSV1 SONRS STATUS FI BANKMSGSRSV1 STMTTRNRS STMTRS
		BANKACCTFROM BANKTRANLIST STMTTRN LEDGERBAL AVAILBAL CREDITCARDMSGSRSV1 CCSTMTTRNRS CCSTMTRS
		CCACCTFROM INVSTMTMSGSRSV1 INVSTMTTRNRS INVSTMTRS INVACCTFROM INVTRANLIST INVBANKTRAN INVBAL
		PAYEE BANKACCTTO CCACCTTO CURRENCY ORIGCURRENCY`) {
		m[n] = n
	}
	return m
}

// intern returns name as a string, shared with earlier identical names where it can.
func intern(name []byte) string {
	if s, ok := internTable[string(name)]; ok { // no allocation for the lookup
		return s
	}
	return string(name)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':'
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
