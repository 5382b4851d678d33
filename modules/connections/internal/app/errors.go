package app

import (
	"errors"

	"github.com/kontor-app/kontor/modules/connections/internal/provider"
)

func asProviderError(err error, pe **provider.Error) bool { return errors.As(err, pe) }
