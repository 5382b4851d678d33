package openapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kontor-app/kontor/platform/openapi"
)

const partA = `{
  "tags": [{"name": "Things", "description": "Things you own."}],
  "paths": {"/things": {"get": {"tags": ["Things"], "summary": "List things", "parameters": [{"$ref": "#/components/parameters/Limit"}],
    "responses": {"200": {"description": "The things.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}}}}},
  "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}}
}`

const partB = `{
  "paths": {"/things": {"post": {"tags": ["Things"], "summary": "Create a thing", "security": [],
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    "responses": {"201": {"description": "Created."}}}}}
}`

func TestBuildMergesPartsIntoAValidDocument(t *testing.T) {
	doc, err := openapi.Build([]openapi.Spec{{Name: "b", JSON: []byte(partB)}, {Name: "a", JSON: []byte(partA)}})
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	parsed, err := loader.LoadFromData(doc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(context.Background()); err != nil {
		t.Fatalf("merged document is not valid: %v", err)
	}
	item := parsed.Paths.Find("/things")
	if item == nil || item.Get == nil || item.Post == nil {
		t.Fatalf("both operations should be merged under /things: %+v", item)
	}
	sections := doc.Sections()
	if len(sections) != 1 || sections[0].Tag != "Things" || len(sections[0].Operations) != 2 {
		t.Fatalf("sections %+v", sections)
	}
	get, post := sections[0].Operations[0], sections[0].Operations[1]
	if get.Method != "GET" || post.Method != "POST" || !post.Public || get.Public {
		t.Fatalf("operations %+v %+v", get, post)
	}
	if len(get.Parameters) != 1 || get.Parameters[0].Name != "limit" || get.Parameters[0].Type != "integer" {
		t.Fatalf("parameters %+v", get.Parameters)
	}
	if post.RequestBody != "application/json: Thing" {
		t.Fatalf("request body %q", post.RequestBody)
	}
}

func TestBuildRefusesDuplicates(t *testing.T) {
	for name, parts := range map[string][]openapi.Spec{
		"same operation twice": {{Name: "a", JSON: []byte(partA)}, {Name: "a2", JSON: []byte(partA)}},
		"unknown key":          {{Name: "x", JSON: []byte(`{"info": {}}`)}},
		"not JSON":             {{Name: "x", JSON: []byte(`{`)}},
	} {
		if _, err := openapi.Build(parts); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "same operation twice" && !strings.Contains(err.Error(), "defined twice") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBaseDocumentIsValid(t *testing.T) {
	doc, err := openapi.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if parsed.OpenAPI != "3.1.0" {
		t.Fatalf("version %q", parsed.OpenAPI)
	}
}
