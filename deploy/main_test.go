package deploy_test

import (
	"os"
	"testing"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
)

// The run test uses one PostgreSQL cluster and one etcd; both go when the
// tests end, and so does the binary they built.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	etcdtest.Stop()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
