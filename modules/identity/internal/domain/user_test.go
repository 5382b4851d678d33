package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/modules/identity/internal/domain"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestParseEmail(t *testing.T) {
	t.Parallel()
	local := strings.Repeat("a", 64)
	long := local + "@" + strings.Repeat("b", 185) + ".com" // 254 characters
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"ada@example.com", "ada@example.com", nil},
		{"  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com", nil},
		{"ada+kontor@example.co.uk", "ada+kontor@example.co.uk", nil},
		{long, long, nil},
		{long[:len(long)-4] + "x.com", "", domain.ErrEmailTooLong},
		{"", "", domain.ErrEmailInvalid},
		{"   ", "", domain.ErrEmailInvalid},
		{"ada", "", domain.ErrEmailInvalid},
		{"ada@", "", domain.ErrEmailInvalid},
		{"@example.com", "", domain.ErrEmailInvalid},
		{"Ada <ada@example.com>", "", domain.ErrEmailInvalid},
		{"<ada@example.com>", "", domain.ErrEmailInvalid},
		{"ada@example.com, bob@example.com", "", domain.ErrEmailInvalid},
		{"ada @example.com", "", domain.ErrEmailInvalid},
	}
	for _, tt := range tests {
		got, err := domain.ParseEmail(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"Ada Lovelace", "Ada Lovelace", nil},
		{"  Ada  ", "Ada", nil},
		{"Zoë Ñúñez 李", "Zoë Ñúñez 李", nil},
		{strings.Repeat("é", 100), strings.Repeat("é", 100), nil},
		{strings.Repeat("é", 101), "", domain.ErrNameTooLong},
		{"", "", domain.ErrNameMissing},
		{" \t\n ", "", domain.ErrNameMissing},
		{"Ada\x00Lovelace", "", domain.ErrNameInvalid},
		{"Ada\nLovelace", "", domain.ErrNameInvalid},
	}
	for _, tt := range tests {
		got, err := domain.ParseName(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		err error
	}{
		{"correct horse", nil},
		{strings.Repeat("x", 12), nil},
		{strings.Repeat("x", 11), domain.ErrPasswordTooShort},
		{strings.Repeat("ü", 11), domain.ErrPasswordTooShort}, // characters, not bytes
		{strings.Repeat("ü", 12), nil},
		{strings.Repeat("x", 256), nil},
		{strings.Repeat("x", 257), domain.ErrPasswordTooLong},
		{"", domain.ErrPasswordTooShort},
		{"            ", domain.ErrPasswordBlank},   // only spaces is no secret
		{"  a         ", nil},                       // spaces count; passwords are never trimmed
		{"\t\n          ", domain.ErrPasswordBlank}, // any white space
	}
	for _, tt := range tests {
		if err := domain.CheckPassword(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("CheckPassword(%d chars) = %v; want %v", len([]rune(tt.in)), err, tt.err)
		}
	}
}

func TestNewUser(t *testing.T) {
	t.Parallel()
	id := uuid.Must(uuid.NewV7())
	u, err := domain.NewUser(id, " ADA@example.com", " Ada ", "$argon2id$...", t0)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != id || u.Email != "ada@example.com" || u.Name != "Ada" || !u.CreatedAt.Equal(t0) || u.FailedLogins != 0 || u.LockedUntil != nil {
		t.Errorf("NewUser = %+v", u)
	}
	if _, err := domain.NewUser(id, "nope", "Ada", "h", t0); !errors.Is(err, domain.ErrEmailInvalid) {
		t.Errorf("bad e-mail: %v", err)
	}
	if _, err := domain.NewUser(id, "ada@example.com", "", "h", t0); !errors.Is(err, domain.ErrNameMissing) {
		t.Errorf("no name: %v", err)
	}
	if _, err := domain.NewUser(id, "ada@example.com", "Ada", "", t0); err == nil {
		t.Error("no hash: accepted")
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	type step struct {
		at         time.Duration // since t0
		success    bool
		wantLocked bool
	}
	tests := []struct {
		name  string
		steps []step
		// lockedFor is asked at the end, at lockedAt since t0.
		lockedAt  time.Duration
		lockedFor time.Duration
	}{
		{
			name:      "four failures do not lock",
			steps:     []step{{0, false, false}, {1, false, false}, {2, false, false}, {3, false, false}},
			lockedAt:  4,
			lockedFor: 0,
		},
		{
			name:      "the fifth consecutive failure locks for 15 minutes",
			steps:     []step{{0, false, false}, {0, false, false}, {0, false, false}, {0, false, false}, {time.Minute, false, true}},
			lockedAt:  time.Minute,
			lockedFor: 15 * time.Minute,
		},
		{
			name:      "a success in between resets the count",
			steps:     []step{{0, false, false}, {0, false, false}, {0, false, false}, {0, false, false}, {0, true, false}, {0, false, false}},
			lockedAt:  0,
			lockedFor: 0,
		},
		{
			name:      "failures while locked do not extend the lock",
			steps:     []step{{0, false, false}, {0, false, false}, {0, false, false}, {0, false, false}, {0, false, true}, {10 * time.Minute, false, true}},
			lockedAt:  10 * time.Minute,
			lockedFor: 5 * time.Minute,
		},
		{
			name:      "the lock ends after 15 minutes",
			steps:     []step{{0, false, false}, {0, false, false}, {0, false, false}, {0, false, false}, {0, false, true}},
			lockedAt:  15 * time.Minute,
			lockedFor: 0,
		},
		{
			name: "after a lock ends five more failures are needed",
			steps: []step{{0, false, false}, {0, false, false}, {0, false, false}, {0, false, false}, {0, false, true},
				{16 * time.Minute, false, false}, {16 * time.Minute, false, false}, {16 * time.Minute, false, false}, {16 * time.Minute, false, false}, {17 * time.Minute, false, true}},
			lockedAt:  17 * time.Minute,
			lockedFor: 15 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := domain.User{}
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.success {
					u.RecordSuccessfulLogin(now)
					continue
				}
				if got := u.RecordFailedLogin(now); got != s.wantLocked {
					t.Fatalf("step %d: locked = %v, want %v", i, got, s.wantLocked)
				}
			}
			if got := u.LockedFor(t0.Add(tt.lockedAt)); got != tt.lockedFor {
				t.Errorf("LockedFor = %v, want %v", got, tt.lockedFor)
			}
		})
	}
}

func TestNeedsLoginReset(t *testing.T) {
	t.Parallel()
	u := domain.User{}
	if u.NeedsLoginReset() {
		t.Error("fresh user needs a reset")
	}
	u.RecordFailedLogin(t0)
	if !u.NeedsLoginReset() {
		t.Error("a failure needs no reset")
	}
	u.RecordSuccessfulLogin(t0)
	if u.NeedsLoginReset() || u.FailedLogins != 0 {
		t.Errorf("after success: %+v", u)
	}
}

func TestUserETag(t *testing.T) {
	u := domain.User{UpdatedAt: time.Date(2026, 11, 29, 10, 0, 0, 123456000, time.UTC)}
	tag := u.ETag()
	if tag != `W/"1795946400123456"` {
		t.Fatalf("ETag = %s", tag)
	}
	for header, want := range map[string]bool{
		"": true, "*": true, tag: true, `"1795946400123456"`: true, `W/"1", ` + tag: true,
		`W/"1795946400123457"`: false, "garbage": false,
	} {
		if got := u.MatchesETag(header); got != want {
			t.Errorf("MatchesETag(%q) = %v, want %v", header, got, want)
		}
	}
}
