//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func init() { register(9, diskAndFiles) }

const (
	dirFaultHold  = 8 * time.Second  // how long each directory fault lasts
	recoverWithin = 40 * time.Second // for runs to succeed again once it ends
	bulkWriters   = 4
	rewriteFor    = 8 * time.Second
	rewriteChunk  = 512 // bytes per write: small, so that runs meet half-written states
)

// fileSource is one datasource of scenario 9, on a directory of its own.
type fileSource struct {
	id, name, dir string
}

// filesChaos is what the steps of scenario 9 share. Its datasources are
// not the workload's: the slot checks leave them alone, and the scenario
// deletes them when it ends.
type filesChaos struct {
	bulkFiles int // how many files manyFiles drops at once
	ctx       context.Context
	su        *suite
	s         *scenario
	sources   []*fileSource // still to delete
	created   []string      // ids of every datasource it created
}

// diskAndFiles breaks datasource directories while their runs happen, then
// fills one with 100,000 files and rewrites a file while runs inspect it,
// and checks what PostgreSQL recorded of each (docs/DISCOVERY.md).
func diskAndFiles(t *testing.T, ctx context.Context, su *suite) *scenario {
	bulk := 100_000
	if su.cfg.short {
		bulk = 20_000
	}
	s := &scenario{name: fmt.Sprintf("9. Disk and files (datasource directories removed, replaced by a file, a symlink loop or made unreadable, then restored; "+
		"%d files at once; a file rewritten while runs inspect it)", bulk), from: time.Now()}
	fc := &filesChaos{ctx: ctx, su: su, s: s, bulkFiles: bulk}
	watch := watchReplicas(su.c)
	// The suite's self-check moves the first run after the last scenario
	// began, which must be a workload datasource's: let those run first.
	sleep(ctx, 2*time.Second)
	defer fc.cleanup()
	fc.directoryFaults()
	fc.rewrittenFile()
	fc.manyFiles()
	fc.cleanup()
	fc.checkNothingUnfinished()
	watch.check(s)
	return s
}

// base is the URL of a live replica.
func (fc *filesChaos) base() string {
	if live := fc.su.c.liveReplicas(); len(live) > 0 {
		return live[0].url()
	}
	return fc.su.c.replicas[0].url()
}

// newSource creates datasource chaos-files-<suffix>, on a 1 s interval and
// two attempts per run, watching a new directory below the inbox; extra
// adds or overrides input fields.
func (fc *filesChaos) newSource(suffix, pattern string, extra map[string]any) (*fileSource, error) {
	name := "chaos-files-" + suffix
	src := &fileSource{name: name, dir: filepath.Join(fc.su.c.inbox, name)}
	if err := os.MkdirAll(src.dir, 0o755); err != nil {
		return nil, err
	}
	in := map[string]any{"name": name, "path": src.dir, "filePattern": pattern, "maxAttempts": 2,
		"schedule": map[string]any{"interval": "1s"}}
	maps.Copy(in, extra)
	id, err := createDataSource(fc.ctx, fc.su.c, fc.base(), in)
	if err != nil {
		return nil, err
	}
	src.id = id
	fc.sources = append(fc.sources, src)
	fc.created = append(fc.created, src.id)
	return src, nil
}

// dropSource deletes the datasource and removes its directory, whatever
// state the faults left it in.
func (fc *filesChaos) dropSource(src *fileSource) {
	err := graphql(fc.ctx, fc.base(), fc.su.c.token, `mutation($id: ID!) { deleteDataSource(id: $id) }`, map[string]any{"id": src.id}, nil)
	if err != nil {
		fc.s.finding("deleteDataSource %s: %v", src.name, err)
	}
	_ = os.Chmod(src.dir, 0o755)
	_ = os.RemoveAll(src.dir)
	_ = os.RemoveAll(src.dir + ".aside")
	fc.sources = slices.DeleteFunc(fc.sources, func(s *fileSource) bool { return s == src })
}

func (fc *filesChaos) cleanup() {
	for len(fc.sources) > 0 {
		fc.dropSource(fc.sources[0])
	}
}

// checkNothingUnfinished: once deleted, the scenario's datasources keep no
// run SCHEDULED, RUNNING or RETRYING (a delete cancels the waiting ones, a
// running one finishes).
func (fc *filesChaos) checkNothingUnfinished() {
	var n int
	ok := poll(fc.ctx, 30*time.Second, func() bool {
		n = -1
		_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FROM runs WHERE datasource_id = ANY($1::uuid[])
			AND status IN ('SCHEDULED', 'RUNNING', 'RETRYING')`, fc.created).Scan(&n)
		return n == 0
	})
	if !ok {
		fc.s.finding("%d runs of the scenario's deleted datasources still unfinished 30 s after the delete", n)
	}
}

// poll calls cond every 200 ms until it holds (true) or within has passed.
func poll(ctx context.Context, within time.Duration, cond func() bool) bool {
	_, ok := pollEvery(ctx, within, 200*time.Millisecond, cond)
	return ok
}

// pollEvery is poll, looking every period, and says how long it took.
func pollEvery(ctx context.Context, within, period time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	deadline := start.Add(within)
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, false
		}
		sleep(ctx, period)
	}
}

// writeCSV writes a CSV file of records rows aside and renames it into
// place, so that no run sees it half-written.
func writeCSV(path string, records int) error {
	b := []byte("id,value\n")
	for i := range records {
		b = fmt.Appendf(b, "%d,%d\n", i, i*i)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// discoveredCount is how many discovered_files rows the datasource has.
func (fc *filesChaos) discoveredCount(src *fileSource) int {
	n := -1
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FROM discovered_files WHERE datasource_id = $1`, src.id).Scan(&n)
	return n
}

// shorten puts <inbox> for the inbox's path in an error text.
func (fc *filesChaos) shorten(text string) string {
	return strings.ReplaceAll(text, fc.su.c.inbox, "<inbox>")
}

// replicaWatch remembers each replica's pid and log size, to tell a crash
// or a restart, and a panic in the log, when the scenario ends.
type replicaWatch struct {
	pids    map[*replica]int
	logFrom map[*replica]int64
}

func watchReplicas(c *cluster) replicaWatch {
	w := replicaWatch{pids: map[*replica]int{}, logFrom: map[*replica]int64{}}
	for _, r := range c.replicas {
		w.pids[r], w.logFrom[r] = r.pid(), logSize(r.log)
	}
	return w
}

func (w replicaWatch) check(s *scenario) {
	for r, pid := range w.pids {
		switch {
		case !r.running():
			s.finding("%s (pid %d) is no longer running; see %s", r.id, pid, r.log)
		case r.pid() != pid:
			s.finding("%s was restarted during the scenario (pid %d, now %d)", r.id, pid, r.pid())
		}
		for _, text := range []string{"panic:", "fatal error:"} {
			if line, _, ok := firstLogLine(r.log, w.logFrom[r], text); ok {
				s.finding("%s logged %q", r.id, line)
			}
		}
	}
}

// The directory faults.

// dirFault is one way a datasource directory goes bad, and how it comes
// back.
type dirFault struct {
	src        *fileSource
	what       string
	reasons    []string // the runs' errors must say one of these
	apply      func() error
	restore    func() error
	appliedAt  time.Time // PostgreSQL's clock, once the fault was in place
	restoredAt time.Time // PostgreSQL's clock, just before it was undone
}

// directoryFaults breaks four datasource directories at once (removed,
// unreadable, a regular file, a symlink loop), holds the faults while runs
// happen, restores them, and checks the runs of each; a fifth datasource
// has symlink loops below its directory throughout.
func (fc *filesChaos) directoryFaults() {
	faults, inner, err := fc.faultSources()
	if err != nil {
		fc.s.finding("directory faults: set-up: %v", err)
		return
	}
	srcs := []*fileSource{inner}
	for _, f := range faults {
		srcs = append(srcs, f.src)
	}
	if !fc.discoveredFirst(srcs, 30*time.Second) {
		return
	}
	for _, f := range faults {
		if err := f.apply(); err != nil {
			fc.s.finding("%s: apply the fault: %v", f.src.name, err)
		}
		f.appliedAt = fc.su.c.dbNow(fc.ctx)
		fc.s.fault("%s: directory %s", f.src.name, f.what)
	}
	sleep(fc.ctx, dirFaultHold)
	for _, f := range faults {
		f.restoredAt = fc.su.c.dbNow(fc.ctx)
		if err := f.restore(); err != nil {
			fc.s.finding("%s: undo the fault: %v", f.src.name, err)
		}
		fc.s.fault("%s: directory restored after %v", f.src.name, f.restoredAt.Sub(f.appliedAt).Round(time.Millisecond))
	}
	for _, f := range faults {
		fc.checkFault(f)
	}
	fc.checkInnerLoops(inner)
}

// discoveredFirst waits until every source has discovered its first file:
// its runs worked before the faults.
func (fc *filesChaos) discoveredFirst(srcs []*fileSource, within time.Duration) bool {
	ok := poll(fc.ctx, within, func() bool {
		for _, src := range srcs {
			if fc.discoveredCount(src) < 1 {
				return false
			}
		}
		return true
	})
	if !ok {
		fc.s.finding("directory faults: not every datasource had discovered its first file %v after its creation", within)
	}
	return ok
}

// faultSources creates the datasources of the directory faults, each
// holding one CSV file, and the one with symlink loops below its
// directory. chmod 000 stops no one as root, so that fault runs only when
// the harness is not root.
func (fc *filesChaos) faultSources() ([]*dirFault, *fileSource, error) {
	var faults []*dirFault
	add := func(suffix, what string, reasons []string, apply, restore func(dir string) error) error {
		src, err := fc.newSource(suffix, "*.csv", nil)
		if err != nil {
			return err
		}
		faults = append(faults, &dirFault{src: src, what: what, reasons: reasons,
			apply: func() error { return apply(src.dir) }, restore: func() error { return restore(src.dir) }})
		return writeCSV(filepath.Join(src.dir, "before.csv"), 2)
	}
	aside := func(dir string) string { return dir + ".aside" }
	putBack := func(dir string) error {
		if err := os.Remove(dir); err != nil {
			return err
		}
		return os.Rename(aside(dir), dir)
	}
	err := errors.Join(
		add("gone", "removed (os.RemoveAll), then made again with a new file", []string{"does not exist", "was removed"},
			os.RemoveAll,
			func(dir string) error {
				return errors.Join(os.Mkdir(dir, 0o755), writeCSV(filepath.Join(dir, "back.csv"), 3))
			}),
		add("file", "renamed aside and replaced by a regular file of the same name", []string{"not a directory", "replaced by a file", "does not exist", "was removed"},
			func(dir string) error {
				return errors.Join(os.Rename(dir, aside(dir)), os.WriteFile(dir, []byte("not a directory\n"), 0o644))
			}, putBack),
		add("loop", "renamed aside and replaced by a symlink to itself (a loop)", []string{"symlink loop", "replaced by a symlink", "does not exist", "was removed"},
			func(dir string) error {
				return errors.Join(os.Rename(dir, aside(dir)), os.Symlink(filepath.Base(dir), dir))
			}, putBack),
	)
	if os.Geteuid() != 0 {
		err = errors.Join(err, add("unreadable", "made unreadable (chmod 000)", []string{"permission denied"},
			func(dir string) error { return os.Chmod(dir, 0) },
			func(dir string) error { return os.Chmod(dir, 0o755) }))
	} else {
		fc.s.fact("chmod 000 not tried: the harness runs as root, whom it does not stop (the regular file and the loop stand in)")
	}
	inner, innerErr := fc.innerLoopSource()
	return faults, inner, errors.Join(err, innerErr)
}

// innerLoopSource is a datasource whose directory holds a file, a symlink
// to itself that matches the pattern, and a directory symlink to ".".
func (fc *filesChaos) innerLoopSource() (*fileSource, error) {
	src, err := fc.newSource("inner-loop", "**/*.csv", nil)
	if err != nil {
		return nil, err
	}
	return src, errors.Join(writeCSV(filepath.Join(src.dir, "a.csv"), 1),
		os.Symlink("loop.csv", filepath.Join(src.dir, "loop.csv")),
		os.Symlink(".", filepath.Join(src.dir, "sub")))
}

// checkFault reads what the runs of a broken directory recorded: failed
// attempts while the fault lasted, each with an error naming the directory
// and saying what is wrong, no run succeeding on a scan made during the
// fault, runs succeeding again once it ended, and none left unfinished.
func (fc *filesChaos) checkFault(f *dirFault) {
	name, db, ctx := f.src.name, fc.su.c.db, fc.ctx
	var failedAttempts, succeededInFault int
	statuses := map[string]int{}
	_ = db.QueryRow(ctx, `SELECT count(*) FROM runs r, jsonb_array_elements(r.attempt_errors) e
		WHERE r.datasource_id = $1 AND (e->>'at')::timestamptz BETWEEN $2 AND $3`, f.src.id, f.appliedAt, f.restoredAt).Scan(&failedAttempts)
	// The last attempt of a run that succeeded began after its last
	// failure (or its start): if that was after the fault was in place and
	// it finished before the fault ended, it scanned the broken directory.
	_ = db.QueryRow(ctx, `SELECT count(*) FROM runs r WHERE r.datasource_id = $1 AND r.status = 'SUCCEEDED' AND r.finished_at < $3
		AND greatest(r.started_at, (SELECT max((e->>'at')::timestamptz) FROM jsonb_array_elements(r.attempt_errors) e)) > $2`,
		f.src.id, f.appliedAt, f.restoredAt).Scan(&succeededInFault)
	rows, err := db.Query(ctx, `SELECT status, count(*) FROM runs WHERE datasource_id = $1 AND scheduled_for >= $2 AND scheduled_for < $3 GROUP BY 1`,
		f.src.id, f.appliedAt, f.restoredAt)
	if err == nil {
		for rows.Next() {
			var st string
			var n int
			if rows.Scan(&st, &n) == nil {
				statuses[st] = n
			}
		}
		rows.Close()
	}
	fc.s.fact("%s (%s): %d failed attempts while it lasted; the slots planned meanwhile ended %s", name, f.what, failedAttempts, statusList(statuses))
	if failedAttempts == 0 {
		fc.s.finding("%s: no failed attempt was recorded while its directory was %s", name, f.what)
	}
	if succeededInFault > 0 {
		fc.s.finding("%s: %d runs succeeded on a scan made while its directory was %s", name, succeededInFault, f.what)
	}
	fc.checkErrors(f)
	fc.checkResumed(f)
}

func statusList(m map[string]int) string {
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[st], st))
	}
	if len(parts) == 0 {
		return "none planned"
	}
	return strings.Join(parts, ", ")
}

// checkErrors checks every error the datasource's runs recorded, at any
// time: each attempt's, and the error of each FAILED or RETRYING run. An
// error must name the directory and say one of the fault's reasons.
func (fc *filesChaos) checkErrors(f *dirFault) {
	rows, err := fc.su.c.db.Query(fc.ctx, `
		SELECT true, 'attempt ' || (e->>'attempt'), coalesce(e->>'error', '') FROM runs r, jsonb_array_elements(r.attempt_errors) e WHERE r.datasource_id = $1
		UNION ALL
		SELECT false, status || ' run', coalesce(error, '') FROM runs WHERE datasource_id = $1 AND status IN ('FAILED', 'RETRYING')`, f.src.id)
	if err != nil {
		fc.s.finding("%s: read its runs' errors: %v", f.src.name, err)
		return
	}
	defer rows.Close()
	attempts, unclear := map[string]int{}, map[string]bool{}
	for rows.Next() {
		var isAttempt bool
		var what, text string
		if err := rows.Scan(&isAttempt, &what, &text); err != nil {
			fc.s.finding("%s: read its runs' errors: %v", f.src.name, err)
			return
		}
		if isAttempt {
			attempts[text]++
		}
		clearText := strings.Contains(text, fmt.Sprintf("%q", f.src.dir)) &&
			slices.ContainsFunc(f.reasons, func(r string) bool { return strings.Contains(text, r) })
		switch {
		case text == "":
			fc.s.finding("%s: a %s failed without a reason (empty error)", f.src.name, what)
		case !clearText && !unclear[text]:
			unclear[text] = true
			fc.s.finding("%s: unclear error, not naming the directory or not saying one of %q: %q", f.src.name, f.reasons, fc.shorten(text))
		}
	}
	for _, text := range slices.Sorted(maps.Keys(attempts)) {
		fc.s.fact("%s: failed attempts with this error: %d: %q", f.src.name, attempts[text], fc.shorten(text))
	}
}

// checkResumed waits for a run that succeeds after the directory came
// back, then for every run of a slot before that to be finished.
func (fc *filesChaos) checkResumed(f *dirFault) {
	db, ctx := fc.su.c.db, fc.ctx
	var resumed *time.Time
	poll(ctx, recoverWithin, func() bool {
		_ = db.QueryRow(ctx, `SELECT min(finished_at) FROM runs WHERE datasource_id = $1 AND status = 'SUCCEEDED' AND finished_at > $2`,
			f.src.id, f.restoredAt).Scan(&resumed)
		return resumed != nil
	})
	if resumed == nil {
		fc.s.finding("%s: no run succeeded within %v of its directory coming back", f.src.name, recoverWithin)
		return
	}
	fc.s.fact("%s: first run succeeded %v after its directory came back", f.src.name, resumed.Sub(f.restoredAt).Round(time.Millisecond))
	var unfinished []string
	ok := poll(ctx, 30*time.Second, func() bool {
		unfinished = unfinished[:0]
		rows, err := db.Query(ctx, `SELECT id || ' ' || status FROM runs WHERE datasource_id = $1 AND scheduled_for < $2
			AND status IN ('SCHEDULED', 'RUNNING', 'RETRYING') ORDER BY id`, f.src.id, f.restoredAt)
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				unfinished = append(unfinished, s)
			}
		}
		return rows.Err() == nil && len(unfinished) == 0
	})
	if !ok {
		fc.s.finding("%s: runs of slots during the fault still unfinished 30 s after it ended: %s", f.src.name, strings.Join(unfinished, ", "))
	}
	if f.src.name == "chaos-files-gone" {
		fc.checkBackFile(f.src)
	}
}

// checkBackFile: the file put in the remade directory is discovered once.
func (fc *filesChaos) checkBackFile(src *fileSource) {
	var n int
	poll(fc.ctx, 10*time.Second, func() bool {
		_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FROM discovered_files WHERE datasource_id = $1 AND path = 'back.csv'`, src.id).Scan(&n)
		return n > 0
	})
	sleep(fc.ctx, 2*time.Second) // a few more runs
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FROM discovered_files WHERE datasource_id = $1 AND path = 'back.csv'`, src.id).Scan(&n)
	fc.s.fact("%s: the file written into the remade directory was discovered %d time(s)", src.name, n)
	if n != 1 {
		fc.s.finding("%s: back.csv, written into the remade directory, was discovered %d times (want 1)", src.name, n)
	}
}

// checkInnerLoops: symlink loops below a datasource directory never fail
// a run; the runs list the matching one as skipped.
func (fc *filesChaos) checkInnerLoops(src *fileSource) {
	var succeeded, failedAttempts int
	var skipped string
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'), coalesce(sum(jsonb_array_length(attempt_errors)), 0)
		FROM runs WHERE datasource_id = $1`, src.id).Scan(&succeeded, &failedAttempts)
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT skipped::text FROM runs WHERE datasource_id = $1 AND status = 'SUCCEEDED'
		ORDER BY finished_at DESC LIMIT 1`, src.id).Scan(&skipped)
	fc.s.fact("%s (symlink loops below the directory: loop.csv → itself, sub → .): %d runs succeeded, %d attempts failed; the last run skipped %s",
		src.name, succeeded, failedAttempts, skipped)
	if failedAttempts > 0 {
		fc.s.finding("%s: %d attempts failed, with symlink loops only below the directory", src.name, failedAttempts)
	}
	if !strings.Contains(skipped, `"loop.csv"`) {
		fc.s.finding("%s: the last successful run does not list loop.csv as skipped: %s", src.name, skipped)
	}
}

// The rewritten file.

// fileVersion is what a discovered_files row says of a file's content, or
// one content the rewriter wrote.
type fileVersion struct {
	size    int64
	sha256  string
	records int64
}

// rewriter rewrites one file in place, truncating it and writing it again
// in small chunks, one record longer each time. Every content it writes is
// a prefix of the next, so any state of the file is a prefix of the final
// content: a recorded size and hash can be told complete (a content it
// wrote), half-written (a prefix ending inside a record) or inconsistent
// (the hash is not of the recorded size's prefix).
type rewriter struct {
	path       string
	complete   map[fileVersion]bool
	content    []byte // the final content
	final      fileVersion
	finalMTime time.Time
}

func (rw *rewriter) run(ctx context.Context, d time.Duration) error {
	f, err := os.OpenFile(rw.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	rw.complete = map[fileVersion]bool{}
	rw.content = []byte("id,payload\n")
	for k, end := int64(1), time.Now().Add(d); time.Now().Before(end) && ctx.Err() == nil; k++ {
		rw.content = fmt.Appendf(rw.content, "%d,%s\n", k, strings.Repeat("x", 40))
		if err := f.Truncate(0); err != nil {
			return err
		}
		for off := 0; off < len(rw.content); off += rewriteChunk {
			if _, err := f.WriteAt(rw.content[off:min(off+rewriteChunk, len(rw.content))], int64(off)); err != nil {
				return err
			}
		}
		sum := sha256.Sum256(rw.content)
		rw.final = fileVersion{int64(len(rw.content)), hex.EncodeToString(sum[:]), k}
		rw.complete[rw.final] = true
		time.Sleep(2 * time.Millisecond)
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	rw.finalMTime = fi.ModTime()
	return nil
}

// classify says what a recorded version is of the file's history.
func (rw *rewriter) classify(v fileVersion) string {
	switch {
	case rw.complete[v]:
		return "complete"
	case v.size <= int64(len(rw.content)) && sha256Hex(rw.content[:v.size]) == v.sha256:
		return "half-written"
	}
	return "inconsistent"
}

// recordsAt is how many complete records the file's first size bytes
// held, in any of its states.
func (rw *rewriter) recordsAt(size int64) int {
	size = min(size, int64(len(rw.content)))
	return max(bytes.Count(rw.content[:size], []byte("\n"))-1, 0)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// recordedVersion is one discovered_files row of a path.
type recordedVersion struct {
	fileVersion
	mtime, at time.Time
}

func (fc *filesChaos) recordedVersions(src *fileSource, path string) []recordedVersion {
	rows, err := fc.su.c.db.Query(fc.ctx, `SELECT size, coalesce(sha256, ''), coalesce(record_count, -1), mtime, discovered_at
		FROM discovered_files WHERE datasource_id = $1 AND path = $2 ORDER BY id`, src.id, path)
	if err != nil {
		fc.s.finding("%s: read discovered_files: %v", src.name, err)
		return nil
	}
	defer rows.Close()
	var out []recordedVersion
	for rows.Next() {
		var v recordedVersion
		if err := rows.Scan(&v.size, &v.sha256, &v.records, &v.mtime, &v.at); err != nil {
			fc.s.finding("%s: read discovered_files: %v", src.name, err)
			return out
		}
		out = append(out, v)
	}
	return out
}

// rewrittenFile rewrites a file in two datasources' directories for a few
// seconds while their runs happen: one with minFileAge 2s, which must
// discover it once, complete, after the rewriting stops; one with
// minFileAge 0s (no wait), whose behaviour is reported.
func (fc *filesChaos) rewrittenFile() {
	aged, err1 := fc.newSource("rewrite", "*.csv", map[string]any{"minFileAge": "2s", "hashFiles": true})
	noAge, err2 := fc.newSource("rewrite-no-age", "*.csv", map[string]any{"minFileAge": "0s", "hashFiles": true})
	if err := errors.Join(err1, err2); err != nil {
		fc.s.finding("rewritten file: set-up: %v", err)
		return
	}
	rws := []*rewriter{{path: filepath.Join(aged.dir, "growing.csv")}, {path: filepath.Join(noAge.dir, "growing.csv")}}
	errs := make([]error, len(rws))
	start := fc.su.c.dbNow(fc.ctx)
	fc.s.fault("%s, %s: growing.csv rewritten in place (truncate, then %d-byte writes, one record more each time) for %v",
		aged.name, noAge.name, rewriteChunk, rewriteFor)
	var wg sync.WaitGroup
	for i, rw := range rws {
		wg.Go(func() { errs[i] = rw.run(fc.ctx, rewriteFor) })
	}
	sleep(fc.ctx, rewriteFor/2)
	fc.reportLook(aged, "growing.csv")
	wg.Wait()
	stopped := fc.su.c.dbNow(fc.ctx)
	if err := errors.Join(errs...); err != nil {
		fc.s.finding("rewritten file: the rewriter failed: %v", err)
		return
	}
	fc.s.fault("rewriting stopped: %s at %d bytes, %d records, %d rewrites", aged.name, rws[0].final.size, rws[0].final.records, len(rws[0].complete))
	fc.checkRewriteAged(aged, rws[0], start, stopped)
	fc.checkRewriteNoAge(noAge, rws[1], stopped)
	fc.dropSource(aged)
	fc.dropSource(noAge)
}

// reportLook says what file_looks holds of path mid-rewrite.
func (fc *filesChaos) reportLook(src *fileSource, path string) {
	var size int64
	var age time.Duration
	err := fc.su.c.db.QueryRow(fc.ctx, `SELECT size, now() - looked_at FROM file_looks WHERE datasource_id = $1 AND path_bytes = $2`,
		src.id, []byte(path)).Scan(&size, &age)
	if err != nil {
		fc.s.fact("%s: mid-rewrite, file_looks held no look at %s (%v)", src.name, path, err)
		return
	}
	fc.s.fact("%s: mid-rewrite, file_looks held %s at %d bytes, looked at %v before", src.name, path, size, age.Round(time.Millisecond))
}

// checkRewriteAged: with minFileAge, the file is discovered once, after the
// rewriting stopped, with its final size, mtime, hash and record count.
func (fc *filesChaos) checkRewriteAged(src *fileSource, rw *rewriter, start, stopped time.Time) {
	var vs []recordedVersion
	poll(fc.ctx, 20*time.Second, func() bool { vs = fc.recordedVersions(src, "growing.csv"); return len(vs) > 0 })
	sleep(fc.ctx, 3*time.Second) // a few more runs, which must not record it again
	vs = fc.recordedVersions(src, "growing.csv")
	var succeeded, others int
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status NOT IN ('SUCCEEDED', 'SKIPPED'))
		FROM runs WHERE datasource_id = $1 AND finished_at BETWEEN $2 AND $3`, src.id, start, stopped).Scan(&succeeded, &others)
	early := 0
	for _, v := range vs {
		if v.at.Before(stopped) {
			early++
		}
	}
	fc.s.fact("%s (minFileAge 2s): while the file was rewritten %d runs succeeded, %d did not, and %d versions were recorded", src.name, succeeded, others, early)
	if len(vs) == 0 {
		fc.s.finding("%s: growing.csv not discovered within 20 s of the rewriting stopping", src.name)
		return
	}
	if len(vs) > 1 {
		fc.s.finding("%s: growing.csv discovered %d times (want once, in its final version)", src.name, len(vs))
	}
	for _, v := range vs {
		if kind := rw.classify(v.fileVersion); kind != "complete" {
			fc.s.finding("%s: a %s version of growing.csv was recorded: %d bytes, %d records", src.name, kind, v.size, v.records)
		}
	}
	last := vs[len(vs)-1]
	if last.fileVersion != rw.final || !last.mtime.Equal(rw.finalMTime.Truncate(time.Microsecond)) {
		fc.s.finding("%s: growing.csv recorded as %d bytes, %d records, mtime %s; its final version is %d bytes, %d records, mtime %s",
			src.name, last.size, last.records, last.mtime.Format(time.RFC3339Nano), rw.final.size, rw.final.records, rw.finalMTime.Format(time.RFC3339Nano))
		return
	}
	fc.s.fact("%s: growing.csv discovered %d time(s), %v after the rewriting stopped, as its final version (%d bytes, %d records, mtime and sha256 equal)",
		src.name, len(vs), vs[0].at.Sub(stopped).Round(time.Millisecond), last.size, last.records)
}

// checkRewriteNoAge reports what a datasource without minFileAge recorded
// of the rewritten file: with "0s" (no wait) a file seen for the first
// time is stable at once, so versions caught mid-write may be recorded;
// the final version must still be recorded.
func (fc *filesChaos) checkRewriteNoAge(src *fileSource, rw *rewriter, stopped time.Time) {
	var vs []recordedVersion
	finalSeen := func() bool {
		vs = fc.recordedVersions(src, "growing.csv")
		return slices.ContainsFunc(vs, func(v recordedVersion) bool { return v.fileVersion == rw.final })
	}
	if !poll(fc.ctx, 20*time.Second, finalSeen) {
		fc.s.finding("%s: the final version of growing.csv was not discovered within 20 s of the rewriting stopping", src.name)
	}
	kinds := map[string]int{}
	var odd, inconsistent []string
	for _, v := range vs {
		kind := rw.classify(v.fileVersion)
		kinds[kind]++
		desc := fmt.Sprintf("%s %d bytes, %d records", kind, v.size, v.records)
		if kind != "complete" && len(odd) < 5 {
			odd = append(odd, desc)
		}
		if kind == "inconsistent" && len(inconsistent) < 5 {
			inconsistent = append(inconsistent, desc+fmt.Sprintf(" (at that size the file held %d records)", rw.recordsAt(v.size)))
		}
	}
	fc.s.fact("%s (minFileAge 0s): growing.csv recorded in %d versions: %s; e.g. %s", src.name, len(vs), statusList(kinds), strings.Join(odd, "; "))
	// Half-written is what no wait allows; a size and mtime of one state
	// recorded with the hash and count of another is wrong whatever the age.
	if kinds["inconsistent"] > 0 {
		fc.s.finding("%s: %d discovered_files rows of growing.csv pair the size and mtime the scan saw with the sha256 and record count "+
			"of other bytes (%s): the file changed between the scan's stat and the inspection's read, and nothing compares the two",
			src.name, kinds["inconsistent"], strings.Join(inconsistent, "; "))
	}
}

// The directory that fills with 100,000 files.

// manyFiles writes bulkFiles small CSV files into one datasource's
// directory, on a few goroutines, each written aside and renamed into
// place, while its runs happen; every file must be discovered exactly once.
func (fc *filesChaos) manyFiles() {
	src, err := fc.newSource("bulk", "*.csv", map[string]any{"minFileAge": "0s"})
	if err != nil {
		fc.s.finding("%d files: set-up: %v", fc.bulkFiles, err)
		return
	}
	defer fc.dropSource(src)
	start := fc.su.c.dbNow(fc.ctx)
	fc.s.fault("%s: %d CSV files written into its directory by %d goroutines, each aside and renamed into place", src.name, fc.bulkFiles, bulkWriters)
	if err := fillDir(fc.ctx, src.dir, fc.bulkFiles, bulkWriters); err != nil {
		fc.s.finding("%d files: write: %v", fc.bulkFiles, err)
		return
	}
	filled := fc.su.c.dbNow(fc.ctx)
	fc.s.fault("%s: the %d files were in place after %v", src.name, fc.bulkFiles, filled.Sub(start).Round(time.Millisecond))
	var n int
	caughtUp := poll(fc.ctx, 2*time.Minute, func() bool { n = fc.discoveredCount(src); return n >= fc.bulkFiles })
	var last time.Time
	_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT max(discovered_at) FROM discovered_files WHERE datasource_id = $1`, src.id).Scan(&last)
	if !caughtUp {
		fc.s.finding("%s: %d of %d files discovered 2 min after the last was in place", src.name, n, fc.bulkFiles)
	} else {
		fc.s.fact("%s: discovery caught up %v after the last file was in place (%v after the first was written)",
			src.name, last.Sub(filled).Round(time.Millisecond), last.Sub(start).Round(time.Millisecond))
	}
	fc.reportBulkRuns(src, start, last)
	fc.checkRescan(src, last)
	fc.checkBulkCounts(src)
}

// fillDir writes files f000000.csv … into dir on writers goroutines.
func fillDir(ctx context.Context, dir string, files, writers int) error {
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for w := range writers {
		wg.Go(func() {
			for i := w; i < files && ctx.Err() == nil && failed.Load() == nil; i += writers {
				if err := writeCSV(filepath.Join(dir, fmt.Sprintf("f%06d.csv", i)), 1); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return ctx.Err()
}

// reportBulkRuns gives the runs' figures while the directory filled and
// discovery caught up.
func (fc *filesChaos) reportBulkRuns(src *fileSource, from, to time.Time) {
	var runs, succeeded, skipped, failed, maxFound int
	var maxTook, p50Took time.Duration
	err := fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status = 'SKIPPED'),
			count(*) FILTER (WHERE status IN ('FAILED', 'RETRYING')), coalesce(max(files_found), 0),
			coalesce(max(finished_at - started_at), '0'), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY finished_at - started_at), '0')
		FROM runs WHERE datasource_id = $1 AND scheduled_for BETWEEN $2 AND $3`, src.id, from, to).
		Scan(&runs, &succeeded, &skipped, &failed, &maxFound, &maxTook, &p50Took)
	if err != nil {
		fc.s.finding("%s: read its runs: %v", src.name, err)
		return
	}
	fc.s.fact("%s: slots while it filled and caught up: %d (%d SUCCEEDED, %d SKIPPED while one ran, %d FAILED or RETRYING); most files in one run %d; run time p50 %s, max %s",
		src.name, runs, succeeded, skipped, failed, maxFound, ms(p50Took), ms(maxTook))
	if failed > 0 {
		var text string
		_ = fc.su.c.db.QueryRow(fc.ctx, `SELECT coalesce(error, '') FROM runs WHERE datasource_id = $1 AND status IN ('FAILED', 'RETRYING') LIMIT 1`, src.id).Scan(&text)
		fc.s.finding("%s: %d runs failed while files were added, e.g. %q", src.name, failed, fc.shorten(text))
	}
}

// checkRescan: runs of the full, unchanged directory succeed and record
// nothing new.
func (fc *filesChaos) checkRescan(src *fileSource, after time.Time) {
	var n int
	var took []time.Duration
	poll(fc.ctx, 30*time.Second, func() bool {
		took = took[:0]
		rows, err := fc.su.c.db.Query(fc.ctx, `SELECT finished_at - started_at FROM runs WHERE datasource_id = $1 AND status = 'SUCCEEDED'
			AND started_at > $2 ORDER BY started_at LIMIT 3`, src.id, after)
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			var d time.Duration
			if rows.Scan(&d) == nil {
				took = append(took, d)
			}
		}
		return len(took) == 3
	})
	n = fc.discoveredCount(src)
	var parts []string
	for _, d := range took {
		parts = append(parts, ms(d))
	}
	fc.s.fact("%s: rescans of the %d unchanged files took %s; discovered_files rows after them: %d", src.name, fc.bulkFiles, strings.Join(parts, ", "), n)
	if len(took) < 3 {
		fc.s.finding("%s: only %d runs succeeded in the 30 s after discovery caught up", src.name, len(took))
	}
}

// checkBulkCounts: exactly one discovered_files row per file.
func (fc *filesChaos) checkBulkCounts(src *fileSource) {
	var rows, paths, dupPaths int
	err := fc.su.c.db.QueryRow(fc.ctx, `SELECT count(*), count(DISTINCT path_bytes),
			(SELECT count(*) FROM (SELECT 1 FROM discovered_files WHERE datasource_id = $1 GROUP BY path_bytes HAVING count(*) > 1) d)
		FROM discovered_files WHERE datasource_id = $1`, src.id).Scan(&rows, &paths, &dupPaths)
	if err != nil {
		fc.s.finding("%s: count discovered_files: %v", src.name, err)
		return
	}
	fc.s.fact("%s: discovered_files rows %d, distinct paths %d, paths recorded more than once %d (want %d, %d, 0)",
		src.name, rows, paths, dupPaths, fc.bulkFiles, fc.bulkFiles)
	if rows != fc.bulkFiles || paths != fc.bulkFiles || dupPaths != 0 {
		fc.s.finding("%s: %d files written, %d discovered_files rows for %d paths, %d paths recorded more than once",
			src.name, fc.bulkFiles, rows, paths, dupPaths)
	}
}
