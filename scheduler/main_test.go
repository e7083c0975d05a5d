package scheduler

import (
	"os"
	"testing"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	code := pgtest.Run(m)
	etcdtest.Stop()
	os.Exit(code)
}
