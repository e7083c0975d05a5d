package deploy_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// Images are pinned: ours through kustomization.yaml's images entry,
// etcd to an official v3.5 or v3.6 release.
func TestImagesArePinned(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	require.Len(t, m.kustomization.Images, 1)
	img := m.kustomization.Images[0]
	require.Equal(t, "ezplatform", img.Name, "kustomization.yaml names the image to deploy")
	require.True(t, img.NewTag != "" && img.NewTag != "latest" || img.Digest != "", "kustomization.yaml: pin image %s", img.Name)
	for _, o := range m.files {
		for _, w := range workloads(&manifests{objects: []object{o}}) {
			for _, c := range w.template.Spec.Containers {
				require.NoError(t, imagePinned(c.Image), "%s: %s: container %s", o.file, w, c.Name)
			}
		}
	}
	for _, w := range workloads(m) {
		for _, c := range slices.Concat(w.template.Spec.InitContainers, w.template.Spec.Containers) {
			require.NoError(t, imagePinned(c.Image), "%s: container %s", w, c.Name)
			require.NotEqual(t, corev1.PullAlways, c.ImagePullPolicy, "%s: a pinned image needs no PullAlways", w)
			switch {
			case isEZPlatform(c):
				want := img.NewName + ":" + img.NewTag
				if img.Digest != "" {
					want = img.NewName + "@" + img.Digest
				}
				require.Equal(t, want, c.Image, "%s: kustomize sets our image", w)
			case c.Name == "etcd":
				require.Regexp(t, `^(gcr\.io/etcd-development/etcd|quay\.io/coreos/etcd):v3\.[56]\.\d+$`, c.Image)
			default:
				t.Fatalf("%s: container %s runs an image the test does not know: %s", w, c.Name, c.Image)
			}
		}
	}
}

// Every pod runs as a non-root user with a read-only root filesystem,
// without privileges or a service account token, and with resources set.
func TestPodsRunAsNonRoot(t *testing.T) {
	t.Parallel()
	m := mustLoad(t)
	for _, w := range workloads(m) {
		spec := w.template.Spec
		sc := spec.SecurityContext
		require.NotNil(t, sc, w.String())
		require.True(t, sc.RunAsNonRoot != nil && *sc.RunAsNonRoot, "%s: runAsNonRoot", w)
		require.True(t, sc.RunAsUser != nil && *sc.RunAsUser > 0, "%s: runAsUser", w)
		require.NotNil(t, sc.SeccompProfile, "%s: seccompProfile", w)
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type)
		require.True(t, spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken,
			"%s: talks to no Kubernetes API, so it gets no token", w)
		require.False(t, spec.HostNetwork || spec.HostPID || spec.HostIPC, w.String())
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			csc := c.SecurityContext
			require.NotNil(t, csc, "%s: container %s", w, c.Name)
			require.True(t, csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem, "%s: %s: readOnlyRootFilesystem", w, c.Name)
			require.True(t, csc.AllowPrivilegeEscalation != nil && !*csc.AllowPrivilegeEscalation, "%s: %s: allowPrivilegeEscalation", w, c.Name)
			require.True(t, csc.Privileged == nil || !*csc.Privileged, "%s: %s: privileged", w, c.Name)
			require.True(t, csc.RunAsUser == nil || *csc.RunAsUser > 0, "%s: %s: runAsUser", w, c.Name)
			require.NotNil(t, csc.Capabilities, "%s: %s: capabilities", w, c.Name)
			require.Equal(t, []corev1.Capability{"ALL"}, csc.Capabilities.Drop, "%s: %s", w, c.Name)
			require.Empty(t, csc.Capabilities.Add, "%s: %s", w, c.Name)

			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				require.Contains(t, c.Resources.Requests, r, "%s: %s: requests.%s", w, c.Name, r)
			}
			require.Contains(t, c.Resources.Limits, corev1.ResourceMemory, "%s: %s: limits.memory", w, c.Name)
			if c.Resources.Limits.Memory() != nil {
				require.GreaterOrEqual(t, c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()), 0, "%s: %s: limit ≥ request", w, c.Name)
			}
			for _, mount := range c.VolumeMounts {
				if !slices.Contains(w.claims, mount.Name) {
					volume(t, &spec, mount.Name)
				}
			}
		}
	}
}
