package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

func TestTriggerRunAndRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "triggered")["id"].(string)

	run := b.mustDo(t, `mutation($id: ID!) { triggerRun(id: $id) { id status trigger scheduledFor attempt maxAttempts attemptErrors { attempt } filesFound
		skipped { path reason } skippedCount } }`,
		map[string]any{"id": id})["triggerRun"].(map[string]any)
	require.Equal(t, "SCHEDULED", run["status"])
	require.Empty(t, run["skipped"])
	require.EqualValues(t, 0, run["skippedCount"])
	require.Equal(t, "MANUAL", run["trigger"])
	require.EqualValues(t, 3, run["maxAttempts"])
	require.Empty(t, run["attemptErrors"])

	got := b.mustDo(t, `query($id: ID!) { run(id: $id) { id dataSourceId status } }`, map[string]any{"id": run["id"]})["run"].(map[string]any)
	require.Equal(t, id, got["dataSourceId"])

	ds := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) {
		runs(first: 5, status: [SCHEDULED]) { totalCount edges { cursor node { id status } } pageInfo { hasNextPage } }
		none: runs(status: [FAILED]) { totalCount } } }`, map[string]any{"id": id})["dataSource"].(map[string]any)
	require.EqualValues(t, 1, ds["runs"].(map[string]any)["totalCount"])
	require.EqualValues(t, 0, ds["none"].(map[string]any)["totalCount"])

	for _, missing := range []string{"0", "999999", "abc", "-1"} {
		got := b.mustDo(t, `query($id: ID!) { run(id: $id) { id } }`, map[string]any{"id": missing})
		require.Nil(t, got["run"], missing)
	}
	resp := b.do(t, `mutation { triggerRun(id: "5b2f8c1e-0000-4000-8000-000000000000") { id } }`, nil)
	requireCode(t, resp, "NOT_FOUND", "id")
	resp = b.do(t, `query($id: ID!) { dataSource(id: $id) { runs(after: "bogus") { totalCount } } }`, map[string]any{"id": id})
	requireCode(t, resp, "INVALID_CURSOR", "after")
	resp = b.do(t, `query($id: ID!) { dataSource(id: $id) { runs(first: 1000) { totalCount } } }`, map[string]any{"id": id})
	requireCode(t, resp, "VALIDATION", "first")
	resp = b.do(t, `query($id: ID!) { dataSource(id: $id) { runs(status: [BOGUS]) { totalCount } } }`, map[string]any{"id": id})
	requireCode(t, resp, "GRAPHQL_VALIDATION_FAILED", "")
	// RunStatus is bound to a Go string: a variable is still checked
	// against the enum, exactly (gqlparser ignores case), and never
	// reaches the query.
	for bad, code := range map[string]string{"BOGUS": "GRAPHQL_VALIDATION_FAILED", "scheduled": "VALIDATION",
		"SCHEDULED; DROP TABLE runs": "GRAPHQL_VALIDATION_FAILED"} {
		resp = b.do(t, `query($id: ID!, $s: [RunStatus!]) { dataSource(id: $id) { runs(status: $s) { totalCount } } }`,
			map[string]any{"id": id, "s": []any{bad}})
		requireCode(t, resp, code, "")
		require.Nil(t, resp.Data["dataSource"], bad)
	}
	resp = b.do(t, `query($id: ID!, $s: [RunStatus!]) { dataSource(id: $id) { runs(status: $s) { totalCount } } }`,
		map[string]any{"id": id, "s": []any{1}})
	requireCode(t, resp, "GRAPHQL_VALIDATION_FAILED", "")
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "pausable")["id"].(string)

	paused := b.mustDo(t, `mutation($id: ID!) { pauseSchedule(id: $id) { version schedule { paused nextRunAt } } }`,
		map[string]any{"id": id})["pauseSchedule"].(map[string]any)
	require.Equal(t, true, paused["schedule"].(map[string]any)["paused"])
	require.Nil(t, paused["schedule"].(map[string]any)["nextRunAt"])
	require.EqualValues(t, 2, paused["version"])

	again := b.mustDo(t, `mutation($id: ID!) { pauseSchedule(id: $id) { version } }`, map[string]any{"id": id})["pauseSchedule"].(map[string]any)
	require.EqualValues(t, 2, again["version"], "pausing a paused schedule changes nothing")

	resumed := b.mustDo(t, `mutation($id: ID!) { resumeSchedule(id: $id) { version schedule { paused } } }`,
		map[string]any{"id": id})["resumeSchedule"].(map[string]any)
	require.Equal(t, false, resumed["schedule"].(map[string]any)["paused"])

	var kinds []string
	rows, err := b.store.Pool().Query(t.Context(), `SELECT kind FROM events WHERE kind LIKE 'SCHEDULE_%' ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	require.Equal(t, []string{"SCHEDULE_PAUSED", "SCHEDULE_RESUMED"}, kinds)

	resp := b.do(t, `mutation { pauseSchedule(id: "nope") { id } }`, nil)
	requireCode(t, resp, "NOT_FOUND", "id")
}

func TestRunSettingsValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for field, value := range map[string]any{"maxAttempts": 0, "runTimeout": "0.5s"} {
		in := b.validInput("settings-" + field)
		in[field] = value
		resp := b.do(t, createMutation, map[string]any{"input": in})
		requireCode(t, resp, "VALIDATION", "input."+field)
	}
	for field, value := range map[string]any{"maxAttempts": 26, "runTimeout": "25h"} {
		in := b.validInput("settings-big-" + field)
		in[field] = value
		resp := b.do(t, createMutation, map[string]any{"input": in})
		requireCode(t, resp, "VALIDATION", "input."+field)
	}
	in := b.validInput("settings-ok")
	in["maxAttempts"], in["runTimeout"] = 5, "90s"
	got := b.mustDo(t, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { maxAttempts runTimeout } }`,
		map[string]any{"input": in})["createDataSource"].(map[string]any)
	require.EqualValues(t, 5, got["maxAttempts"])
	require.Equal(t, "1m30s", got["runTimeout"])
}

// cluster reads the leader and the replicas from etcd.
func TestCluster(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got := b.mustDo(t, `{ cluster { leader { replicaId } replicas { replicaId } } }`, nil)["cluster"].(map[string]any)
	require.Nil(t, got["leader"], "no replica runs the scheduler yet")
	require.Empty(t, got["replicas"])

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.scheduler.Run(ctx, 5*time.Second)
	}()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(time.Minute)
	for {
		got = b.mustDo(t, `{ cluster { leader { replicaId address epoch since } replicas { replicaId address startedAt isLeader } } }`, nil)["cluster"].(map[string]any)
		if l, ok := got["leader"].(map[string]any); ok && l["since"] != nil && len(got["replicas"].([]any)) == 1 {
			require.Equal(t, "api-under-test", l["replicaId"])
			require.Equal(t, "http://api", l["address"])
			require.NotEmpty(t, l["epoch"])
			require.Equal(t, true, got["replicas"].([]any)[0].(map[string]any)["isLeader"])
			return
		}
		require.True(t, time.Now().Before(deadline), "no leader in cluster: %v", got)
		time.Sleep(50 * time.Millisecond)
	}
}

// cluster.leaders reads leadership_history, newest first.
func TestClusterLeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const query = `query($first: Int) { cluster { leaders(first: $first) { epoch replicaId address startedAt endedAt } } }`
	got := b.mustDo(t, query, nil)["cluster"].(map[string]any)
	require.Equal(t, []any{}, got["leaders"], "no leader yet")

	for _, p := range []store.LeaderRecordParams{
		{Epoch: 41, ReplicaID: "replica-a", Address: "http://a"},
		{Epoch: 9_007_199_254_740_993, ReplicaID: "replica-b", Address: "http://b"}, // past float64's integers
	} {
		require.NoError(t, b.store.LeaderRecord(t.Context(), &p))
	}
	got = b.mustDo(t, query, nil)["cluster"].(map[string]any)
	leaders := got["leaders"].([]any)
	require.Len(t, leaders, 2)
	newest, older := leaders[0].(map[string]any), leaders[1].(map[string]any)
	require.Equal(t, "9007199254740993", newest["epoch"], "newest first, exact")
	require.Equal(t, "replica-b", newest["replicaId"])
	require.Equal(t, "http://b", newest["address"])
	require.Nil(t, newest["endedAt"], "still leading")
	require.Equal(t, "41", older["epoch"])
	startedAt, err := time.Parse(time.RFC3339Nano, older["startedAt"].(string))
	require.NoError(t, err)
	endedAt, err := time.Parse(time.RFC3339Nano, older["endedAt"].(string))
	require.NoError(t, err)
	require.False(t, endedAt.Before(startedAt), "superseded when the next leader recorded its epoch")

	got = b.mustDo(t, query, map[string]any{"first": 1})["cluster"].(map[string]any)
	require.Len(t, got["leaders"], 1)

	for _, first := range []int{0, 101} {
		resp := b.do(t, query, map[string]any{"first": first})
		e := requireCode(t, resp, "VALIDATION", "first")
		require.Equal(t, fmt.Sprintf("first must be between 1 and 100, got %d", first), e.Message)
	}
}

// lastRun and fileTotals of a page of datasources come from per-request
// loaders; each datasource still gets its own answer.
func TestLastRunAndTotalsPerDataSource(t *testing.T) {
	t.Parallel()
	b := setup(t)
	started := b.create(t, "started")["id"].(string)
	b.create(t, "idle")
	run := b.mustDo(t, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": started})["triggerRun"].(map[string]any)
	var runID int64
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT $1::bigint`, run["id"]).Scan(&runID))
	results, err := b.store.RunsStart(t.Context(), []store.RunStartParams{{RunID: runID, JobID: 1, Attempt: 1, ReplicaID: "r"}})
	require.NoError(t, err)
	require.NoError(t, results[0].Err)

	edges := b.mustDo(t, `{ dataSources { edges { node { name schedule { lastRun { id status } } fileTotals { files } } } } }`, nil)["dataSources"].(map[string]any)["edges"].([]any)
	got := map[string]any{}
	for _, e := range edges {
		n := e.(map[string]any)["node"].(map[string]any)
		got[n["name"].(string)] = n["schedule"].(map[string]any)["lastRun"]
		require.EqualValues(t, 0, n["fileTotals"].(map[string]any)["files"])
	}
	require.Equal(t, map[string]any{"started": map[string]any{"id": run["id"], "status": "RUNNING"}, "idle": nil}, got)
}
