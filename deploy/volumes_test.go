package deploy_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// layOutVolumes makes c's volume mounts under a temporary directory:
// directories, with the files of Secret and ConfigMap volumes in them.
// override replaces a Secret key's content (a real token for a run).
func layOutVolumes(t *testing.T, m *manifests, spec *corev1.PodSpec, c *corev1.Container, override map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, mount := range c.VolumeMounts {
		v := volume(t, spec, mount.Name)
		dir := filepath.Join(root, mount.MountPath)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		var data map[string]string
		var items []corev1.KeyToPath
		switch {
		case v.Secret != nil:
			data, items = secretData(one[*corev1.Secret](t, m, v.Secret.SecretName)), v.Secret.Items
		case v.ConfigMap != nil:
			data, items = one[*corev1.ConfigMap](t, m, v.ConfigMap.Name).Data, v.ConfigMap.Items
		default:
			continue
		}
		if items == nil {
			for k := range data {
				items = append(items, corev1.KeyToPath{Key: k, Path: k})
			}
		}
		for _, item := range items {
			content, ok := data[item.Key]
			require.True(t, ok, "volume %s: no key %q", v.Name, item.Key)
			if o, ok := override[item.Key]; ok {
				content = o
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, item.Path), []byte(content), 0o600))
		}
	}
	return root
}

// inRoot moves the absolute paths of EZ_* values (':'-separated lists
// too) under root, and requires each to be inside one of c's mounts.
func inRoot(t *testing.T, c *corev1.Container, env map[string]string, root string) map[string]string {
	t.Helper()
	out := maps.Clone(env)
	for k, v := range env {
		if !strings.HasPrefix(k, "EZ_") || !strings.HasPrefix(v, "/") {
			continue
		}
		var parts []string
		for _, p := range strings.Split(v, ":") {
			require.True(t, mountedAt(c, p), "%s: %s is not inside a volume the container mounts (its root filesystem is read-only)", k, p)
			parts = append(parts, filepath.Join(root, p))
		}
		out[k] = strings.Join(parts, ":")
	}
	return out
}

func mountedAt(c *corev1.Container, p string) bool {
	_, ok := findMount(c, p)
	return ok
}

// findMount returns the mount of c that holds path p.
func findMount(c *corev1.Container, p string) (corev1.VolumeMount, bool) {
	for _, mount := range c.VolumeMounts {
		if rel, err := filepath.Rel(mount.MountPath, p); err == nil && !strings.HasPrefix(rel, "..") {
			return mount, true
		}
	}
	return corev1.VolumeMount{}, false
}

func mountOf(t *testing.T, c *corev1.Container, p string) corev1.VolumeMount {
	t.Helper()
	mount, ok := findMount(c, p)
	require.True(t, ok, "container %s mounts nothing at %s", c.Name, p)
	return mount
}

func volume(t *testing.T, spec *corev1.PodSpec, name string) *corev1.Volume {
	t.Helper()
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	t.Fatalf("no volume %q", name)
	return nil
}
