package deploy_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The etcd members agree with each other and with the replicas: the
// initial cluster names every member by its stable name in the headless
// Service, each member advertises the URLs the others know it by, and
// EZ_ETCD_ENDPOINTS lists every member's client URL.
func TestEtcdMembersAgree(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	sts := one[*appsv1.StatefulSet](t, m, "etcd")
	require.EqualValues(t, 3, *sts.Spec.Replicas)
	require.Equal(t, appsv1.ParallelPodManagement, sts.Spec.PodManagementPolicy, "members need each other to turn ready")
	requireSelects(t, sts.Spec.Selector, sts.Spec.Template.Labels, "StatefulSet/etcd")
	requirePDB(t, m, one[*policyv1.PodDisruptionBudget](t, m, "etcd"), "StatefulSet/etcd", *sts.Spec.Replicas)

	svc := one[*corev1.Service](t, m, sts.Spec.ServiceName)
	require.Equal(t, corev1.ClusterIPNone, svc.Spec.ClusterIP, "a headless Service gives members stable names")
	require.True(t, svc.Spec.PublishNotReadyAddresses, "members find each other before there is quorum")
	require.Equal(t, []string{"StatefulSet/etcd"}, selectedBy(t, m, labels.SelectorFromSet(svc.Spec.Selector)))

	require.Len(t, sts.Spec.Template.Spec.Containers, 1)
	c := &sts.Spec.Template.Spec.Containers[0]
	for _, p := range svc.Spec.Ports {
		containerPort(t, c, p.TargetPort.StrVal)
	}
	peer, client := containerPort(t, c, "peer"), containerPort(t, c, "client")

	flags := map[string]string{}
	for _, arg := range c.Args {
		k, v, ok := strings.Cut(arg, "=")
		require.True(t, ok && strings.HasPrefix(k, "--"), "etcd arg %q: want --flag=value", arg)
		require.NotContains(t, flags, k, "etcd flag %s given twice", k)
		flags[k] = v
	}
	// Kubernetes expands $(VAR) from the container's env only.
	env := map[string]bool{}
	for _, e := range c.Env {
		env[e.Name] = true
	}
	for _, ref := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(strings.Join(c.Args, " "), -1) {
		require.True(t, env[ref[1]], "etcd args use $(%s), which the container's env does not set", ref[1])
	}

	member := func(name string) string {
		return fmt.Sprintf("%s.%s.$(POD_NAMESPACE).svc", name, svc.Name)
	}
	var initial, endpoints []string
	for i := range int(*sts.Spec.Replicas) {
		name := fmt.Sprintf("%s-%d", sts.Name, i)
		initial = append(initial, fmt.Sprintf("%s=http://%s:%d", name, member(name), peer))
		endpoints = append(endpoints, fmt.Sprintf("http://%s.%s:%d", name, svc.Name, client))
	}
	require.Equal(t, strings.Join(initial, ","), flags["--initial-cluster"])
	require.Equal(t, "$(POD_NAME)", flags["--name"])
	require.Equal(t, fmt.Sprintf("http://%s:%d", member("$(POD_NAME)"), peer), flags["--initial-advertise-peer-urls"])
	require.Equal(t, fmt.Sprintf("http://%s:%d", member("$(POD_NAME)"), client), flags["--advertise-client-urls"])
	require.Equal(t, fmt.Sprintf("http://0.0.0.0:%d", peer), flags["--listen-peer-urls"])
	require.Equal(t, fmt.Sprintf("http://0.0.0.0:%d", client), flags["--listen-client-urls"])
	require.Equal(t, fmt.Sprintf("http://0.0.0.0:%d", containerPort(t, c, "metrics")), flags["--listen-metrics-urls"])
	require.Equal(t, "new", flags["--initial-cluster-state"])

	// Data on the claim of each member, not on the read-only root.
	require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
	claim := sts.Spec.VolumeClaimTemplates[0]
	require.Equal(t, claim.Name, mountOf(t, c, flags["--data-dir"]).Name, "--data-dir is on the member's claim")

	require.Equal(t, endpoints, replicaConfig(t, m).EtcdEndpoints, "EZ_ETCD_ENDPOINTS lists every member")
}
