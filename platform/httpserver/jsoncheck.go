package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kontor-app/kontor/platform/apperr"
)

// checkJSON holds a JSON body to the rules encoding/json does not enforce, before it
// is decoded into dst: the body is valid UTF-8 with no lone surrogate escapes, no
// object repeats a key (400 malformed_json), every member of an object decoded into
// a struct names a field exactly, case included (400 unknown_field), and every string
// and key passes TextProblem (422 naming the field). Nested objects, arrays and maps
// are checked alike; values a type decodes itself (json.Unmarshaler, RawMessage) are
// checked for keys and text but not for field names. A body that is not valid JSON is
// left to the decoder, whose message says where.
func checkJSON(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return apperr.New(apperr.MalformedJSON, "The body is not valid UTF-8.")
	}
	if loneSurrogate(body) {
		return apperr.New(apperr.MalformedJSON, "The body holds a \\u escape of a lone UTF-16 surrogate, which is no character.")
	}
	var t reflect.Type
	if dst != nil {
		t = reflect.TypeOf(dst)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	ck := checker{dec: dec}
	err := ck.value(t, "")
	if _, ok := err.(*apperr.Error); ok {
		return err
	}
	return nil // syntax problems are reported by the decoder
}

// maxJSONDepth bounds how deeply a body's objects and arrays may nest. No Kontor body
// nests more than a few levels; without a bound, a body of nothing but "[" costs time
// quadratic in its length (each level's path is a copy of the one above).
const maxJSONDepth = 32

type checker struct {
	dec   *json.Decoder
	depth int
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// shape strips pointers and reports whether t decodes itself.
func shape(t reflect.Type) (reflect.Type, bool) {
	for t != nil {
		if t == rawMessageType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil, true
		}
		if t.Kind() != reflect.Pointer {
			return t, false
		}
		t = t.Elem()
	}
	return nil, false
}

func (ck *checker) value(t reflect.Type, path string) error {
	tok, err := ck.dec.Token()
	if err != nil {
		return err
	}
	t, opaque := shape(t)
	if opaque {
		t = nil
	}
	switch v := tok.(type) {
	case json.Delim:
		ck.depth++
		defer func() { ck.depth-- }()
		if ck.depth > maxJSONDepth {
			return apperr.New(apperr.MalformedJSON, "The body nests objects and arrays more than %d levels deep.", maxJSONDepth)
		}
		switch v {
		case '{':
			return ck.object(t, opaque, path)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; ck.dec.More(); i++ {
				if err := ck.value(elem, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
			_, err := ck.dec.Token()
			return err
		}
	case string:
		if msg := TextProblem(v); msg != "" {
			return apperr.Validation(apperr.FieldError{Field: fieldName(path), Message: msg})
		}
	}
	return nil
}

func (ck *checker) object(t reflect.Type, opaque bool, path string) error {
	var (
		fields map[string]reflect.Type
		elem   reflect.Type
	)
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = structFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for ck.dec.More() {
		tok, err := ck.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		name := join(path, key)
		if msg := TextProblem(key); msg != "" {
			return apperr.Validation(apperr.FieldError{Field: fieldName(path), Message: "has a key that " + msg})
		}
		if seen[key] {
			return apperr.New(apperr.MalformedJSON, "The body repeats the key %q; send each key once.", name)
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				return &apperr.Error{Code: apperr.UnknownField, Message: fmt.Sprintf("The field %q is not known here (names are case-sensitive).", name),
					Fields: []apperr.FieldError{{Field: name, Message: "is not a known field"}}}
			}
			next = ft
		}
		if err := ck.value(next, name); err != nil {
			return err
		}
	}
	_, err := ck.dec.Token()
	return err
}

// structFields returns the JSON member names of struct t with their types, as
// encoding/json names them, embedded structs included.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					if _, taken := out[k]; !taken {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// loneSurrogate reports whether a JSON text escapes a UTF-16 surrogate that is not
// part of a high-low pair; encoding/json would silently turn it into U+FFFD.
func loneSurrogate(b []byte) bool {
	for i := 0; i+5 < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] != 'u' {
			i++ // skip the escaped character (an escaped backslash included)
			continue
		}
		r, ok := hex4(b[i+2:])
		if !ok {
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if i+11 > len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return true
			}
			lo, ok := hex4(b[i+8:])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
			continue
		}
		i += 5
	}
	return false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}
