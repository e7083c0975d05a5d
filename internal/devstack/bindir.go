package devstack

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MinPostgresMajor is the oldest PostgreSQL major version the dev stack runs.
const MinPostgresMajor = 15

// FindPostgresBinDir finds a directory holding the PostgreSQL server binaries
// initdb and postgres, of major version MinPostgresMajor or newer. It looks,
// in this order, at PATH (following symlinks), at `pg_config --bindir`, at the newest
// /usr/lib/postgresql/*/bin (Debian, Ubuntu), at /usr/pgsql-*/bin (PGDG RPMs)
// and at /usr/local/pgsql/bin (source builds). It runs `postgres --version`
// for each candidate, which takes a few milliseconds.
func FindPostgresBinDir() (string, error) {
	var tooOld []string
	seen := map[string]bool{}
	for _, dir := range postgresBinDirCandidates() {
		if dir == "" || seen[dir] {
			continue
		}
		seen[dir] = true
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			continue
		}
		major, version, err := postgresVersion(dir)
		if err != nil {
			tooOld = append(tooOld, fmt.Sprintf("%s (%v)", dir, err))
			continue
		}
		if major < MinPostgresMajor {
			tooOld = append(tooOld, fmt.Sprintf("%s (PostgreSQL %s)", dir, version))
			continue
		}
		return dir, nil
	}
	msg := fmt.Sprintf("PostgreSQL %d or newer server binaries (initdb, postgres) not found in PATH, `pg_config --bindir`, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin or /usr/local/pgsql/bin", MinPostgresMajor)
	if len(tooOld) > 0 {
		msg += "; unusable: " + strings.Join(tooOld, ", ")
	}
	return "", errors.New(msg + ". Install them (Debian/Ubuntu: `apt-get install postgresql`; Fedora/RHEL: `dnf install postgresql-server`; macOS: `brew install postgresql@17`) or put their bin directory on PATH")
}

// checkBinDir checks a bin directory given by the user.
func checkBinDir(dir string) error {
	for _, name := range []string{"initdb", "postgres"} {
		if !isExecutable(filepath.Join(dir, name)) {
			return fmt.Errorf("PostgreSQL bin directory %s has no executable %s; point it at the directory with the server binaries (`pg_config --bindir`), or leave it empty to search", dir, name)
		}
	}
	major, version, err := postgresVersion(dir)
	if err != nil {
		return fmt.Errorf("PostgreSQL bin directory %s: %w", dir, err)
	}
	if major < MinPostgresMajor {
		return fmt.Errorf("PostgreSQL bin directory %s holds PostgreSQL %s; the dev stack needs %d or newer", dir, version, MinPostgresMajor)
	}
	return nil
}

// postgresBinDirCandidates lists directories to try, best first.
func postgresBinDirCandidates() []string {
	var dirs []string
	if p, err := exec.LookPath("postgres"); err == nil {
		// Resolved, because PATH often holds symlinks into the real bin
		// directory (/usr/local/bin/postgres -> /usr/lib/postgresql/15/bin).
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	if p, err := exec.LookPath("pg_config"); err == nil {
		// pg_config may belong to a client-only install; the checks in
		// FindPostgresBinDir skip the directory then.
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
	}
	dirs = append(dirs, newestFirst("/usr/lib/postgresql/*/bin")...)
	dirs = append(dirs, newestFirst("/usr/pgsql-*/bin")...)
	return append(dirs, "/usr/local/pgsql/bin")
}

// newestFirst expands pattern, whose single * is a version number such as
// "15" or "9.6", and orders the matches by descending version.
func newestFirst(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	prefix, _, _ := strings.Cut(pattern, "*")
	key := func(dir string) float64 {
		v, _, _ := strings.Cut(strings.TrimPrefix(dir, prefix), "/")
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	slices.SortFunc(matches, func(a, b string) int {
		switch ka, kb := key(a), key(b); {
		case ka > kb:
			return -1
		case ka < kb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return matches
}

var postgresVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(\.\d+)?`)

// postgresVersion runs `postgres --version` from dir. It is fine as root:
// postgres answers --version before its root check.
func postgresVersion(dir string) (major int, version string, err error) {
	cmd := exec.Command(filepath.Join(dir, "postgres"), "--version")
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return 0, "", fmt.Errorf("postgres --version: %w", err)
	}
	m := postgresVersionRE.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("cannot parse postgres --version output %q", bytes.TrimSpace(out))
	}
	major, _ = strconv.Atoi(string(m[1]))
	return major, string(m[1]) + string(m[2]), nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
