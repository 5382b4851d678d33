package domain

// Format is a statement's file format.
type Format string

// The formats a statement is available in.
const (
	JSON Format = "json"
	CSV  Format = "csv"
	PDF  Format = "pdf"
)

// Formats lists every format, JSON first as the default.
var Formats = []Format{JSON, CSV, PDF}

// ParseFormat returns s as a Format.
func ParseFormat(s string) (Format, bool) {
	for _, f := range Formats {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// MediaType is the format's Content-Type.
func (f Format) MediaType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case PDF:
		return "application/pdf"
	}
	return "application/json"
}

// IsDownload reports whether the format is sent as a file to save rather than shown.
func (f Format) IsDownload() bool { return f == CSV || f == PDF }

// FileName is the name a statement of account number for period is saved under:
// statement-<account_number>-<start>-<end>.<ext>. Characters that could break a
// Content-Disposition header or a file system are replaced by "_".
func FileName(accountNumber string, p Period, f Format) string {
	return "statement-" + safeFilePart(accountNumber) + "-" + p.StartDate() + "-" + p.EndDate() + "." + string(f)
}

func safeFilePart(s string) string {
	if s == "" {
		return "account"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// Disposition is the Content-Disposition of a download named fileName (a name from
// FileName, which holds only letters, digits, '-', '_' and '.'): the file name always
// quoted, as API.md shows it, attachment; filename="statement-….csv".
func Disposition(fileName string) string {
	return `attachment; filename="` + fileName + `"`
}
