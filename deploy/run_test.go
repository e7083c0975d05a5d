package deploy_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

// What the manifests run, runs: the migration Job's command on an empty
// database, then the Deployment's command with the Deployment's whole
// environment (only the database, etcd and listen address swapped for the
// test's, and the pod's volumes laid out in a directory), whose probes
// turn 200. SIGTERM, as the kubelet sends it, stops the replica cleanly
// within the grace period.
func TestManifestCommandsRun(t *testing.T) {
	t.Parallel()
	bin := builtBinary(t)
	m := mustLoad(t)
	dbURL := pgtest.NewEmptyDatabase(t)
	etcd := etcdtest.Endpoints(t)

	job := one[*batchv1.Job](t, m, "ezplatform-migrate")
	jc := &job.Spec.Template.Spec.Containers[0]
	jobEnv := containerEnv(t, m, jc, pod{name: "ezplatform-migrate-x", namespace: "ns"})
	jobEnv["EZ_DATABASE_URL"] = dbURL
	migrate := exec.Command(bin, slices.Concat(jc.Command, jc.Args)...)
	migrate.Env = envList(jobEnv)
	out, err := migrate.CombinedOutput()
	require.NoError(t, err, "the migration Job's command: %s", out)
	require.Contains(t, string(out), "schema version")

	d, c := replicaContainer(t, m)
	env := containerEnv(t, m, c, pod{name: "ezplatform-0", namespace: "ns", ip: "127.0.0.1"})
	root := layOutVolumes(t, m, &d.Spec.Template.Spec, c, map[string]string{"token": auth.NewSecret()})
	env = inRoot(t, c, env, root)
	env["EZ_DATABASE_URL"] = dbURL
	env["EZ_ETCD_ENDPOINTS"] = strings.Join(etcd, ",")
	addr := freeAddr(t)
	env["EZ_HTTP_ADDR"] = addr

	var output, logs syncbuf.Buffer
	replica := exec.Command(bin, slices.Concat(c.Command, c.Args)...)
	replica.Env = envList(env)
	replica.Stdout, replica.Stderr = &output, io.MultiWriter(&output, &logs)
	require.NoError(t, replica.Start())
	exited := make(chan error, 1)
	go func() { exited <- replica.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = replica.Process.Kill()
			<-exited
		}
	})

	probe := func(path string) func() bool {
		return func() bool {
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				return false
			}
			_ = resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}
	}
	live, ready := c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path
	require.Eventually(t, probe(live), time.Minute, 100*time.Millisecond, "liveness %s never answered 200:\n%s", live, &output)
	require.Eventually(t, probe(ready), time.Minute, 100*time.Millisecond, "readiness %s never answered 200:\n%s", ready, &output)

	require.NoError(t, replica.Process.Signal(syscall.SIGTERM))
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	select {
	case err := <-exited:
		stopped = true
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("the replica exited with %v after SIGTERM:\n%s", err, &output)
		}
		require.NoError(t, err)
	case <-time.After(grace):
		t.Fatalf("the replica was still running %s after SIGTERM, when the kubelet kills it:\n%s", grace, &output)
	}

	// The log is in the format the ConfigMap asks for: one JSON object a
	// line, for the cluster's log collector.
	require.Equal(t, "json", env["EZ_LOG_FORMAT"])
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.NotEmpty(t, lines[0], "the replica logged nothing")
	for _, line := range lines {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "a log line that is not JSON: %s", line)
		require.Contains(t, entry, "msg")
	}
}

// envList is env as exec wants it; nothing of the test's own environment
// leaks in, as nothing of the node's does into a container.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
