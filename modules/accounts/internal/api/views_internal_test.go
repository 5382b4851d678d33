package api

import (
	"reflect"
	"testing"

	"github.com/kontor-app/kontor/platform/money"
)

// TestAnswersWriteMoneyInItsCurrency keeps every amount of the answers an
// InCurrency or NullInCurrency, which write the currency's minor units: a bare
// money.Amount knows no currency and would write JPY as "10000.00". Only the
// interest rate, a percentage, stays a plain decimal.
func TestAnswersWriteMoneyInItsCurrency(t *testing.T) {
	plain := map[reflect.Type]bool{reflect.TypeFor[money.Amount](): true, reflect.TypeFor[money.NullAmount](): true}
	allowed := map[string]bool{"accountJSON.InterestRate": true}
	found := 0
	for _, typ := range []reflect.Type{reflect.TypeFor[accountJSON](), reflect.TypeFor[transactionJSON](), reflect.TypeFor[pointJSON](), reflect.TypeFor[seriesJSON]()} {
		for f := range typ.Fields() {
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			name := typ.Name() + "." + f.Name
			if plain[ft] && !allowed[name] {
				t.Errorf("%s is a %s: write it with money.In or money.NullIn", name, ft)
			}
			if ft == reflect.TypeFor[money.InCurrency]() || ft == reflect.TypeFor[money.NullInCurrency]() {
				found++
			}
		}
	}
	if found < 7 {
		t.Errorf("found %d amounts in the answers' types, want at least 7", found)
	}
}
