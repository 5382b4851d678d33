package api

import (
	_ "embed"

	"github.com/kontor-app/kontor/platform/openapi"
)

//go:embed openapi.json
var openapiJSON []byte

// Spec returns the accounts module's part of the OpenAPI document.
func Spec() openapi.Spec { return openapi.Spec{Name: "accounts", JSON: openapiJSON} }
