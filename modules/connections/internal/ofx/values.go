package ofx

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kontor-app/kontor/platform/money"
)

// parseAmount reads an OFX amount: an optional sign, digits and at most one decimal
// separator, a point or (as OFX 1.x allows) a comma. Padding spaces, a leading '+'
// and leading zeros ("+00000000000000.2400") are accepted; thousands separators,
// currency symbols and exponents are not, because they make an amount ambiguous.
func parseAmount(field, s string, line int) (money.Amount, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return money.Zero, errorf(line, "%s is empty: an amount is required", field)
	}
	sign := ""
	if v[0] == '+' || v[0] == '-' {
		if v[0] == '-' {
			sign = "-"
		}
		v = v[1:]
	}
	intPart, frac := v, ""
	if i := strings.IndexAny(v, ".,"); i >= 0 {
		intPart, frac = v[:i], v[i+1:]
	}
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return money.Zero, errorf(line, "%s %q is not an amount (digits with one '.' or ',' before the decimals, and nothing else)", field, clip(s))
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	lit := sign + intPart
	if frac != "" {
		lit += "." + frac
	}
	a, err := money.Parse(lit)
	switch {
	case errors.Is(err, money.ErrOutOfRange):
		return money.Zero, errorf(line, "%s %q is out of range: Kontor holds at most %d digits before the decimal point", field, clip(s), money.MaxIntegerDigits)
	case errors.Is(err, money.ErrTooPrecise):
		return money.Zero, errorf(line, "%s %q has more than %d digits after the decimal point", field, clip(s), money.MaxFractionDigits)
	case err != nil:
		return money.Zero, errorf(line, "%s %q is not an amount", field, clip(s))
	}
	return a, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// minYear is the earliest year a date in a statement may have; earlier dates are
// placeholders or damage, never a bank transaction.
const minYear = 1900

// parseDate reads an OFX date-time: YYYYMMDD, optionally HHMM or HHMMSS, optionally
// .XXX (fractions of a second), optionally a time zone in brackets: [-5:EST], [-5],
// [+5.75:NPT] or [0:GMT], the offset in hours. Without a zone the time is GMT, as the
// OFX specification says.
func parseDate(field, s string, line int) (time.Time, error) {
	v := strings.TrimSpace(s)
	bad := func(why string) (time.Time, error) {
		return time.Time{}, errorf(line, "%s %q is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[±H[:TZ]]]): %s", field, clip(s), why)
	}
	if v == "" {
		return time.Time{}, errorf(line, "%s is empty: a date is required", field)
	}
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	digits := v[:n]
	rest := v[n:]
	if len(digits) != 8 && len(digits) != 12 && len(digits) != 14 {
		return bad(fmt.Sprintf("%d digits where 8, 12 or 14 belong", len(digits)))
	}
	num := func(i, j int) int {
		x := 0
		for _, c := range digits[i:j] {
			x = x*10 + int(c-'0')
		}
		return x
	}
	year, month, day := num(0, 4), num(4, 6), num(6, 8)
	hour, minute, sec := 0, 0, 0
	if len(digits) >= 12 {
		hour, minute = num(8, 10), num(10, 12)
	}
	if len(digits) == 14 {
		sec = num(12, 14)
	}
	nsec := 0
	if strings.HasPrefix(rest, ".") {
		rest = rest[1:]
		k := 0
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k == 0 || k > 9 || len(digits) != 14 {
			return bad("fractions of a second need HHMMSS and 1 to 9 digits")
		}
		frac := rest[:k] + strings.Repeat("0", 9-k)
		for _, c := range frac {
			nsec = nsec*10 + int(c-'0')
		}
		rest = rest[k:]
	}
	offset := 0
	if rest = strings.TrimSpace(rest); rest != "" {
		if rest[0] != '[' || rest[len(rest)-1] != ']' {
			return bad("unexpected text after the time")
		}
		zone := rest[1 : len(rest)-1]
		if i := strings.IndexByte(zone, ':'); i >= 0 {
			zone = zone[:i]
		}
		var err error
		if offset, err = zoneOffset(strings.TrimSpace(zone)); err != nil {
			return bad(err.Error())
		}
	}
	if year < minYear {
		return bad(fmt.Sprintf("the year %d is before %d", year, minYear))
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return bad("no such month, day or time")
	}
	if sec == 60 { // a leap second: keep the instant valid
		sec = 59
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.FixedZone("", offset))
	if t.Day() != day {
		return bad("no such day in that month")
	}
	return t, nil
}

// zoneOffset reads an offset in hours ("-5", "+5.75", "0", "-03") and returns seconds.
func zoneOffset(z string) (int, error) {
	if z == "" {
		return 0, errors.New("an empty time zone")
	}
	sign := 1
	if z[0] == '+' || z[0] == '-' {
		if z[0] == '-' {
			sign = -1
		}
		z = z[1:]
	}
	whole, frac, _ := strings.Cut(z, ".")
	if whole == "" || len(whole) > 2 || !allDigits(whole) || len(frac) > 2 || !allDigits(frac) {
		return 0, fmt.Errorf("time zone offset %q is not a number of hours", z)
	}
	h := 0
	for _, c := range whole {
		h = h*10 + int(c-'0')
	}
	// Hundredths of an hour: "5.75" is 5 h 45 min, "5.5" is 5 h 30 min.
	hundredths := 0
	if frac != "" {
		f := frac + strings.Repeat("0", 2-len(frac))
		hundredths = int(f[0]-'0')*10 + int(f[1]-'0')
	}
	seconds := h*3600 + hundredths*36
	if seconds > 14*3600 {
		return 0, fmt.Errorf("time zone offset of %s hours is beyond ±14", z)
	}
	return sign * seconds, nil
}

// bookingDay returns the calendar day of t as written in its own zone, at midnight UTC:
// a transaction posted at 23:00 in New York belongs to that day, not to the next one
// in UTC.
func bookingDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseCurrency checks a CURDEF or CURSYM value: three upper-case letters, as ISO 4217
// writes them. Lower case is folded, since some exporters write "usd".
func parseCurrency(field, s string, line int) (string, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	if len(v) != 3 || !isLetters(v) {
		return "", errorf(line, "%s %q is not an ISO 4217 currency code (three letters such as USD)", field, clip(s))
	}
	if _, err := money.ParseCurrency(v); err != nil {
		return "", errorf(line, "%s %q is not a currency code", field, clip(s))
	}
	return v, nil
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
