package deploy_test

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/scheduler"
)

// Every manifest decodes strictly, kustomization.yaml lists each file of
// the directory, and namespaces come from kustomization.yaml alone.
func TestManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)

	files, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	require.NoError(t, err)
	var listed []string
	for _, f := range files {
		if name := filepath.Base(f); name != "kustomization.yaml" {
			listed = append(listed, name)
		}
	}
	require.ElementsMatch(t, listed, m.kustomization.Resources, "kustomization.yaml lists every manifest, once")
	require.Equal(t, "kustomize.config.k8s.io/v1beta1", m.kustomization.APIVersion)
	require.Equal(t, "Kustomization", m.kustomization.Kind)
	for _, l := range m.kustomization.Labels {
		require.False(t, l.IncludeSelectors, "selectors are immutable: common labels stay out of them")
	}

	ns := all[*corev1.Namespace](m)
	require.Len(t, ns, 1)
	require.Equal(t, m.kustomization.Namespace, ns[0].Name)
	var written, rendered []string
	for _, o := range m.files {
		meta, err := apimeta.Accessor(o.obj)
		require.NoError(t, err)
		require.NotEmpty(t, meta.GetName(), o.file)
		require.Empty(t, meta.GetNamespace(), "%s: the namespace is kustomization.yaml's", o.file)
		written = append(written, fmt.Sprintf("%T %s", o.obj, meta.GetName()))
	}
	// kustomize puts everything in the namespace, and adds or drops nothing.
	for _, o := range m.objects {
		meta, err := apimeta.Accessor(o.obj)
		require.NoError(t, err)
		if _, isNamespace := o.obj.(*corev1.Namespace); !isNamespace {
			require.Equal(t, m.kustomization.Namespace, meta.GetNamespace(), meta.GetName())
		}
		rendered = append(rendered, fmt.Sprintf("%T %s", o.obj, meta.GetName()))
	}
	require.ElementsMatch(t, written, rendered)

	kinds := map[string]int{}
	for _, o := range m.objects {
		kinds[fmt.Sprintf("%T", o.obj)]++
	}
	require.Equal(t, map[string]int{
		"*v1.Namespace": 1, "*v1.ConfigMap": 1, "*v1.Secret": 2, "*v1.PersistentVolumeClaim": 1,
		"*v1.Service": 2, "*v1.StatefulSet": 1, "*v1.Deployment": 1, "*v1.Job": 1,
		"*v1.PodDisruptionBudget": 2,
	}, kinds)
}

// The decoder the test uses is strict: it refuses what the API server's
// strict field validation refuses.
func TestStrictDecodingRefusesMistakes(t *testing.T) {
	t.Parallel()
	const good = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 3\n"
	_, err := decodeStrict([]byte(good))
	require.NoError(t, err)
	for name, doc := range map[string]string{
		"unknown field":   strings.Replace(good, "replicas: 3", "replica: 3", 1),
		"wrong case":      strings.Replace(good, "replicas: 3", "Replicas: 3", 1),
		"duplicate field": good + "  replicas: 4\n",
		"nested unknown":  good + "  template:\n    spec:\n      containers:\n        - name: a\n          imag: b\n",
		"unknown kind":    strings.Replace(good, "kind: Deployment", "kind: Deploymint", 1),
		"wrong type":      strings.Replace(good, "replicas: 3", "replicas: three", 1),
	} {
		_, err := decodeStrict([]byte(doc))
		require.Error(t, err, name)
	}
}

// Long-running containers are probed over HTTP on a port they declare:
// replicas at /healthz (liveness) and /readyz (readiness), etcd members at
// their own /livez and /readyz.
func TestContainersAreProbed(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	want := map[string][2]string{"ezplatform": {"/healthz", "/readyz"}, "etcd": {"/livez", "/readyz"}}
	seen := map[string]bool{}
	for _, w := range workloads(m) {
		if w.kind == "Job" {
			continue // runs to completion; nothing to probe
		}
		for i := range w.template.Spec.Containers {
			c := &w.template.Spec.Containers[i]
			paths, ok := want[c.Name]
			require.True(t, ok, "%s: container %s: which probes does it need?", w, c.Name)
			seen[c.Name] = true
			for kind, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				require.NotNil(t, probe, "%s: %s has no %s probe", w, c.Name, kind)
				require.NotNil(t, probe.HTTPGet, "%s: %s: %s probe over HTTP", w, c.Name, kind)
				wantPath := paths[0]
				if kind == "readiness" {
					wantPath = paths[1]
				}
				require.Equal(t, wantPath, probe.HTTPGet.Path, "%s: %s: %s probe", w, c.Name, kind)
				requirePortDeclared(t, c, probe.HTTPGet.Port)
			}
			if c.StartupProbe != nil {
				require.NotNil(t, c.StartupProbe.HTTPGet)
				require.Equal(t, paths[0], c.StartupProbe.HTTPGet.Path, "%s: %s: startup probe", w, c.Name)
			}
		}
	}
	require.Len(t, seen, len(want))

	// The replica's probes reach the port it listens on.
	d, c := replicaContainer(t, m)
	env := containerEnv(t, m, c, pod{name: d.Name + "-0", namespace: "ns"})
	cfg := replicaConfig(t, m)
	require.Equal(t, cfg.HTTPAddr, env["EZ_HTTP_ADDR"])
	require.Equal(t, "0.0.0.0:"+fmt.Sprint(containerPort(t, c, c.LivenessProbe.HTTPGet.Port.StrVal)), cfg.HTTPAddr,
		"the replica listens on every interface, on the probed port")
}

// containerPort returns the number of c's port called name.
func containerPort(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, name)
	return 0
}

func requirePortDeclared(t *testing.T, c *corev1.Container, port intstr.IntOrString) {
	t.Helper()
	require.Equal(t, intstr.String, port.Type, "container %s: refer to ports by name", c.Name)
	containerPort(t, c, port.StrVal)
}

// Kubernetes waits for a stopping replica longer than its shutdown takes: the
// preStop pause, River's running jobs and the in-flight requests (up to
// the shutdown timeout each, one after the other), and the leader's etcd
// session TTL, within which a replica that could not resign is replaced.
func TestGracePeriodCoversShutdown(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	d, c := replicaContainer(t, m)
	cfg := replicaConfig(t, m)

	ttl := cfg.SessionTTL
	if ttl == 0 {
		ttl = scheduler.DefaultSessionTTL
	}
	shutdown := cfg.ShutdownTimeout
	if shutdown == 0 {
		shutdown = server.DefaultShutdownTimeout
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		require.NotNil(t, c.Lifecycle.PreStop.Sleep, "preStop: the image has no shell; use sleep")
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	require.NotNil(t, d.Spec.Template.Spec.TerminationGracePeriodSeconds)
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	need := preStop + 2*shutdown + ttl
	require.Greater(t, grace, need, "terminationGracePeriodSeconds (%s) must exceed preStop %s + 2×shutdown %s + session TTL %s",
		grace, preStop, shutdown, ttl)
}

// Every EZ_* variable the manifests set is one the binary reads: a typo,
// or a setting that was renamed, would otherwise be ignored in silence.
func TestManifestsSetOnlyVariablesTheBinaryReads(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	reads := variablesTheBinaryReads(t)
	set := map[string]string{}
	for _, cm := range all[*corev1.ConfigMap](m) {
		for k := range cm.Data {
			set[k] = "ConfigMap/" + cm.Name
		}
	}
	for _, w := range workloads(m) {
		for _, c := range w.template.Spec.Containers {
			for _, e := range c.Env {
				set[e.Name] = w.String() + " container " + c.Name
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if strings.HasPrefix(name, "EZ_") {
			require.True(t, reads[name], "%s sets %s, which the binary does not read (it reads %v)",
				set[name], name, slices.Sorted(maps.Keys(reads)))
		}
	}
	for _, required := range []string{"EZ_DATABASE_URL", "EZ_ETCD_ENDPOINTS", "EZ_DATA_ROOTS"} {
		require.True(t, reads[required], "the binary no longer reads %s: update the manifests", required)
	}
}

// The replica's whole environment, as the Deployment builds it, is accepted
// by the binary's own configuration parser, with every path it names
// inside a volume the pod mounts.
func TestReplicaConfigurationIsAccepted(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	cfg := replicaConfig(t, m)
	require.Equal(t, "ezplatform-0", cfg.ReplicaID, "replicas are named after their pods")
	require.Len(t, cfg.EtcdEndpoints, 3)
	require.NotEmpty(t, cfg.DataRoots.List())

	// Production settings: authentication on, with the first token from its
	// Secret; no introspection; /metrics open to the cluster's Prometheus.
	require.False(t, cfg.InsecureNoAuth, "the replicas never run without authentication")
	_, c := replicaContainer(t, m)
	require.NotContains(t, slices.Concat(c.Command, c.Args), "--insecure-no-auth")
	require.NotEmpty(t, cfg.BootstrapTokenFile)
	require.True(t, cfg.NoIntrospection)
	require.True(t, cfg.MetricsPublic)

	// The migration Job reads the same database as the replicas.
	job := one[*batchv1.Job](t, m, "ezplatform-migrate")
	require.Len(t, job.Spec.Template.Spec.Containers, 1)
	jc := &job.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"migrate", "up"}, jc.Args)
	jobEnv := containerEnv(t, m, jc, pod{name: "ezplatform-migrate-x", namespace: "ns"})
	require.Equal(t, cfg.DatabaseURL, jobEnv["EZ_DATABASE_URL"])
	require.Equal(t, corev1.RestartPolicyOnFailure, job.Spec.Template.Spec.RestartPolicy)
}

// replicaConfig runs server.ConfigFromEnv on the Deployment's environment
// for a pod named ezplatform-0. The pod's volumes are laid out under a
// temporary directory (Secrets with their files), and paths in the
// environment are read there.
func replicaConfig(t *testing.T, m *manifests) *server.Config {
	t.Helper()
	d, c := replicaContainer(t, m)
	env := containerEnv(t, m, c, pod{name: "ezplatform-0", namespace: "ns", ip: "10.0.0.1"})
	root := layOutVolumes(t, m, &d.Spec.Template.Spec, c, nil)
	env = inRoot(t, c, env, root)
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err, "the binary refuses the Deployment's configuration")
	return cfg
}

// The replicas: three, rolled one at a time, selected by their Service and
// PodDisruptionBudget (and nothing else is), with their data mounted
// read-only from a claim the manifests make.
func TestReplicaDeployment(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	d, c := replicaContainer(t, m)
	require.EqualValues(t, 3, *d.Spec.Replicas)
	require.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, d.Spec.Strategy.Type)
	requireSelects(t, d.Spec.Selector, d.Spec.Template.Labels, "Deployment/"+d.Name)

	svc := one[*corev1.Service](t, m, "ezplatform")
	require.Equal(t, []string{"Deployment/ezplatform"}, selectedBy(t, m, labels.SelectorFromSet(svc.Spec.Selector)),
		"Service/ezplatform selects the replicas only (not the migration Job)")
	for _, p := range svc.Spec.Ports {
		containerPort(t, c, p.TargetPort.StrVal)
	}
	pdb := one[*policyv1.PodDisruptionBudget](t, m, "ezplatform")
	requirePDB(t, m, pdb, "Deployment/ezplatform", *d.Spec.Replicas)

	// Each data root is on a read-only mount of a claim that every replica
	// can mount at once, on any node.
	env := containerEnv(t, m, c, pod{name: "ezplatform-0", namespace: "ns"})
	for _, root := range strings.Split(env["EZ_DATA_ROOTS"], ":") {
		mount := mountOf(t, c, root)
		require.True(t, mount.ReadOnly, "%s: discovery only reads the data roots", root)
		v := volume(t, &d.Spec.Template.Spec, mount.Name)
		require.NotNil(t, v.PersistentVolumeClaim, "%s: the data volume is a claim", root)
		pvc := one[*corev1.PersistentVolumeClaim](t, m, v.PersistentVolumeClaim.ClaimName)
		require.Contains(t, pvc.Spec.AccessModes, corev1.ReadWriteMany, "%s: every replica mounts the data", root)
	}
}

// requirePDB checks that pdb selects exactly want, and leaves all but one
// of its replicas running.
func requirePDB(t *testing.T, m *manifests, pdb *policyv1.PodDisruptionBudget, want string, replicas int32) {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	require.NoError(t, err)
	require.Equal(t, []string{want}, selectedBy(t, m, sel), "PodDisruptionBudget/%s", pdb.Name)
	require.NotNil(t, pdb.Spec.MaxUnavailable)
	require.Equal(t, intstr.FromInt32(1), *pdb.Spec.MaxUnavailable)
	require.Greater(t, replicas, int32(1))
}

func requireSelects(t *testing.T, sel *metav1.LabelSelector, podLabels map[string]string, owner string) {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	require.False(t, s.Empty(), owner)
	require.True(t, s.Matches(labels.Set(podLabels)), "%s: the selector does not match the pod template", owner)
}

// selectedBy names the workloads whose pods sel matches.
func selectedBy(t *testing.T, m *manifests, sel labels.Selector) []string {
	t.Helper()
	var out []string
	for _, w := range workloads(m) {
		if sel.Matches(labels.Set(w.template.Labels)) {
			out = append(out, w.String())
		}
	}
	return out
}

// The Secrets ship placeholders that cannot work: the bootstrap token's is
// not a token (a replica refuses to start on it, rather than seed a token
// everyone can read here), and the database URL's password says what to do.
func TestSecretsArePlaceholders(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	token := secretData(one[*corev1.Secret](t, m, "ezplatform-bootstrap-token"))
	require.Len(t, token, 1)
	require.Contains(t, token["token"], "REPLACE-ME")
	require.ErrorIs(t, auth.CheckSecret(token["token"]), auth.ErrMalformed)

	db := secretData(one[*corev1.Secret](t, m, "ezplatform-database"))
	require.Len(t, db, 1)
	u, err := url.Parse(db["url"])
	require.NoError(t, err)
	password, _ := u.User.Password()
	require.Equal(t, "REPLACE-ME", password)
	require.Equal(t, "require", u.Query().Get("sslmode"), "the example connects over TLS")
}
