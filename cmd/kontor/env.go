package main

import (
	"fmt"
	"os"
	"strings"
)

// fileEnv returns getenv extended with the _FILE convention of container secrets:
// when KONTOR_X is unset and KONTOR_X_FILE names a file, KONTOR_X is that file's
// content without surrounding white space. A _FILE that cannot be read, or one set
// together with its variable, is an error naming it.
func fileEnv(getenv func(string) string) (func(string) string, error) {
	values := map[string]string{}
	for _, kv := range os.Environ() {
		name, path, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "KONTOR_") || !strings.HasSuffix(name, "_FILE") || path == "" {
			continue
		}
		base := strings.TrimSuffix(name, "_FILE")
		if getenv(base) != "" {
			return nil, fmt.Errorf("config: %s and %s are both set; keep one", base, name)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %v", name, err)
		}
		values[base] = strings.TrimSpace(string(b))
	}
	return func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		return getenv(name)
	}, nil
}
