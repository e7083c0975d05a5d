package graph_test

import (
	"os"
	"testing"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	etcdtest.Stop()
	os.Exit(code)
}
