package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// dockerStage is one FROM and what follows it.
type dockerStage struct {
	image, name  string
	env          map[string]string
	instructions []instruction
}

// find returns the args of every instruction cmd of the stage.
func (s *dockerStage) find(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

type dockerfile struct {
	stages []*dockerStage
}

// parseDockerfile reads the subset of the Dockerfile syntax that ours uses,
// and refuses what it does not know, so that a check never passes by
// reading past something it did not understand.
func parseDockerfile(file string) (*dockerfile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	df := &dockerfile{}
	var pending string
	scanner := bufio.NewScanner(f)
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			stage := &dockerStage{image: fields[0], env: map[string]string{}}
			switch {
			case len(fields) == 3 && strings.EqualFold(fields[1], "AS"):
				stage.name = fields[2]
			case len(fields) != 1:
				return nil, fmt.Errorf("%s:%d: FROM %q: want IMAGE [AS NAME]", file, n, in.args)
			}
			df.stages = append(df.stages, stage)
			continue
		}
		if len(df.stages) == 0 {
			return nil, fmt.Errorf("%s:%d: %s before FROM", file, n, in.cmd)
		}
		stage := df.stages[len(df.stages)-1]
		switch in.cmd {
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.ContainsAny(v, `"'$`) {
					return nil, fmt.Errorf("%s:%d: ENV %q: want plain KEY=VALUE pairs", file, n, kv)
				}
				stage.env[k] = v
			}
		case "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "ENTRYPOINT", "CMD":
		default:
			return nil, fmt.Errorf("%s:%d: %s: an instruction this test does not know", file, n, in.cmd)
		}
		stage.instructions = append(stage.instructions, in)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if pending != "" {
		return nil, fmt.Errorf("%s: ends in a continuation line", file)
	}
	return df, nil
}

func mustParseDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	require.Len(t, df.stages, 2, "a build stage and a runtime stage")
	return df
}

// execForm decodes a JSON-array instruction (ENTRYPOINT, CMD).
func execForm(t *testing.T, args string) []string {
	t.Helper()
	var out []string
	require.NoError(t, json.Unmarshal([]byte(args), &out), "%q: use the JSON (exec) form, so that signals reach the binary", args)
	return out
}

// makefileBin is the Makefile's BIN, where `make build` writes the binary.
func makefileBin(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^BIN\s*:?=\s*(\S+)\s*$`).FindSubmatch(raw)
	require.NotNil(t, m, "Makefile: no BIN := ...")
	recipe := regexp.MustCompile(`(?m)^build:.*\n\t(.*)$`).FindSubmatch(raw)
	require.NotNil(t, recipe, "Makefile: no build target")
	require.Regexp(t, `\$\(GO\) build .*-o \$\(BIN\) .*\./cmd/ezplatform`, string(recipe[1]),
		"Makefile: make build no longer builds ./cmd/ezplatform into $(BIN)")
	return string(m[1])
}

// The build stage is the Go image pinned to 1.26, builds with CGO off, and
// its build command is the Makefile's.
func TestDockerfileBuildsWithMake(t *testing.T) {
	t.Parallel()
	build := mustParseDockerfile(t).stages[0]

	require.Regexp(t, `^golang:1\.26(\.\d+)?(-[a-z0-9]+)?$`, build.image)
	require.NotEmpty(t, build.name, "the build stage is named, for COPY --from")
	require.Equal(t, "0", build.env["CGO_ENABLED"], "a static binary: CGO_ENABLED=0")
	require.Equal(t, "local", build.env["GOTOOLCHAIN"], "the image's Go, not a download")
	runs := build.find("RUN")
	require.NotEmpty(t, runs)
	require.Equal(t, "make build", runs[len(runs)-1], "the last RUN of the build stage is the Makefile's build")
	for _, run := range runs[:len(runs)-1] {
		require.NotContains(t, run, "go build", "the binary is built by make build only")
	}

	workdirs := build.find("WORKDIR")
	require.Len(t, workdirs, 1)
	runtime := mustParseDockerfile(t).stages[1]
	copies := runtime.find("COPY")
	require.Len(t, copies, 1)
	require.Equal(t, []string{"--from=" + build.name, path.Join(workdirs[0], makefileBin(t)), "/usr/local/bin/ezplatform"},
		strings.Fields(copies[0]), "the runtime stage copies what make build wrote")
}

// The runtime image is pinned, runs the binary as a non-root user (the one
// the Kubernetes manifests name), and listens where the manifests probe.
func TestDockerfileRuntimeStage(t *testing.T) {
	t.Parallel()
	runtime := mustParseDockerfile(t).stages[1]
	require.NoError(t, imagePinned(runtime.image))
	require.NotContains(t, runtime.image, "golang", "the runtime image carries no toolchain")

	users := runtime.find("USER")
	require.Len(t, users, 1)
	uidText, gidText, ok := strings.Cut(users[0], ":")
	require.True(t, ok, "USER %q: give uid:gid as numbers, so that runAsNonRoot can check them", users[0])
	uid, err := strconv.ParseInt(uidText, 10, 64)
	require.NoError(t, err)
	gid, err := strconv.ParseInt(gidText, 10, 64)
	require.NoError(t, err)
	require.NotZero(t, uid, "not root")
	require.NotZero(t, gid, "not root's group")

	require.Equal(t, []string{"/usr/local/bin/ezplatform"}, execForm(t, lastOf(t, runtime.find("ENTRYPOINT"))))
	require.Equal(t, []string{"serve"}, execForm(t, lastOf(t, runtime.find("CMD"))))

	_, port, err := net.SplitHostPort(runtime.env["EZ_HTTP_ADDR"])
	require.NoError(t, err, "the image sets EZ_HTTP_ADDR to listen on every interface")
	require.Equal(t, []string{port}, runtime.find("EXPOSE"))

	m := mustLoad(t)
	for _, w := range workloads(m) {
		for _, c := range w.template.Spec.Containers {
			if !isEZPlatform(c) {
				continue
			}
			sc := w.template.Spec.SecurityContext
			require.NotNil(t, sc, w.String())
			require.Equal(t, uid, *sc.RunAsUser, "%s runs as the image's user", w)
			require.Equal(t, gid, *sc.RunAsGroup, "%s runs as the image's group", w)
		}
	}
	_, c := replicaContainer(t, m)
	require.Equal(t, port, strconv.Itoa(int(containerPort(t, c, "http"))), "the Deployment's http port is the image's")
}

func lastOf(t *testing.T, args []string) string {
	t.Helper()
	require.NotEmpty(t, args)
	return args[len(args)-1]
}

// imagePinned refuses an image without a tag or digest, or tagged latest.
func imagePinned(image string) error {
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash {
		return fmt.Errorf("image %q has no tag: pin it", image)
	}
	if tag := image[colon+1:]; tag == "latest" {
		return fmt.Errorf("image %q is tagged latest: pin a version", image)
	}
	return nil
}
