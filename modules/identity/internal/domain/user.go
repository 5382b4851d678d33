package domain

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits on what a person may enter when registering.
const (
	MaxEmailLength    = 254
	MaxNameLength     = 100
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// Lockout policy: after MaxFailedLogins consecutive wrong passwords the account
// refuses every login for LockoutDuration, which slows guessing to a crawl while a
// person who mistypes a few times is not bothered.
const (
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
)

// Validation problems, phrased so they can be shown next to the field.
var (
	ErrEmailInvalid     = errors.New("must be an e-mail address such as ada@example.com")
	ErrEmailTooLong     = errors.New("must be at most 254 characters")
	ErrNameMissing      = errors.New("must not be empty")
	ErrNameTooLong      = errors.New("must be at most 100 characters")
	ErrNameInvalid      = errors.New("must not contain control characters")
	ErrPasswordTooShort = errors.New("must be at least 12 characters")
	ErrPasswordTooLong  = errors.New("must be at most 256 characters")
	ErrPasswordBlank    = errors.New("must not be only spaces")
)

// User is a person with a Kontor login. PasswordHash is the PHC string of the
// password hasher; the clear password is never kept.
type User struct {
	ID           uuid.UUID
	Email        string
	Name         string
	PasswordHash string
	// FailedLogins counts wrong passwords since the last success or lockout.
	FailedLogins int
	// LockedUntil, when set and in the future, refuses every login until then.
	LockedUntil *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewUser returns a user with validated, normalised fields. The password must
// already have passed CheckPassword and been hashed.
func NewUser(id uuid.UUID, email, name, passwordHash string, now time.Time) (User, error) {
	e, err := ParseEmail(email)
	if err != nil {
		return User{}, err
	}
	n, err := ParseName(name)
	if err != nil {
		return User{}, err
	}
	if passwordHash == "" {
		return User{}, errors.New("a user needs a password hash")
	}
	return User{ID: id, Email: e, Name: n, PasswordHash: passwordHash, CreatedAt: now, UpdatedAt: now}, nil
}

// ParseEmail trims s, checks it is a bare address (no display name, no angle
// brackets) of at most 254 characters, and returns it in lower case, so one
// mailbox cannot hold two accounts that differ only in case.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmailInvalid
	}
	if utf8.RuneCountInString(s) > MaxEmailLength {
		return "", ErrEmailTooLong
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", ErrEmailInvalid
	}
	return strings.ToLower(s), nil
}

// ParseName trims s and checks it holds 1 to 100 characters and no control
// characters, which would only break the pages and documents it appears on.
func ParseName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", ErrNameMissing
	case n > MaxNameLength:
		return "", ErrNameTooLong
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return "", ErrNameInvalid
	}
	return s, nil
}

// CheckPassword checks a new password's length in characters. Passwords are not
// trimmed: every character a person typed counts. The upper bound keeps hashing
// cheap enough that long inputs cannot be used to exhaust the server.
func CheckPassword(p string) error {
	if p != "" && strings.TrimSpace(p) == "" {
		// Twelve spaces pass a length rule but are no secret.
		return ErrPasswordBlank
	}
	switch n := utf8.RuneCountInString(p); {
	case n < MinPasswordLength:
		return ErrPasswordTooShort
	case n > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	return nil
}

// LockedFor returns how long the account stays locked at now; zero when it is not.
func (u *User) LockedFor(now time.Time) time.Duration {
	if u.LockedUntil == nil || !now.Before(*u.LockedUntil) {
		return 0
	}
	return u.LockedUntil.Sub(now)
}

// RecordFailedLogin counts a wrong password at now. The MaxFailedLogins-th
// consecutive failure locks the account for LockoutDuration and starts the count
// afresh, so the next lock needs as many failures again. Failures while locked are
// not counted: the lock already holds. It reports whether the account is locked.
func (u *User) RecordFailedLogin(now time.Time) bool {
	if u.LockedFor(now) > 0 {
		return true
	}
	u.FailedLogins++
	u.UpdatedAt = now
	if u.FailedLogins >= MaxFailedLogins {
		until := now.Add(LockoutDuration)
		u.LockedUntil = &until
		u.FailedLogins = 0
		return true
	}
	return false
}

// RecordSuccessfulLogin clears the failure count and any expired lock.
func (u *User) RecordSuccessfulLogin(now time.Time) {
	u.FailedLogins = 0
	u.LockedUntil = nil
	u.UpdatedAt = now
}

// NeedsLoginReset reports whether a successful login has anything to clear, so
// the common case costs no write.
func (u *User) NeedsLoginReset() bool {
	return u.FailedLogins != 0 || u.LockedUntil != nil
}

// ETag is the user's version as a weak entity tag: the time of the last change, in
// microseconds, the precision both engines keep.
func (u User) ETag() string { return `W/"` + strconv.FormatInt(u.UpdatedAt.UnixMicro(), 10) + `"` }

// MatchesETag reports whether an If-Match header allows a change to u: no header
// or "*" always does; otherwise one of its tags must be u's, weak or strong.
func (u User) MatchesETag(ifMatch string) bool {
	want := strings.Trim(strings.TrimPrefix(u.ETag(), "W/"), `"`)
	named := false
	for _, part := range strings.Split(ifMatch, ",") {
		tag := strings.TrimSpace(part)
		switch tag {
		case "":
			continue
		case "*":
			return true
		}
		named = true
		if strings.Trim(strings.TrimPrefix(tag, "W/"), `"`) == want {
			return true
		}
	}
	return !named
}
