package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"modernc.org/sqlite"
)

// IsUnavailable reports whether err means the database cannot be reached or cannot
// serve for a while, rather than that the query itself is wrong: PostgreSQL down,
// restarting or refusing connections, a connection dropped under the query, SQLite
// busy past its timeout or failing to read or write its file. Such a failure is the
// server's but passes by itself, so the API answers it with 503 and Retry-After.
//
// It recognises pgx (the PostgreSQL driver since River arrived) by unwrapping to its error type
// (SQLSTATE classes 08 and 53, 57P01 to 57P03, 25006), network and system errors,
// database/sql's bad-connection errors and modernc SQLite result codes, and falls
// back to the messages these drivers print when an error arrives flattened into text.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// A client that went away or a deadline the caller chose is not an outage.
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTUNREACH):
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	if state, ok := sqlState(err); ok {
		return unavailableState(state)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return unavailableSQLiteCode(liteErr.Code())
	}
	msg := strings.ToLower(err.Error())
	for _, s := range unavailableMessages {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// sqlState returns the SQLSTATE of a PostgreSQL error (pgx's *pgconn.PgError,
// matched by its method so this file needs no driver import).
func sqlState(err error) (string, bool) {
	var withState interface{ SQLState() string }
	if errors.As(err, &withState) {
		return withState.SQLState(), true
	}
	return "", false
}

// unavailableState reports whether a SQLSTATE means the server cannot serve now:
// connection exceptions (08), insufficient resources (53: too many connections,
// disk full, out of memory), the operator intervening (57P01 admin shutdown, 57P02
// crash shutdown, 57P03 cannot connect now) and a read-only standby (25006).
func unavailableState(state string) bool {
	switch {
	case strings.HasPrefix(state, "08"), strings.HasPrefix(state, "53"):
		return true
	}
	switch state {
	case "57P01", "57P02", "57P03", "25006":
		return true
	}
	return false
}

// The primary SQLite result codes that mean the file cannot be used right now.
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteNoMem    = 7
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteProtocol = 15
)

func unavailableSQLiteCode(code int) bool {
	switch code & 0xff { // extended codes keep the primary code in the low byte
	case sqliteBusy, sqliteLocked, sqliteNoMem, sqliteReadOnly, sqliteIOErr, sqliteFull, sqliteCantOpen, sqliteProtocol:
		return true
	}
	return false
}

// unavailableMessages are lower-case fragments of the messages drivers give for an
// unreachable or failing database, for errors that reach us as text only.
var unavailableMessages = []string{
	"connection refused",
	"connection reset by peer",
	"broken pipe",
	"no route to host",
	"network is unreachable",
	"i/o timeout",
	"bad connection",
	"conn closed",
	"connection is already closed",
	"sql: database is closed",
	"server closed the connection unexpectedly",
	"terminating connection due to administrator command",
	"the database system is shutting down",
	"the database system is starting up",
	"the database system is in recovery mode",
	"the database system is not yet accepting connections",
	"too many clients already",
	"sorry, too many clients",
	"failed to connect to",
	"database is locked",
	"database table is locked",
	"sqlite_busy",
	"disk i/o error",
	"database or disk is full",
	"unable to open database file",
}
