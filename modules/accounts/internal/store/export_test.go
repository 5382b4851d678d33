package store

import "github.com/kontor-app/kontor/platform/money"

// AmountKeyForTest exposes amountKey to the external test package.
func AmountKeyForTest(a money.Amount) string { return amountKey(a) }
