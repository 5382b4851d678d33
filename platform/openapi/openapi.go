// Package openapi assembles Kontor's OpenAPI 3.1 document from the parts each module
// provides and serves it at /api/v1/openapi.json (web/apidocs renders it as a
// readable reference at /docs). Modules own their part, so the document grows with every feature without
// a shared file everyone edits.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"

	"go.uber.org/fx"
)

//go:embed base.json
var baseJSON []byte

// Spec is one module's part of the document: a JSON object that may hold "paths",
// "tags" and "components" (schemas, responses, parameters, headers).
type Spec struct {
	Name string
	JSON []byte
}

// Document is the assembled OpenAPI document.
type Document struct {
	// JSON is the document as served.
	JSON []byte
	// Parsed is the same document as generic JSON, for rendering the reference page.
	Parsed map[string]any
}

// Build merges parts into the base document. A path, operation or component defined
// twice is an error, so two modules cannot silently overwrite each other.
func Build(parts []Spec) (*Document, error) {
	var doc map[string]any
	if err := json.Unmarshal(baseJSON, &doc); err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
	for _, p := range parts {
		var part map[string]any
		if err := json.Unmarshal(p.JSON, &part); err != nil {
			return nil, fmt.Errorf("openapi part %s: %w", p.Name, err)
		}
		for key, val := range part {
			switch key {
			case "paths":
				if err := mergeUnique(doc, "paths", val, p.Name, 2); err != nil {
					return nil, err
				}
			case "components":
				if err := mergeUnique(doc, "components", val, p.Name, 2); err != nil {
					return nil, err
				}
			case "tags":
				tags, _ := val.([]any)
				doc["tags"] = append(doc["tags"].([]any), tags...)
			default:
				return nil, fmt.Errorf("openapi part %s: unexpected top-level key %q", p.Name, key)
			}
		}
	}
	finish(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return &Document{JSON: out, Parsed: doc}, nil
}

// mergeUnique merges src into dst[key] down to depth levels, refusing duplicates at
// the deepest level (an operation under a path, a schema under components.schemas).
func mergeUnique(dst map[string]any, key string, src any, part string, depth int) error {
	srcMap, ok := src.(map[string]any)
	if !ok {
		return fmt.Errorf("openapi part %s: %s must be an object", part, key)
	}
	dstMap, _ := dst[key].(map[string]any)
	if dstMap == nil {
		dstMap = map[string]any{}
		dst[key] = dstMap
	}
	for k, v := range srcMap {
		existing, exists := dstMap[k]
		if !exists {
			dstMap[k] = v
			continue
		}
		if depth <= 1 {
			return fmt.Errorf("openapi part %s: %s.%s is defined twice", part, key, k)
		}
		if _, ok := existing.(map[string]any); !ok {
			return fmt.Errorf("openapi part %s: %s.%s is defined twice", part, key, k)
		}
		if err := mergeUnique(dstMap, k, v, part, depth-1); err != nil {
			return err
		}
	}
	return nil
}

type buildParams struct {
	fx.In
	Parts []Spec `group:"openapi"`
}

// Module provides the Document and serves it.
var Module = fx.Module("openapi",
	fx.Provide(func(p buildParams) (*Document, error) { return Build(p.Parts) }),
	fx.Provide(fx.Annotate(NewRoutes, fx.ResultTags(`group:"routes"`))),
)
