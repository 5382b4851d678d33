package config

import "testing"

func TestLogFormatDefaultsToJSONInProduction(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		format string
	}{
		{map[string]string{}, "text"},
		{map[string]string{"KONTOR_ENV": "production", "KONTOR_SECRET_KEY": "0123456789abcdef0123456789abcdef"}, "json"},
		{map[string]string{"KONTOR_ENV": "production", "KONTOR_SECRET_KEY": "0123456789abcdef0123456789abcdef", "KONTOR_LOG_FORMAT": "text"}, "text"},
		{map[string]string{"KONTOR_LOG_FORMAT": "json"}, "json"},
	} {
		cfg, err := Load(nil, func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.LogFormat != tc.format {
			t.Errorf("%v: log format %q, want %q", tc.env, cfg.LogFormat, tc.format)
		}
	}
}
