package app_test

import (
	"regexp"
	"testing"

	"github.com/kontor-app/kontor/modules/identity/internal/app"
)

func TestArgon2Hasher(t *testing.T) {
	h := app.NewArgon2Hasher(app.DefaultArgon2Params)
	a, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(a) {
		t.Fatalf("hash %q is not the expected PHC string", a)
	}
	b, _ := h.Hash("correct horse battery")
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		password string
		encoded  string
		want     bool
		wantErr  bool
	}{
		{"correct horse battery", a, true, false},
		{"correct horse battery", b, true, false},
		{"correct horse batterY", a, false, false},
		{"", a, false, false},
		{"x", "", false, true},
		{"x", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", false, true},
		{"x", "$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$aGFzaA", false, true},
		{"x", "$argon2id$v=19$m=0,t=2,p=1$c2FsdA$aGFzaA", false, true},
		{"x", "$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA", false, true},
	}
	for _, tt := range tests {
		got, err := h.Verify(tt.password, tt.encoded)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v, error %v", tt.password, tt.encoded, got, err, tt.want, tt.wantErr)
		}
	}
	// Hashes made with other parameters stay verifiable.
	cheap := app.NewArgon2Hasher(app.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	old, _ := cheap.Hash("pw")
	if ok, err := h.Verify("pw", old); !ok || err != nil {
		t.Errorf("verify a cheaper hash: %v, %v", ok, err)
	}
}
