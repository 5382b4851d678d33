package secretbox_test

import (
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/config"
	"github.com/kontor-app/kontor/platform/secretbox"
)

// TestConfigKeepsPreviousKeys: what the old KONTOR_SECRET_KEY sealed still opens once
// it moved to KONTOR_PREVIOUS_SECRET_KEYS, and new values are sealed with the new key.
func TestConfigKeepsPreviousKeys(t *testing.T) {
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	settings := map[string]string{"KONTOR_SECRET_KEY": newKey, "KONTOR_PREVIOUS_SECRET_KEYS": " " + oldKey + " ,"}
	cfg, err := config.Load(nil, func(k string) string { return settings[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.PreviousSecretKeys) != 1 || cfg.PreviousSecretKeys[0] != oldKey {
		t.Fatalf("previous keys %q", cfg.PreviousSecretKeys)
	}
	before, _ := secretbox.New([]byte(oldKey))
	sealed, err := before.Seal([]byte("token"), []byte("row"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := secretbox.NewFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := after.Open(sealed, []byte("row")); err != nil || string(plain) != "token" {
		t.Fatalf("open with the previous key: %q %v", plain, err)
	}
	if !after.NeedsRotation(sealed) {
		t.Error("a value sealed with the previous key does not ask to be sealed again")
	}
	settings["KONTOR_PREVIOUS_SECRET_KEYS"] = "short"
	if _, err := config.Load(nil, func(k string) string { return settings[k] }); err == nil || !strings.Contains(err.Error(), "KONTOR_PREVIOUS_SECRET_KEYS") {
		t.Fatalf("a short previous key: %v", err)
	}
}
