package deploy_test

import (
	"encoding/json"
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
	corev1 "k8s.io/api/core/v1"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

// What the manifests run, runs: the migration Job's command on an empty
// database, then the Deployment's command with the Deployment's whole
// environment (only the database, etcd and listen address swapped for the
// test's, and the pod's volumes laid out in a directory). With the
// shipped placeholder token the replica refuses to start; with one from
// `ezplatform token generate` its probes turn 200, the token is the admin "bootstrap" token, /metrics
// is public as the ConfigMap says, the log is JSON, and SIGTERM, as the
// kubelet sends it, stops the replica cleanly within the grace period.
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
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	replicaEnv := func(token map[string]string) map[string]string {
		env := containerEnv(t, m, c, pod{name: "ezplatform-0", namespace: "ns", ip: "127.0.0.1"})
		env = inRoot(t, c, env, layOutVolumes(t, m, &d.Spec.Template.Spec, c, token))
		env["EZ_DATABASE_URL"] = dbURL
		env["EZ_ETCD_ENDPOINTS"] = strings.Join(etcd, ",")
		env["EZ_HTTP_ADDR"] = freeAddr(t)
		return env
	}

	t.Run("placeholder token", func(t *testing.T) {
		p := startProcess(t, bin, c, replicaEnv(nil))
		select {
		case err := <-p.exited:
			p.stopped = true
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", &p.output)
			require.Contains(t, p.output.String(), "EZ_BOOTSTRAP_TOKEN_FILE", "the replica says why it stopped")
		case <-time.After(time.Minute):
			t.Fatalf("the replica started with the placeholder token:\n%s", &p.output)
		}
	})

	// The token as docs/DEPLOYMENT.md makes it.
	generated, err := exec.Command(bin, "token", "generate").Output()
	require.NoError(t, err)
	token := strings.TrimSpace(string(generated))
	require.NoError(t, auth.CheckSecret(token))
	env := replicaEnv(map[string]string{"token": token + "\n"})
	p := startProcess(t, bin, c, env)
	base := "http://" + env["EZ_HTTP_ADDR"]
	probe := func(path string) func() bool {
		return func() bool {
			resp, err := http.Get(base + path)
			if err != nil {
				return false
			}
			_ = resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}
	}
	live, ready := c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path
	require.Eventually(t, probe(live), time.Minute, 100*time.Millisecond, "liveness %s never answered 200:\n%s", live, &p.output)
	require.Eventually(t, probe(ready), time.Minute, 100*time.Millisecond, "readiness %s never answered 200:\n%s", ready, &p.output)

	require.Equal(t, "true", env["EZ_METRICS_PUBLIC"])
	require.True(t, probe("/metrics")(), "/metrics answers without a token")

	viewer := func(authorization string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, base+"/graphql",
			strings.NewReader(`{"query":"{ viewer { authEnabled role tokenName } }"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := viewer("Bearer " + token)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"data":{"viewer":{"authEnabled":true,"role":"ADMIN","tokenName":"bootstrap"}}}`, body,
		"the bootstrap token is an admin token")
	code, body = viewer("")
	require.Equal(t, http.StatusUnauthorized, code, "without a token: %s", body)

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.exited:
		p.stopped = true
		require.NoError(t, err, "the replica's exit after SIGTERM:\n%s", &p.output)
	case <-time.After(grace):
		t.Fatalf("the replica was still running %s after SIGTERM, when the kubelet kills it:\n%s", grace, &p.output)
	}

	// The log is in the format the ConfigMap asks for: one JSON object a
	// line, for the cluster's log collector.
	require.Equal(t, "json", env["EZ_LOG_FORMAT"])
	lines := strings.Split(strings.TrimSpace(p.logs.String()), "\n")
	require.NotEmpty(t, lines[0], "the replica logged nothing")
	for _, line := range lines {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "a log line that is not JSON: %s", line)
		require.Contains(t, entry, "msg")
	}
	require.NotContains(t, p.output.String(), token, "the token is never printed")
}

// process is the container's command running as a child of the test.
type process struct {
	cmd          *exec.Cmd
	output, logs syncbuf.Buffer // stdout and stderr; stderr alone
	exited       chan error
	stopped      bool // set once exited was read
}

// startProcess runs container c's command with env, and kills it when the
// test ends if it has not stopped.
func startProcess(t *testing.T, bin string, c *corev1.Container, env map[string]string) *process {
	t.Helper()
	p := &process{exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, slices.Concat(c.Command, c.Args)...)
	p.cmd.Env = envList(env)
	p.cmd.Stdout, p.cmd.Stderr = &p.output, io.MultiWriter(&p.output, &p.logs)
	require.NoError(t, p.cmd.Start())
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.stopped {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
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
