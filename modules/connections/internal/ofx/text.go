package ofx

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// charset is how bytes that are not valid UTF-8 are read.
type charset int

const (
	// cp1252 is Windows-1252, what OFX 1.x CHARSET:1252 means and what US-ASCII
	// headers send in practice; it is also the fallback for undeclared files.
	cp1252 charset = iota
	// latin1 is ISO-8859-1 (CHARSET:ISO-8859-1 or 8859-1).
	latin1
)

// charsetFor maps a CHARSET header value or an XML encoding name onto a charset.
func charsetFor(name string) charset {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch {
	case strings.Contains(n, "8859-1"), n == "LATIN1", n == "LATIN-1":
		return latin1
	default:
		return cp1252
	}
}

// cp1252High maps the bytes 0x80..0x9F of Windows-1252; 0 marks the five bytes the
// code page leaves undefined.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// decodeText turns the raw bytes of a value into clean UTF-8 text. Bytes that already
// form valid UTF-8 are taken as UTF-8 whatever the header claims: exporters often
// declare USASCII or 1252 and send UTF-8, while real Windows-1252 text almost never
// forms valid multi-byte UTF-8 by accident. Anything else is read in the declared
// charset. Entities are then resolved, a second time when the exporter escaped them
// twice (&amp;lt;), and runs of white space become one space.
func decodeText(raw []byte, cs charset, line int) (string, error) {
	var s string
	if utf8.Valid(raw) {
		s = string(raw)
	} else {
		var b strings.Builder
		b.Grow(len(raw) + 8)
		for i := 0; i < len(raw); {
			c := raw[i]
			if c < 0x80 {
				b.WriteByte(c)
				i++
				continue
			}
			// Valid UTF-8 sequences inside an otherwise Windows-1252 value stay as
			// they are only if the value as a whole was UTF-8; here it is not, so
			// every high byte is one character of the declared charset.
			switch {
			case cs == latin1 || c >= 0xA0:
				b.WriteRune(rune(c))
			default:
				r := cp1252High[c-0x80]
				if r == 0 {
					return "", errorf(line, "byte 0x%02X is not a character in Windows-1252, the file's character set", c)
				}
				b.WriteRune(r)
			}
			i++
		}
		s = b.String()
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = unescape(s)
		if hasEntity(s) {
			s = unescape(s)
		}
	}
	return collapseSpace(s), nil
}

// entities are the named references OFX files use: XML's five and HTML's &nbsp;.
var entities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": "\u00a0",
}

// unescape resolves character references. A '&' that starts no valid reference is
// kept as written, since SGML exporters put raw ampersands in names ("AT&T").
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if r, n := reference(s[i:]); n > 0 {
			b.WriteString(r)
			i += n
			continue
		}
		b.WriteByte('&')
		i++
	}
	return b.String()
}

// hasEntity reports whether s still holds a reference unescape would resolve.
func hasEntity(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0; {
		if _, n := reference(s[i:]); n > 0 {
			return true
		}
		j := strings.IndexByte(s[i+1:], '&')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// reference reads the reference at the start of s ("&amp;", "&#233;", "&#xE9;") and
// returns its text and length, or 0 when s starts no valid reference.
func reference(s string) (string, int) {
	// The longest reference is "&#x10FFFF;": look no further, so that a value full of
	// bare ampersands costs linear time.
	end := strings.IndexByte(s[:min(len(s), 11)], ';')
	if end < 2 || end > 10 {
		return "", 0
	}
	body := s[1:end]
	if body[0] == '#' {
		var n uint64
		var err error
		if len(body) > 1 && (body[1] == 'x' || body[1] == 'X') {
			n, err = strconv.ParseUint(body[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(body[1:], 10, 32)
		}
		r := rune(n)
		if err != nil || !utf8.ValidRune(r) || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", 0
		}
		return string(r), end + 1
	}
	if t, ok := entities[strings.ToLower(body)]; ok {
		return t, end + 1
	}
	return "", 0
}

// collapseSpace trims s and turns every run of white space (tabs and line breaks of
// values that span lines included) into one space.
func collapseSpace(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\t\r\n") && !strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
