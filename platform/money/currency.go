package money

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidCurrency reports a currency code that is neither an ISO 4217 alpha-3 code
// nor a crypto ticker, both written in upper case.
var ErrInvalidCurrency = errors.New("must be an upper-case ISO 4217 currency code or crypto ticker, such as USD or BTC")

// Currency is an ISO 4217 alpha-3 code such as "USD", or a crypto ticker such as
// "BTC" or "USDT". Values that did not come from ParseCurrency or a trusted source
// (the database, a constant) have not been checked.
type Currency string

// ParseCurrency checks s and returns it as a Currency. It accepts 3 to 10 upper-case
// ASCII letters and digits with at least one letter, which covers ISO 4217 codes and
// crypto tickers alike. Lower case is rejected rather than folded, because the API
// promises upper case and silently fixing one client would let it drift from the
// others. A code made only of digits is rejected too: no currency is named that way,
// and "100" in a currency field is far more likely an amount in the wrong place.
func ParseCurrency(s string) (Currency, error) {
	if len(s) < 3 || len(s) > 10 {
		return "", ErrInvalidCurrency
	}
	hasLetter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z':
			hasLetter = true
		case '0' <= c && c <= '9':
		default:
			return "", ErrInvalidCurrency
		}
	}
	if !hasLetter {
		return "", ErrInvalidCurrency
	}
	return Currency(s), nil
}

// minorUnits lists the currencies whose minor unit is not the usual two digits. The
// fiat entries follow ISO 4217; the crypto entries follow each chain's smallest unit
// (the satoshi, the wei).
var minorUnits = map[Currency]int32{
	// ISO 4217 currencies without a minor unit in use.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
	"XPF": 0,
	// ISO 4217 currencies with thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// ISO 4217 units of account with four decimals.
	"CLF": 4, "UYW": 4,
	// Crypto assets.
	"BTC": 8,
	"ETH": 18,
}

// MinorUnits returns how many fractional digits amounts in c are shown with: 2 unless
// the currency is known to differ (0 for JPY, 3 for KWD, 8 for BTC, 18 for ETH). It
// governs display only; amounts themselves always keep their full precision.
func (c Currency) MinorUnits() int32 {
	if units, ok := minorUnits[c]; ok {
		return units
	}
	return 2
}

// Format renders a for people: thousands separated by commas and at least
// c.MinorUnits() fractional digits, "1,234,567.50" for 1234567.5 USD. It never rounds:
// an amount finer than the currency's minor unit keeps its digits ("0.005" USD prints
// as "0.005"), so displayed figures add up exactly as the ledger does. Never parse the
// result back into an amount.
func Format(a Amount, c Currency) string {
	s := a.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if units := int(c.MinorUnits()); len(frac) < units {
		frac += strings.Repeat("0", units-len(frac))
	}

	var b strings.Builder
	b.Grow(len(s) + len(intPart)/3 + 2)
	b.WriteString(sign)
	// The first group holds what is left over after the full groups of three.
	first := len(intPart) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(intPart[:first])
	for i := first; i < len(intPart); i += 3 {
		b.WriteByte(',')
		b.WriteString(intPart[i : i+3])
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// isoCodes are the active ISO 4217 alpha-3 codes (2024 list), funds and precious
// metals excluded. An amount in one of them may not be finer than its minor unit.
var isoCodes = func() map[Currency]bool {
	const list = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD " +
		"CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF " +
		"GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP " +
		"LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB " +
		"PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL " +
		"THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG"
	m := map[Currency]bool{}
	for _, c := range strings.Fields(list) {
		m[Currency(c)] = true
	}
	return m
}()

// IsISO reports whether c is an active ISO 4217 currency (not a crypto ticker).
func (c Currency) IsISO() bool { return isoCodes[c] }

// ErrFinerThanMinorUnit reports an amount with more decimals than its currency has.
var ErrFinerThanMinorUnit = errors.New("has more decimals than the currency's minor unit")

// Allows reports whether an amount in c may carry a's precision: an ISO 4217
// currency and the crypto assets Kontor knows (BTC to the satoshi, ETH to the
// wei) take no more fractional digits than their minor unit; other tickers take
// up to MaxFractionDigits. The error message says how many digits c allows,
// such as "must have at most 2 decimals in EUR".
func (c Currency) Allows(a Amount) error {
	_, known := minorUnits[c]
	if !known && !c.IsISO() {
		return nil
	}
	units := c.MinorUnits()
	if a.d.Exponent() >= -units || a.d.Equal(a.d.Truncate(units)) {
		return nil
	}
	if units == 0 {
		return fmt.Errorf("must be a whole number in %s, which has no minor unit", c)
	}
	return fmt.Errorf("must have at most %d decimals in %s", units, c)
}

// Plain writes a for a file or a machine in currency c: no grouping, ASCII "-",
// exact, and at least c.MinorUnits() fractional digits, so JPY 10000 is
// "10000", BHD 1.5 is "1.500" and EUR 1.5 is "1.50"; a finer amount keeps its
// digits.
func Plain(a Amount, c Currency) string {
	s := a.String()
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if units := int(c.MinorUnits()); len(frac) < units {
		frac += strings.Repeat("0", units-len(frac))
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}
