package deploy_test

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ignoreRule is one line of .dockerignore.
type ignoreRule struct {
	pattern *regexp.Regexp
	exclude bool // a "!" line: put matching paths back
}

// parseDockerignore reads .dockerignore with Docker's rules: patterns are
// relative to the context root, `*` and `?` stay within one path element,
// `**` spans any number of them, and the last matching line decides.
func parseDockerignore(t *testing.T) []ignoreRule {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	require.NoError(t, err)
	defer f.Close()
	var rules []ignoreRule
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rule := ignoreRule{}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			rule.exclude, line = true, strings.TrimSpace(rest)
		}
		line = strings.TrimPrefix(path.Clean(line), "/")
		rule.pattern = regexp.MustCompile("^" + globToRegexp(line) + "$")
		rules = append(rules, rule)
	}
	require.NoError(t, scanner.Err())
	require.NotEmpty(t, rules)
	return rules
}

func globToRegexp(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			if strings.HasPrefix(glob[i:], "**/") {
				b.WriteString("(.*/)?")
				i += 2
			} else if strings.HasPrefix(glob[i:], "**") {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// ignored tells whether Docker leaves file (slash-separated, relative to
// the root) out of the context: a pattern that matches a directory leaves
// out everything below it.
func ignored(rules []ignoreRule, file string) bool {
	out := false
	for _, r := range rules {
		for p := file; p != "." && p != "/"; p = path.Dir(p) {
			if r.pattern.MatchString(p) {
				out = !r.exclude
				break
			}
		}
	}
	return out
}

// The build context keeps every file `make build` reads (the Go files of
// the binary's packages, what they embed, go.mod, go.sum and the Makefile)
// and leaves out what is large or local.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	t.Parallel()
	rules := parseDockerignore(t)

	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	needed := []string{"go.mod", "go.sum", "Makefile"}
	for _, pkg := range binaryPackages(t) {
		dir, err := filepath.Rel(root, pkg.Dir)
		require.NoError(t, err)
		for _, name := range append(pkg.GoFiles, pkg.EmbedFiles...) {
			needed = append(needed, filepath.ToSlash(filepath.Join(dir, name)))
		}
	}
	require.Contains(t, needed, "migrations/"+firstMigration(t))
	for _, file := range needed {
		require.False(t, ignored(rules, file), ".dockerignore leaves out %s, which the build needs", file)
	}

	for _, file := range []string{
		".git/HEAD", "bin/ezplatform", "ezplatform", ".ezplatform/stack.env",
		"web/app/node_modules/react/index.js", "internal/clientcompat/node_modules/ws/index.js",
		"web/app/src/main.tsx", "docs/DEPLOYMENT.md", "graph/graph.test",
	} {
		require.True(t, ignored(rules, file), ".dockerignore should leave out %s", file)
	}
}

// firstMigration is the first embedded SQL file, so that the test knows
// EmbedFiles was read at all.
func firstMigration(t *testing.T) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(repoRoot, "migrations", "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, matches)
	return filepath.Base(matches[0])
}

// The matcher reads patterns as Docker does.
func TestDockerignoreMatcher(t *testing.T) {
	t.Parallel()
	rule := func(p string, exclude bool) ignoreRule {
		return ignoreRule{pattern: regexp.MustCompile("^" + globToRegexp(p) + "$"), exclude: exclude}
	}
	rules := []ignoreRule{rule("bin", false), rule("**/node_modules", false), rule("*.test", false), rule("docs", false), rule("docs/keep.md", true)}
	for file, want := range map[string]bool{
		"bin":                   true,
		"bin/x":                 true,
		"cmd/bin/x":             false,
		"node_modules/a":        true,
		"web/app/node_modules/": true,
		"a/b/node_modules/c/d":  true,
		"x.test":                true,
		"graph/x.test":          false, // * stays at the root
		"docs/a.md":             true,
		"docs/keep.md":          false,
	} {
		require.Equal(t, want, ignored(rules, strings.TrimSuffix(file, "/")), file)
	}
}
