package apperr_test

import (
	"net/http"
	"testing"

	"github.com/kontor-app/kontor/platform/apperr"
)

func TestRegisterMapsAModuleCode(t *testing.T) {
	t.Parallel()
	code := apperr.Register("probe_registered", http.StatusConflict, "Probe registered")
	if apperr.Status(code) != http.StatusConflict || apperr.Title(code) != "Probe registered" {
		t.Fatalf("status %d title %q", apperr.Status(code), apperr.Title(code))
	}
	// Registering again with the same status is harmless.
	apperr.Register("probe_registered", http.StatusConflict, "Probe registered")
	if apperr.Status("probe_unknown") != http.StatusInternalServerError || apperr.Title(apperr.NotFound) != "Not Found" {
		t.Fatal("unknown codes must be internal errors and platform titles the status text")
	}
	for name, register := range map[string]func(){
		"platform code":  func() { apperr.Register(apperr.NotFound, http.StatusNotFound, "Not found") },
		"another status": func() { apperr.Register("probe_registered", http.StatusBadRequest, "Probe") },
		"not an error":   func() { apperr.Register("probe_ok", http.StatusOK, "OK") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not refuse", name)
				}
			}()
			register()
		}()
	}
}
