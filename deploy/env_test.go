package deploy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// pod is what the downward API tells a container about its pod.
type pod struct {
	name, namespace, ip string
}

// containerEnv is the environment Kubernetes gives container c: the
// envFrom sources in order, then env, which wins. Secrets and ConfigMaps
// are read from the manifests, so a reference to one that is missing, or
// to a key it lacks, fails the test.
func containerEnv(t *testing.T, m *manifests, c *corev1.Container, p pod) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			for k, v := range one[*corev1.ConfigMap](t, m, from.ConfigMapRef.Name).Data {
				env[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			for k, v := range secretData(one[*corev1.Secret](t, m, from.SecretRef.Name)) {
				env[from.Prefix+k] = v
			}
		default:
			t.Fatalf("container %s: envFrom without a source", c.Name)
		}
	}
	for _, e := range c.Env {
		env[e.Name] = envValue(t, m, c, p, e)
	}
	return env
}

func envValue(t *testing.T, m *manifests, c *corev1.Container, p pod, e corev1.EnvVar) string {
	t.Helper()
	from := e.ValueFrom
	if from == nil {
		return e.Value
	}
	switch {
	case from.FieldRef != nil:
		switch from.FieldRef.FieldPath {
		case "metadata.name":
			return p.name
		case "metadata.namespace":
			return p.namespace
		case "status.podIP":
			return p.ip
		}
		t.Fatalf("container %s: %s: field %q is not one the test knows", c.Name, e.Name, from.FieldRef.FieldPath)
	case from.SecretKeyRef != nil:
		data := secretData(one[*corev1.Secret](t, m, from.SecretKeyRef.Name))
		v, ok := data[from.SecretKeyRef.Key]
		require.True(t, ok, "container %s: %s: Secret %s has no key %q", c.Name, e.Name, from.SecretKeyRef.Name, from.SecretKeyRef.Key)
		return v
	case from.ConfigMapKeyRef != nil:
		data := one[*corev1.ConfigMap](t, m, from.ConfigMapKeyRef.Name).Data
		v, ok := data[from.ConfigMapKeyRef.Key]
		require.True(t, ok, "container %s: %s: ConfigMap %s has no key %q", c.Name, e.Name, from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Key)
		return v
	case from.ResourceFieldRef != nil:
		q, ok := c.Resources.Limits[corev1.ResourceName(from.ResourceFieldRef.Resource[len("limits."):])]
		require.True(t, ok, "container %s: %s: no %s", c.Name, e.Name, from.ResourceFieldRef.Resource)
		return strconv.FormatInt(q.Value(), 10)
	}
	t.Fatalf("container %s: %s: a valueFrom the test does not know", c.Name, e.Name)
	return ""
}

// secretData is a Secret's values as the container sees them.
func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// ezName is a variable of ours.
var ezName = regexp.MustCompile(`^EZ_[A-Z0-9_]+$`)

// variablesTheBinaryReads are the EZ_* names that appear, as a string
// literal of their own, in the non-test Go files of the packages that
// cmd/ezplatform is built from: the names it can look up. A name only
// mentioned in a longer text (a usage line, an error) does not count.
func variablesTheBinaryReads(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, pkg := range binaryPackages(t) {
		for _, name := range pkg.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && ezName.MatchString(s) {
						names[s] = true
					}
				}
				return true
			})
		}
	}
	require.NotEmpty(t, names, "found no EZ_* names in the binary's source")
	return names
}
