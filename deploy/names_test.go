package deploy_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Names follow the API server's rules, which strict decoding does not
// check: objects are DNS subdomains, Services DNS-1035 labels, containers,
// volumes and ports short labels, env names and keys what the kubelet
// accepts, and labels qualified names with valid values.
func TestNamesAreValid(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	check := func(what string, problems []string) {
		t.Helper()
		require.Empty(t, problems, what)
	}
	for _, o := range m.objects {
		meta, err := apimeta.Accessor(o.obj)
		require.NoError(t, err)
		name := fmt.Sprintf("%T %s", o.obj, meta.GetName())
		check(name, validation.IsDNS1123Subdomain(meta.GetName()))
		for _, k := range slices.Sorted(maps.Keys(meta.GetLabels())) {
			check(name+" label "+k, validation.IsQualifiedName(k))
			check(name+" label "+k, validation.IsValidLabelValue(meta.GetLabels()[k]))
		}
		switch obj := o.obj.(type) {
		case *corev1.Service:
			check(name, validation.IsDNS1035Label(obj.Name))
			for _, p := range obj.Spec.Ports {
				check(name+" port "+p.Name, validation.IsValidPortName(p.Name))
			}
		case *corev1.ConfigMap:
			for k := range obj.Data {
				check(name+" key "+k, validation.IsConfigMapKey(k))
			}
		case *corev1.Secret:
			for k := range secretData(obj) {
				check(name+" key "+k, validation.IsConfigMapKey(k))
			}
		}
	}
	for _, w := range workloads(m) {
		spec := w.template.Spec
		for k, v := range w.template.Labels {
			check(w.String()+" pod label "+k, validation.IsQualifiedName(k))
			check(w.String()+" pod label "+k, validation.IsValidLabelValue(v))
		}
		for _, v := range spec.Volumes {
			check(w.String()+" volume "+v.Name, validation.IsDNS1123Label(v.Name))
		}
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			check(w.String()+" container "+c.Name, validation.IsDNS1123Label(c.Name))
			for _, p := range c.Ports {
				check(w.String()+" port "+p.Name, validation.IsValidPortName(p.Name))
				check(w.String()+" port "+p.Name, validation.IsValidPortNum(int(p.ContainerPort)))
			}
			for _, e := range c.Env {
				check(w.String()+" env "+e.Name, validation.IsEnvVarName(e.Name))
			}
		}
	}
	// A member's pod name is a DNS label under its headless Service.
	for _, s := range all[*appsv1.StatefulSet](m) {
		check("StatefulSet "+s.Name, validation.IsDNS1123Label(fmt.Sprintf("%s-%d", s.Name, *s.Spec.Replicas-1)))
	}
}
