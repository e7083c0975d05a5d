package scheduler_test

// The psql cookbook (docs/OPERATIONS.md) is tested by running its sql blocks
// as written. Each block is named by an HTML comment on the line above it,
// <!-- cookbook: NAME -->, and TestCookbook has one check per name: a block
// without a check, or a check without a block, fails the test. Placeholders
// are psql variables, :'name', replaced by the quoted value the check gives
// name, as psql does; a variable without a value fails the check.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

// cookbookPath is the operator doc whose sql blocks this file runs.
const cookbookPath = "../docs/OPERATIONS.md"

// cookbookChecks holds, per block name, what running the block must do.
var cookbookChecks = map[string]func(t *testing.T, book cookbook){
	"view-schedule-status":  checkViewScheduleStatus,
	"view-failures":         checkViewFailures,
	"view-stuck-runs":       checkViewStuckRuns,
	"view-discovery-daily":  checkViewDiscoveryDaily,
	"view-discovered-files": checkViewDiscoveredFiles,
	"view-runs":             checkViewRuns,
	"view-datasources":      checkViewDataSources,
	"view-schedules":        checkViewSchedules,
	"view-leadership":       checkViewLeadership,
	"view-recent-events":    checkViewRecentEvents,
	"view-event-stream":     checkViewEventStream,
	"view-audit":            checkViewAudit,
	"open-transactions":     checkOpenTransactions,
	"pause-all":             checkPauseAll,
	"resume-all":            checkResumeAll,
	"resume-one":            checkResumeOne,
	"trigger-run":           checkTriggerRun,
	"rediscover-file":       checkRediscoverFile,
	"clear-stuck-run":       checkClearStuckRun,
	"move-path":             checkMovePath,
	"update-schedule":       checkUpdateScheduleResync,
	"notify":                func(t *testing.T, book cookbook) { checkUpdateScheduleNotified(t, book, "notify") },
	"notify-bare":           func(t *testing.T, book cookbook) { checkUpdateScheduleNotified(t, book, "notify-bare") },
}

func TestCookbook(t *testing.T) {
	t.Parallel()
	book := readCookbook(t)
	var names []string
	for name := range book {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		check, ok := cookbookChecks[name]
		if !ok {
			t.Errorf("%s:%d: cookbook block %q has no check in cookbookChecks", cookbookPath, book[name].line, name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, book)
		})
	}
	for name := range cookbookChecks {
		if _, ok := book[name]; !ok {
			t.Errorf("cookbookChecks has %q, which %s no longer has", name, cookbookPath)
		}
	}
}

// cookbook is the doc's sql blocks by name.
type cookbook map[string]cookbookBlock

type cookbookBlock struct {
	name string
	line int // of the opening fence
	sql  string
}

var (
	cookbookMarker = regexp.MustCompile(`^<!--\s*cookbook:\s*([a-z0-9-]+)\s*-->$`)
	psqlVariable   = regexp.MustCompile(`:'([A-Za-z_][A-Za-z0-9_]*)'`)
)

// readCookbook reads the doc's sql blocks. Each must have its marker on the
// last non-blank line above it, and a name of its own.
func readCookbook(t *testing.T) cookbook {
	t.Helper()
	data, err := os.ReadFile(cookbookPath)
	require.NoError(t, err)
	book := cookbook{}
	var (
		marker string
		fence  string // the open fence's info string; "" outside blocks
		block  *cookbookBlock
		body   strings.Builder
	)
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "" && trimmed == "```":
			if block != nil {
				block.sql = body.String()
				book[block.name] = *block
			}
			fence, block = "", nil
		case fence != "":
			body.WriteString(line + "\n")
		case strings.HasPrefix(trimmed, "```"):
			fence = trimmed
			if trimmed != "```sql" {
				break
			}
			switch _, dup := book[marker]; {
			case marker == "":
				t.Errorf("%s:%d: sql block without a <!-- cookbook: NAME --> line above it", cookbookPath, i+1)
			case dup:
				t.Errorf("%s:%d: a second cookbook block named %q", cookbookPath, i+1, marker)
			default:
				block = &cookbookBlock{name: marker, line: i + 1}
				body.Reset()
			}
			marker = ""
		case cookbookMarker.MatchString(trimmed):
			marker = cookbookMarker.FindStringSubmatch(trimmed)[1]
		case trimmed != "":
			marker = "" // a marker names the block right below it
		}
	}
	require.Empty(t, fence, "%s ends inside a code block", cookbookPath)
	require.NotEmpty(t, book, "no cookbook blocks in %s", cookbookPath)
	return book
}

// sqlWith is the block with each psql variable replaced by its quoted value.
func (b cookbookBlock) sqlWith(t *testing.T, vars map[string]string) string {
	t.Helper()
	return psqlVariable.ReplaceAllStringFunc(b.sql, func(m string) string {
		name := psqlVariable.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("%s:%d: cookbook block %q uses :'%s', which the check gives no value", cookbookPath, b.line, b.name, name)
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	})
}

// cookbookEnv is one check's database, data root and, if started, scheduler.
type cookbookEnv struct {
	t     *testing.T
	book  cookbook
	store *store.Store
	url   string
	root  string
}

func newCookbookEnv(t *testing.T, book cookbook) *cookbookEnv {
	t.Helper()
	st, url := pgtest.NewStore(t)
	return &cookbookEnv{t: t, book: book, store: st, url: url, root: t.TempDir()}
}

// table is one result of a block, as text, as psql prints it; NULL is
// "NULL".
type table struct {
	columns []string
	rows    [][]string
}

func (tb table) column(t *testing.T, name string) []string {
	t.Helper()
	i := slices.Index(tb.columns, name)
	require.GreaterOrEqual(t, i, 0, "no column %q in %v", name, tb.columns)
	out := []string{}
	for _, r := range tb.rows {
		out = append(out, r[i])
	}
	return out
}

// run runs a block in a session of its own, as psql would, and returns the
// result of its last statement.
func (e *cookbookEnv) run(name string, vars map[string]string) table {
	e.t.Helper()
	block, ok := e.book[name]
	require.True(e.t, ok, "%s has no cookbook block %q", cookbookPath, name)
	ctx := e.t.Context()
	conn, err := pgx.Connect(ctx, e.url)
	require.NoError(e.t, err)
	defer conn.Close(context.WithoutCancel(ctx))
	results, err := conn.PgConn().Exec(ctx, block.sqlWith(e.t, vars)).ReadAll()
	require.NoError(e.t, err, "cookbook block %q (%s:%d)", name, cookbookPath, block.line)
	require.NotEmpty(e.t, results)
	return tableOf(results[len(results)-1])
}

func tableOf(r *pgconn.Result) table {
	var tb table
	for _, f := range r.FieldDescriptions {
		tb.columns = append(tb.columns, f.Name)
	}
	for _, row := range r.Rows {
		values := make([]string, len(row))
		for i, v := range row {
			values[i] = "NULL"
			if v != nil {
				values[i] = string(v)
			}
		}
		tb.rows = append(tb.rows, values)
	}
	return tb
}

// exec runs a statement of the check's own setup.
func (e *cookbookEnv) exec(sql string, args ...any) {
	e.t.Helper()
	_, err := e.store.Pool().Exec(e.t.Context(), sql, args...)
	require.NoError(e.t, err)
}

// startScheduler runs one replica, with file discovery as its work, until
// the test ends, and waits until it leads. listener, if set, is the LISTEN
// connection it shares; edit changes its planner's options.
func startScheduler(e *cookbookEnv, listener *store.Listener, edit func(*scheduler.PlannerOptions)) *scheduler.Scheduler {
	e.t.Helper()
	roots, err := discovery.NewRoots(e.root)
	require.NoError(e.t, err)
	opts := scheduler.DefaultPlannerOptions
	if edit != nil {
		edit(&opts)
	}
	sched, err := scheduler.New(scheduler.Config{
		Store: e.store, Etcd: etcdtest.Client(e.t), ReplicaID: "cookbook", Address: "http://cookbook",
		Work: scheduler.DiscoveryWork(roots, e.store), SessionTTL: scheduler.MinSessionTTL,
		KeyPrefix: etcdtest.Prefix(), Workers: 4, Planner: opts, Listener: listener,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(e.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sched.Run(ctx, 10*time.Second)
	}()
	e.t.Cleanup(func() { cancel(); <-done })
	eventually(e.t, "the replica leads", func() bool { return sched.Epoch() > 0 })
	return sched
}

// dataSource creates a datasource watching <root>/<name> for *.csv files,
// every second unless edit says otherwise.
func (e *cookbookEnv) dataSource(name string, edit ...func(*store.DataSourceCreateParams)) *store.DataSource {
	e.t.Helper()
	dir := filepath.Join(e.root, name)
	require.NoError(e.t, os.MkdirAll(dir, 0o755))
	p := &store.DataSourceCreateParams{
		Name: name, Path: dir, FilePattern: "**/*.csv", Enabled: true,
		Schedule: store.Schedule{Interval: time.Second, Anchor: scheduler.DefaultAnchor, Timezone: "UTC",
			MisfirePolicy: scheduler.MisfireFireOnce, OverlapPolicy: scheduler.OverlapSkip},
	}
	for _, ed := range edit {
		ed(p)
	}
	ds, err := e.store.DataSourceCreate(e.t.Context(), p)
	require.NoError(e.t, err)
	return ds
}

// farCron fires on New Year's Day 2099: a schedule that plans nothing while
// a check runs.
func farCron(p *store.DataSourceCreateParams) {
	p.Schedule.Interval, p.Schedule.Cron = 0, "0 0 0 1 1 ? 2099"
}

// writeCSV writes a CSV file of records rows, last modified a minute ago so
// that the first run that sees it discovers it.
func writeCSV(t *testing.T, path string, records int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,amount\n")
	for i := 1; i <= records; i++ {
		fmt.Fprintf(&b, "%d,%d.00\n", i, i*3)
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	mtime := time.Now().Add(-time.Minute)
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

// runs returns a datasource's runs, newest slot first.
func (e *cookbookEnv) runs(id uuid.UUID) []*store.Run {
	e.t.Helper()
	page, err := e.store.RunList(e.t.Context(), &store.RunListParams{DataSourceID: id, First: 100_000})
	require.NoError(e.t, err)
	return page.Runs
}

// succeededAfter counts the datasource's SUCCEEDED runs with an id above
// after.
func (e *cookbookEnv) succeededAfter(id uuid.UUID, after int64) int {
	n := 0
	for _, r := range e.runs(id) {
		if r.ID > after && r.Status == store.RunSucceeded {
			n++
		}
	}
	return n
}

func (e *cookbookEnv) waitSucceeded(id uuid.UUID, after int64, n int, what string) {
	e.t.Helper()
	eventually(e.t, what, func() bool { return e.succeededAfter(id, after) >= n })
}

// eventually polls cond in the test's goroutine (so that cond may use
// require) until it holds, failing after a minute. The deadline only guards
// against hangs; nothing asserts on elapsed time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastRunID is the datasource's newest run id (0 if none).
func (e *cookbookEnv) lastRunID(id uuid.UUID) int64 {
	e.t.Helper()
	var last int64
	for _, r := range e.runs(id) {
		last = max(last, r.ID)
	}
	return last
}

func (e *cookbookEnv) get(id uuid.UUID) *store.DataSource {
	e.t.Helper()
	ds, err := e.store.DataSourceGetByID(e.t.Context(), id)
	require.NoError(e.t, err)
	return ds
}

// discovered returns the ids and paths of a datasource's discovered files,
// in discovery order.
func (e *cookbookEnv) discovered(id uuid.UUID) (ids []int64, paths []string) {
	e.t.Helper()
	rows, err := e.store.Pool().Query(e.t.Context(), `SELECT id, path FROM discovered_files WHERE datasource_id = $1 ORDER BY id`, id)
	require.NoError(e.t, err)
	var (
		fileID int64
		path   string
	)
	_, err = pgx.ForEachRow(rows, []any{&fileID, &path}, func() error {
		ids, paths = append(ids, fileID), append(paths, path)
		return nil
	})
	require.NoError(e.t, err)
	return ids, paths
}

// --- Repairs, with a scheduler running ---

// Pause everything: the paused schedules get no new runs, while a
// schedule created afterwards (the control) runs three times.
func checkPauseAll(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	a, b := e.dataSource("a"), e.dataSource("b")
	e.waitSucceeded(a.ID, 0, 1, "a runs")
	e.waitSucceeded(b.ID, 0, 1, "b runs")

	out := e.run("pause-all", nil)
	require.Equal(t, []string{"2"}, out.column(t, "paused"))
	lastA, lastB := e.lastRunID(a.ID), e.lastRunID(b.ID)
	for _, id := range []uuid.UUID{a.ID, b.ID} {
		ds := e.get(id)
		require.True(t, ds.Schedule.Paused)
		require.Nil(t, ds.NextRunAt)
	}

	control := e.dataSource("control")
	e.waitSucceeded(control.ID, 0, 3, "the control runs while the others are paused")
	require.Equal(t, lastA, e.lastRunID(a.ID), "a paused schedule gets no new run")
	require.Equal(t, lastB, e.lastRunID(b.ID), "a paused schedule gets no new run")
}

// Resume everything: runs resume, from the next slot after the resume; the
// slots that passed while paused are neither run nor MISSED.
func checkResumeAll(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	a, b := e.dataSource("a"), e.dataSource("b")
	e.waitSucceeded(a.ID, 0, 1, "a runs")
	e.waitSucceeded(b.ID, 0, 1, "b runs")
	e.run("pause-all", nil)
	lastA, lastB := e.lastRunID(a.ID), e.lastRunID(b.ID)

	resumedAt := time.Now()
	out := e.run("resume-all", nil)
	require.Equal(t, []string{"2"}, out.column(t, "resumed"))
	for _, c := range []struct {
		id   uuid.UUID
		last int64
	}{{a.ID, lastA}, {b.ID, lastB}} {
		e.waitSucceeded(c.id, c.last, 2, "runs resume")
		for _, r := range e.runs(c.id) {
			if r.ID > c.last {
				require.NotEqual(t, store.RunMissed, r.Status, "no slot of the pause is MISSED")
				require.True(t, r.ScheduledFor.After(resumedAt), "run %d's slot %s is after the resume", r.ID, r.ScheduledFor)
			}
		}
		require.False(t, e.get(c.id).Schedule.Paused)
	}
}

// Resume one: it runs again; the other stays paused and gets nothing.
func checkResumeOne(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	a, b := e.dataSource("a"), e.dataSource("b")
	e.waitSucceeded(a.ID, 0, 1, "a runs")
	e.waitSucceeded(b.ID, 0, 1, "b runs")
	e.run("pause-all", nil)
	lastA, lastB := e.lastRunID(a.ID), e.lastRunID(b.ID)

	out := e.run("resume-one", map[string]string{"ds": "a"})
	require.Equal(t, []string{a.ID.String()}, out.column(t, "id"))
	e.waitSucceeded(a.ID, lastA, 3, "a runs again")
	require.Equal(t, lastB, e.lastRunID(b.ID), "b stays paused")
	require.True(t, e.get(b.ID).Schedule.Paused)
}

// Trigger a run: a MANUAL run appears, a worker runs it and it discovers
// the file; the schedule (next in 2099) is left alone.
func checkTriggerRun(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	ds := e.dataSource("manual", farCron)
	writeCSV(t, filepath.Join(ds.Path, "orders.csv"), 4)
	eventually(t, "the leader plans the schedule", func() bool { return e.get(ds.ID).NextRunAt != nil })
	next := *e.get(ds.ID).NextRunAt

	out := e.run("trigger-run", map[string]string{"ds": "manual"})
	ids := out.column(t, "run_id")
	require.Len(t, ids, 1)
	var run *store.Run
	eventually(t, "the triggered run succeeds", func() bool {
		runs := e.runs(ds.ID)
		require.Len(t, runs, 1, "only the triggered run")
		run = runs[0]
		return run.Status == store.RunSucceeded
	})
	require.Equal(t, ids[0], fmt.Sprint(run.ID))
	require.Equal(t, store.TriggerManual, run.Trigger)
	require.Equal(t, 1, run.FilesFound)
	require.EqualValues(t, 4, run.RecordsFound)
	require.True(t, e.get(ds.ID).NextRunAt.Equal(next), "the schedule is left alone")
}

// Re-discover a file: its latest version is forgotten, and the next run
// discovers it again.
func checkRediscoverFile(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	ds := e.dataSource("reports")
	writeCSV(t, filepath.Join(ds.Path, "2026", "report.csv"), 3)
	var first []int64
	eventually(t, "the file is discovered", func() bool { first, _ = e.discovered(ds.ID); return len(first) == 1 })

	out := e.run("rediscover-file", map[string]string{"ds": "reports", "file": "2026/report.csv"})
	require.Equal(t, []string{"2026/report.csv"}, out.column(t, "path"))
	eventually(t, "the file is discovered again", func() bool {
		ids, paths := e.discovered(ds.ID)
		return len(ids) == 1 && ids[0] > first[0] && paths[0] == "2026/report.csv"
	})
}

// Clear a stuck run: runs left by replicas that died make every slot
// SKIPPED: one RUNNING, one still SCHEDULED because its replica died before
// its start was recorded (its River job is running). Once cleared they are
// FAILED with the reason, and the datasource runs again.
func checkClearStuckRun(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	ds := e.dataSource("stuck") // run_timeout: 10 minutes
	var stuckID, unrecordedID int64
	require.NoError(t, e.store.Pool().QueryRow(t.Context(), `
		INSERT INTO runs (datasource_id, scheduled_for, status, attempt, max_attempts, replica_id, started_at, updated_at)
		VALUES ($1, now() - interval '2 hours', 'RUNNING', 1, 3, 'gone', now() - interval '1 hour', now() - interval '1 hour')
		RETURNING id`, ds.ID).Scan(&stuckID))
	// Attempted 20 minutes ago: past the timeout, before River's rescuer
	// (an hour) would retry it.
	require.NoError(t, e.store.Pool().QueryRow(t.Context(), `
		WITH r AS (
			INSERT INTO runs (datasource_id, scheduled_for, status, max_attempts)
			VALUES ($1, now() - interval '30 minutes', 'SCHEDULED', 3) RETURNING id
		), j AS (
			INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, attempt, attempted_at, attempted_by, scheduled_at)
			SELECT jsonb_build_object('run_id', r.id), 'ezplatform.run', 3, 1, 'runs', 'running', 1,
				now() - interval '20 minutes', '{gone-too}', now() - interval '30 minutes' FROM r
		)
		SELECT id FROM r`, ds.ID).Scan(&unrecordedID))
	stuck := e.run("view-stuck-runs", nil)
	require.ElementsMatch(t, []string{fmt.Sprint(stuckID), fmt.Sprint(unrecordedID)}, stuck.column(t, "run_id"))
	require.ElementsMatch(t, []string{"gone", "gone-too"}, stuck.column(t, "replica_id"))
	startScheduler(e, nil, nil)
	eventually(t, "slots are SKIPPED behind the stuck runs", func() bool {
		return slices.ContainsFunc(e.runs(ds.ID), func(r *store.Run) bool { return r.Status == store.RunSkipped })
	})

	out := e.run("clear-stuck-run", map[string]string{"ds": "stuck"})
	require.ElementsMatch(t, []string{fmt.Sprint(stuckID), fmt.Sprint(unrecordedID)}, out.column(t, "id"))
	for _, id := range []int64{stuckID, unrecordedID} {
		run, err := e.store.RunGetByID(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, store.RunFailed, run.Status)
		require.Contains(t, run.Error, "cleared by an operator")
		require.Len(t, run.AttemptErrors, 1)
	}
	e.waitSucceeded(ds.ID, stuckID, 2, "the datasource runs again")
}

// Move a datasource: the next runs scan the new directory.
func checkMovePath(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	startScheduler(e, nil, nil)
	ds := e.dataSource("moving")
	writeCSV(t, filepath.Join(ds.Path, "old.csv"), 1)
	eventually(t, "the old directory is scanned", func() bool { _, paths := e.discovered(ds.ID); return len(paths) == 1 })

	newDir := filepath.Join(e.root, "moved-here")
	writeCSV(t, filepath.Join(newDir, "new.csv"), 2)
	e.run("move-path", map[string]string{"ds": "moving", "new_path": newDir})
	require.Equal(t, newDir, e.get(ds.ID).Path)
	eventually(t, "the new directory is scanned", func() bool {
		_, paths := e.discovered(ds.ID)
		return slices.Equal(paths, []string{"old.csv", "new.csv"})
	})
}

// update-schedule alone is found by the periodic resync (1 s here): the
// only wake-up the planner gets, since the UPDATE notifies no one.
func checkUpdateScheduleResync(t *testing.T, book cookbook) {
	e := newCookbookEnv(t, book)
	ds := e.dataSource("rescheduled", farCron)
	startScheduler(e, nil, func(o *scheduler.PlannerOptions) { o.Resync = time.Second })
	eventually(t, "the leader plans the schedule", func() bool { return e.get(ds.ID).NextRunAt != nil })
	requireEveryTenSeconds(t, e, ds.ID, func() { e.run("update-schedule", map[string]string{"ds": "rescheduled"}) })
}

// update-schedule followed by a NOTIFY is planned at once. The planner can
// hear of the change in no other way: its resync and retention ticks are an
// hour apart, its only schedule fires in 2099, the datasource was written
// before anything listened (no notification pending), and the listener was
// in place before the planner's term began (no "listening" reconcile).
func checkUpdateScheduleNotified(t *testing.T, book cookbook, notify string) {
	e := newCookbookEnv(t, book)
	ds := e.dataSource("rescheduled", farCron)
	listener := e.store.NewListener(store.DataSourceEventsChannel)
	watch, stopWatching := listener.Watch()
	defer stopWatching()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); listener.Run(ctx, func(error) {}) }()
	t.Cleanup(func() { cancel(); <-done }) // after the scheduler's cleanup
	select {
	case <-watch.Listening():
	case <-time.After(time.Minute):
		t.Fatal("the listener does not listen")
	}
	startScheduler(e, listener, func(o *scheduler.PlannerOptions) { o.Resync, o.RetentionEvery = time.Hour, time.Hour })
	eventually(t, "the leader plans the schedule", func() bool { return e.get(ds.ID).NextRunAt != nil })

	requireEveryTenSeconds(t, e, ds.ID, func() {
		e.run("update-schedule", map[string]string{"ds": "rescheduled"})
		e.run(notify, map[string]string{"ds": "rescheduled"})
	})
}

// requireEveryTenSeconds checks that after change the datasource runs on the
// cookbook's new schedule, every ten seconds.
func requireEveryTenSeconds(t *testing.T, e *cookbookEnv, id uuid.UUID, change func()) {
	t.Helper()
	require.Empty(t, e.runs(id), "nothing runs on the old schedule")
	changed := time.Now()
	change()
	ds := e.get(id)
	require.Equal(t, "*/10 * * * * ?", ds.Schedule.Cron)
	require.Zero(t, ds.Schedule.Interval)
	e.waitSucceeded(id, 0, 1, "a run on the new schedule")
	for _, r := range e.runs(id) {
		require.Equal(t, store.TriggerSchedule, r.Trigger)
		require.Zero(t, r.ScheduledFor.Second()%10, "slot %s is on the new schedule", r.ScheduledFor)
		require.Zero(t, r.ScheduledFor.Nanosecond())
		require.True(t, r.ScheduledFor.After(changed), "slot %s comes after the change", r.ScheduledFor)
	}
	next := e.get(id).NextRunAt
	require.NotNil(t, next)
	require.Zero(t, next.Second()%10, "next slot %s is on the new schedule", next)
}

// --- Views, on a known setup ---

// viewSetup is a known state, written without a scheduler so that it stays
// as written:
//
//   - alpha (Europe/Paris): its slot is 10 minutes late; runs, oldest
//     first: SUCCEEDED, FAILED, FAILED (2 attempts each), SKIPPED; three
//     files discovered around midnight in Paris.
//   - beta, paused, its stored slot an hour ago (no lag: paused): a run
//     FAILED two days ago, then one SUCCEEDED.
//   - gamma, next slot in an hour: a run FAILED 3 hours ago, one RUNNING
//     since an hour ago (stuck: the timeout is 10 minutes), one RUNNING
//     since now.
type viewSetup struct {
	*cookbookEnv
	alpha, beta, gamma *store.DataSource
	// runs of alpha (oldest first), and gamma's stuck and fresh ones.
	alphaRuns         []int64
	gammaFailed       int64
	gammaStuck        int64
	gammaFresh        int64
	betaOldFailure    int64
	alphaFiles        []int64
	leaderEpoch       int64
	leaderReplicaName string
}

func newViewSetup(t *testing.T, book cookbook) *viewSetup {
	t.Helper()
	e := newCookbookEnv(t, book)
	v := &viewSetup{cookbookEnv: e, leaderEpoch: 7, leaderReplicaName: "replica-a"}
	v.alpha = e.dataSource("alpha", func(p *store.DataSourceCreateParams) { p.Schedule.Timezone = "Europe/Paris" })
	v.beta = e.dataSource("beta")
	v.gamma = e.dataSource("gamma")
	e.exec(`UPDATE datasources SET next_run_at = now() - interval '10 minutes' WHERE id = $1`, v.alpha.ID)
	e.exec(`UPDATE datasources SET paused = true, next_run_at = now() - interval '1 hour' WHERE id = $1`, v.beta.ID)
	e.exec(`UPDATE datasources SET next_run_at = now() + interval '1 hour' WHERE id = $1`, v.gamma.ID)

	// insertRun writes a run of the slot slotAgo ago, last written
	// updatedAgo ago, with attempts failed attempts (the last one's error is
	// the run's).
	insertRun := func(ds *store.DataSource, slotAgo, status, updatedAgo string, attempts int) int64 {
		var (
			failed  []store.AttemptError
			lastErr string
		)
		for i := 1; i <= attempts; i++ {
			lastErr = fmt.Sprintf("disk %s attempt %d", ds.Name, i)
			failed = append(failed, store.AttemptError{Attempt: i, At: time.Date(2026, 12, 1, 10, 0, i, 0, time.UTC), Error: lastErr})
		}
		attemptErrors, err := json.Marshal(failed)
		require.NoError(t, err)
		if failed == nil {
			attemptErrors = []byte("[]")
		}
		var id int64
		require.NoError(t, e.store.Pool().QueryRow(t.Context(), `
			INSERT INTO runs (datasource_id, scheduled_for, status, attempt, max_attempts, replica_id, started_at,
				finished_at, updated_at, error, attempt_errors)
			VALUES ($1, now() - $2::text::interval, $3::text, $4, 2, 'replica-a', now() - $2::text::interval,
				CASE WHEN $3::text IN ('SUCCEEDED', 'FAILED', 'SKIPPED') THEN now() - $2::text::interval + interval '1 second' END,
				now() - $5::text::interval, nullif($6::text, ''), $7::text::jsonb)
			RETURNING id`,
			ds.ID, slotAgo, status, max(attempts, 1), updatedAgo, lastErr, string(attemptErrors)).Scan(&id))
		return id
	}
	v.alphaRuns = []int64{
		insertRun(v.alpha, "300 seconds", "SUCCEEDED", "299 seconds", 0),
		insertRun(v.alpha, "200 seconds", "FAILED", "199 seconds", 2),
		insertRun(v.alpha, "100 seconds", "FAILED", "99 seconds", 2),
		insertRun(v.alpha, "50 seconds", "SKIPPED", "50 seconds", 0),
	}
	v.betaOldFailure = insertRun(v.beta, "2 days", "FAILED", "2 days", 1)
	insertRun(v.beta, "1 day", "SUCCEEDED", "1 day", 0)
	v.gammaFailed = insertRun(v.gamma, "3 hours", "FAILED", "3 hours", 1)
	v.gammaStuck = insertRun(v.gamma, "2 hours", "RUNNING", "1 hour", 0)
	v.gammaFresh = insertRun(v.gamma, "1 hour", "RUNNING", "0 seconds", 0)

	// 22:30 UTC is 23:30 in Paris on 30 November; 23:30 UTC is already
	// 1 December there.
	for _, f := range []struct {
		path, at, format string
		size             int
		records          *int
	}{
		{"a.csv", "2026-11-30 22:30:00+00", "CSV", 100, ptrTo(1)},
		{"b.csv", "2026-11-30 23:30:00+00", "CSV", 200, ptrTo(2)},
		{"c.bin", "2026-12-01 10:00:00+00", "OTHER", 300, nil},
	} {
		var id int64
		require.NoError(t, e.store.Pool().QueryRow(t.Context(), `
			INSERT INTO discovered_files (datasource_id, run_id, path, path_bytes, size, mtime, format, record_count, discovered_at)
			VALUES ($1, $2, $3::text, convert_to($3::text, 'UTF8'), $4, $5::text::timestamptz - interval '1 minute', $6, $7,
				$5::text::timestamptz)
			RETURNING id`, v.alpha.ID, v.alphaRuns[0], f.path, f.size, f.at, f.format, f.records).Scan(&id))
		v.alphaFiles = append(v.alphaFiles, id)
	}
	require.NoError(t, e.store.LeaderRecord(t.Context(), &store.LeaderRecordParams{Epoch: v.leaderEpoch, ReplicaID: v.leaderReplicaName, Address: "http://a"}))
	return v
}

func ptrTo[T any](v T) *T { return &v }

func idStrings(xs ...int64) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func checkViewScheduleStatus(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-schedule-status", nil)
	require.Equal(t, []string{"alpha", "gamma"}, out.column(t, "name"), "late or failing")
	require.Equal(t, []string{"FAILED", "RUNNING"}, out.column(t, "last_run_status"))
	require.Equal(t, []string{"2", "1"}, out.column(t, "consecutive_failures"))
	require.Equal(t, []string{"disk alpha attempt 2", "NULL"}, out.column(t, "last_run_error"))

	// Every column, for every datasource.
	type status struct {
		lag                 time.Duration
		lastRunID           *int64
		lastStatus          *string
		consecutiveFailures int
	}
	read := func(id uuid.UUID) status {
		var s status
		require.NoError(t, v.store.Pool().QueryRow(t.Context(), `
			SELECT lag, last_run_id, last_run_status, consecutive_failures FROM ops.schedule_status WHERE id = $1`, id).
			Scan(&s.lag, &s.lastRunID, &s.lastStatus, &s.consecutiveFailures))
		return s
	}
	alpha := read(v.alpha.ID)
	require.GreaterOrEqual(t, alpha.lag, 10*time.Minute, "alpha's slot is 10 minutes late")
	require.Equal(t, v.alphaRuns[2], *alpha.lastRunID, "the SKIPPED slot did not run")
	require.Equal(t, 2, alpha.consecutiveFailures)

	beta := read(v.beta.ID)
	require.Zero(t, beta.lag, "a paused schedule is not late")
	require.Equal(t, "SUCCEEDED", *beta.lastStatus)
	require.Zero(t, beta.consecutiveFailures, "the failure came before the success")

	gamma := read(v.gamma.ID)
	require.Zero(t, gamma.lag, "gamma's slot is ahead")
	require.Equal(t, v.gammaFresh, *gamma.lastRunID)
	require.Equal(t, 1, gamma.consecutiveFailures, "no success yet: every failure counts")

	// Deleted datasources drop out.
	_, err := v.store.DataSourceDelete(t.Context(), &store.DataSourceDeleteParams{ID: v.gamma.ID})
	require.NoError(t, err)
	require.Equal(t, []string{"alpha"}, v.run("view-schedule-status", nil).column(t, "name"))
}

func checkViewFailures(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-failures", nil)
	// Newest failure first; beta's, two days old, is out.
	require.Equal(t, []string{"alpha", "alpha", "gamma"}, out.column(t, "datasource"))
	require.Equal(t, []string{"2", "2", "1"}, out.column(t, "attempts"))
	require.Equal(t, []string{
		"attempt 1 at 2026-12-01T10:00:01Z: disk alpha attempt 1\nattempt 2 at 2026-12-01T10:00:02Z: disk alpha attempt 2",
		"attempt 1 at 2026-12-01T10:00:01Z: disk alpha attempt 1\nattempt 2 at 2026-12-01T10:00:02Z: disk alpha attempt 2",
		"attempt 1 at 2026-12-01T10:00:01Z: disk gamma attempt 1",
	}, out.column(t, "errors"))
	var runIDs []int64
	rows, err := v.store.Pool().Query(t.Context(), `SELECT run_id FROM ops.failures`)
	require.NoError(t, err)
	runIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Equal(t, []int64{v.alphaRuns[2], v.alphaRuns[1], v.gammaFailed}, runIDs)
	require.NotContains(t, runIDs, v.betaOldFailure)
}

func checkViewStuckRuns(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-stuck-runs", nil)
	require.Equal(t, idStrings(v.gammaStuck), out.column(t, "run_id"), "only the run past its timeout")
	require.Equal(t, []string{"gamma"}, out.column(t, "datasource"))
	require.Equal(t, []string{"replica-a"}, out.column(t, "replica_id"))
	require.Equal(t, []string{"00:10:00"}, out.column(t, "run_timeout"))
	require.Equal(t, []string{"NULL"}, out.column(t, "river_job_state"), "no River job")
	var runningFor time.Duration
	require.NoError(t, v.store.Pool().QueryRow(t.Context(), `SELECT running_for FROM ops.stuck_runs`).Scan(&runningFor))
	require.GreaterOrEqual(t, runningFor, time.Hour)
}

func checkViewDiscoveryDaily(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-discovery-daily", map[string]string{"ds": "alpha"})
	// Days in Paris: b.csv, at 23:30 UTC, counts for 1 December.
	require.Equal(t, []string{"2026-12-01", "2026-11-30"}, out.column(t, "day"))
	require.Equal(t, []string{"2", "1"}, out.column(t, "files"))
	require.Equal(t, []string{"500", "100"}, out.column(t, "bytes"))
	require.Equal(t, []string{"2", "1"}, out.column(t, "records"))
	require.Empty(t, v.run("view-discovery-daily", map[string]string{"ds": "beta"}).rows)
}

func checkViewDiscoveredFiles(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-discovered-files", map[string]string{"ds": "alpha"})
	require.Equal(t, []string{"c.bin", "b.csv", "a.csv"}, out.column(t, "path"), "newest first")
	require.Equal(t, []string{"OTHER", "CSV", "CSV"}, out.column(t, "format"))
	require.Equal(t, []string{"NULL", "2", "1"}, out.column(t, "record_count"))
	require.Equal(t, idStrings(v.alphaRuns[0], v.alphaRuns[0], v.alphaRuns[0]), out.column(t, "run_id"))
}

func checkViewRuns(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-runs", map[string]string{"ds": "alpha"})
	require.Equal(t, []string{"SKIPPED", "FAILED", "FAILED", "SUCCEEDED"}, out.column(t, "status"), "newest slot first")
	require.Equal(t, []string{"NULL", "disk alpha attempt 2", "disk alpha attempt 2", "NULL"}, out.column(t, "error"))
}

func checkViewDataSources(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-datasources", nil)
	require.Equal(t, []string{"alpha", "beta", "gamma"}, out.column(t, "name"))
	require.Equal(t, []string{"f", "t", "f"}, out.column(t, "paused"))
	require.Equal(t, []string{"00:00:01", "00:00:01", "00:00:01"}, out.column(t, "schedule"))
	require.Equal(t, []string{"Europe/Paris", "UTC", "UTC"}, out.column(t, "timezone"))
	require.Equal(t, []string{v.alpha.Path, v.beta.Path, v.gamma.Path}, out.column(t, "path"))
}

func checkViewSchedules(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-schedules", nil)
	require.Equal(t, []string{"beta", "alpha", "gamma"}, out.column(t, "name"), "soonest stored slot first")
	var lastSlot, newest time.Time
	require.NoError(t, v.store.Pool().QueryRow(t.Context(), `
		SELECT s.last_slot, (SELECT scheduled_for FROM runs WHERE id = $2) FROM ops.schedules s WHERE s.id = $1`,
		v.alpha.ID, v.alphaRuns[3]).Scan(&lastSlot, &newest))
	require.True(t, lastSlot.Equal(newest), "the last planned slot is the newest run's")
}

func checkViewLeadership(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-leadership", nil)
	require.Equal(t, idStrings(v.leaderEpoch), out.column(t, "epoch"))
	require.Equal(t, []string{v.leaderReplicaName}, out.column(t, "replica_id"))
	require.Equal(t, []string{"NULL"}, out.column(t, "ended_at"), "still leading")
}

func checkViewRecentEvents(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-recent-events", nil)
	var created []string
	for i, kind := range out.column(t, "kind") {
		if kind == "DATASOURCE_CREATED" {
			created = append(created, out.column(t, "datasource_name")[i])
		}
	}
	require.Equal(t, []string{"gamma", "beta", "alpha"}, created, "newest first")
}

func checkViewEventStream(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	out := v.run("view-event-stream", nil)
	require.NotEmpty(t, out.rows)
	for i, cursor := range out.column(t, "cursor") {
		require.Regexp(t, `^[0-9]+:[0-9]+$`, cursor)
		require.Equal(t, "t", out.column(t, "streamed")[i], "no transaction holds the stream back")
	}
	require.Contains(t, out.column(t, "topic"), "DATASOURCES")
}

func checkViewAudit(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	v.exec(`INSERT INTO audit_log (occurred_at, token_name, role, operation, datasource_id, outcome, replica_id)
		VALUES (now() - interval '1 minute', 'ci', 'editor', 'updateDataSource', $1, 'ok', 'replica-a'),
		       (now(), 'intern', 'viewer', 'deleteDataSource', $2, 'FORBIDDEN', 'replica-b')`, v.alpha.ID, v.beta.ID)
	out := v.run("view-audit", nil)
	require.Equal(t, []string{"deleteDataSource", "updateDataSource"}, out.column(t, "operation"), "newest first")
	require.Equal(t, []string{"beta", "alpha"}, out.column(t, "datasource_name"))
	require.Equal(t, []string{"FORBIDDEN", "ok"}, out.column(t, "outcome"))
	require.Equal(t, []string{"intern", "ci"}, out.column(t, "token_name"))
}

// Open transactions: one holding a datasource row is listed but does not
// hold back streams; one that locked events does.
func checkOpenTransactions(t *testing.T, book cookbook) {
	v := newViewSetup(t, book)
	open := func(statements ...string) int {
		conn, err := pgx.Connect(t.Context(), v.url)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		for _, s := range append([]string{"BEGIN"}, statements...) {
			_, err := conn.Exec(t.Context(), s)
			require.NoError(t, err)
		}
		return int(conn.PgConn().PID())
	}
	rowHolder := open(`UPDATE datasources SET description = 'held' WHERE name = 'beta'`)
	streamHolder := open(`LOCK TABLE events IN ROW EXCLUSIVE MODE`, `SELECT pg_current_xact_id()`)

	out := v.run("open-transactions", nil)
	holds := map[string]string{}
	for i, pid := range out.column(t, "pid") {
		holds[pid] = out.column(t, "holds_back_streams")[i]
	}
	require.Equal(t, map[string]string{fmt.Sprint(rowHolder): "f", fmt.Sprint(streamHolder): "t"}, holds)
}
