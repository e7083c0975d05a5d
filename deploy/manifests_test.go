// Package deploy_test checks the deployment files (deploy/kubernetes, the
// Dockerfile) against the Kubernetes API types and against the binary they
// run. The directory holds only tests: the files they check are data.
package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kubernetesDir holds the manifests, relative to this package.
const kubernetesDir = "kubernetes"

// kustomization is the part of kustomize's Kustomization that the
// manifests use; decoding it strictly refuses anything else, so a field
// added there is added here too, on purpose.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors,omitempty"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images"`
}

// object is one manifest document, decoded.
type object struct {
	file string
	obj  runtime.Object
}

// manifests is everything kustomization.yaml lists, decoded once per test
// binary: each file as written, and what `kubectl apply -k` sends, as
// kustomize renders it (the namespace and images filled in), on which the
// checks run.
type manifests struct {
	kustomization kustomization
	files         []object
	objects       []object
}

var loadManifests = sync.OnceValues(func() (*manifests, error) {
	raw, err := os.ReadFile(filepath.Join(kubernetesDir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	m := &manifests{}
	if err := yaml.UnmarshalStrict(raw, &m.kustomization); err != nil {
		return nil, fmt.Errorf("kustomization.yaml: %w", err)
	}
	for _, file := range m.kustomization.Resources {
		objs, err := decodeFile(filepath.Join(kubernetesDir, file))
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			m.files = append(m.files, object{file: file, obj: obj})
		}
	}

	rendered, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), kubernetesDir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", kubernetesDir, err)
	}
	out, err := rendered.AsYaml()
	if err != nil {
		return nil, err
	}
	objs, err := decodeDocuments("kustomize build", bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	for _, obj := range objs {
		m.objects = append(m.objects, object{file: "kustomize build", obj: obj})
	}
	return m, nil
})

// mustLoad returns the manifests or fails the test.
func mustLoad(t *testing.T) *manifests {
	t.Helper()
	m, err := loadManifests()
	require.NoError(t, err)
	return m
}

// scheme knows the API types the manifests may use; any other kind fails
// to decode.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder is the API server's strict decoding: unknown fields,
// duplicate fields and fields in the wrong case are errors.
var strictDecoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

// decodeStrict decodes one YAML document into its Kubernetes type.
func decodeStrict(doc []byte) (runtime.Object, error) {
	obj, _, err := strictDecoder.Decode(doc, nil, nil)
	return obj, err
}

// decodeFile decodes every document of a YAML file.
func decodeFile(path string) ([]runtime.Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeDocuments(path, f)
}

// decodeDocuments decodes every document of a YAML stream.
func decodeDocuments(path string, r io.Reader) ([]runtime.Object, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var objs []runtime.Object
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if onlyComments(doc) {
			continue
		}
		obj, err := decodeStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no objects", path)
	}
	return objs, nil
}

func onlyComments(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// all returns the objects of type T.
func all[T runtime.Object](m *manifests) []T {
	var out []T
	for _, o := range m.objects {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the object of type T named name, or fails.
func one[T interface {
	runtime.Object
	GetName() string
}](t *testing.T, m *manifests, name string) T {
	t.Helper()
	for _, v := range all[T](m) {
		if v.GetName() == name {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T named %q in %s", zero, name, kubernetesDir)
	return zero
}

// workload is a pod template with the name of what owns it.
type workload struct {
	kind, name string
	template   *corev1.PodTemplateSpec
	claims     []string // a StatefulSet's volumeClaimTemplates, volumes too
}

func (w workload) String() string { return w.kind + "/" + w.name }

// workloads returns every pod template of the manifests.
func workloads(m *manifests) []workload {
	var out []workload
	for _, d := range all[*appsv1.Deployment](m) {
		out = append(out, workload{kind: "Deployment", name: d.Name, template: &d.Spec.Template})
	}
	for _, s := range all[*appsv1.StatefulSet](m) {
		w := workload{kind: "StatefulSet", name: s.Name, template: &s.Spec.Template}
		for _, c := range s.Spec.VolumeClaimTemplates {
			w.claims = append(w.claims, c.Name)
		}
		out = append(out, w)
	}
	for _, j := range all[*batchv1.Job](m) {
		out = append(out, workload{kind: "Job", name: j.Name, template: &j.Spec.Template})
	}
	return out
}

// replicaContainer is the `ezplatform serve` container of the Deployment.
func replicaContainer(t *testing.T, m *manifests) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	d := one[*appsv1.Deployment](t, m, "ezplatform")
	for i, c := range d.Spec.Template.Spec.Containers {
		if slices.Equal(c.Args, []string{"serve"}) {
			return d, &d.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment/ezplatform has no container with args [serve]")
	return nil, nil
}

// isEZPlatform tells the containers that run our image.
func isEZPlatform(c corev1.Container) bool {
	return imageRepository(c.Image) == "ezplatform" || strings.HasSuffix(imageRepository(c.Image), "/ezplatform")
}

// imageRepository is an image reference without its tag or digest.
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if colon := strings.LastIndex(image, ":"); colon > strings.LastIndex(image, "/") {
		image = image[:colon]
	}
	return image
}
