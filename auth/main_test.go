package auth_test

import (
	"testing"

	"github.com/ezplatform/ezplatform/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
