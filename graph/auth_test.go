package graph_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/graph"
)

// Every mutation is in the audit log, with its outcome; ops.audit shows it
// with the datasource's name.
func TestMutationsAreAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds := b.create(t, "audited")
	id := ds["id"].(string)
	resp := b.do(t, `mutation($id: ID!) { updateDataSource(id: $id, input: {name: "audited-2"}, expectedVersion: 99) { id } }`,
		map[string]any{"id": id})
	requireCode(t, resp, "VERSION_CONFLICT", "")
	b.mustDo(t, `mutation($id: ID!) { pauseSchedule(id: $id) { id } }`, map[string]any{"id": id})

	rows, err := b.store.Pool().Query(context.Background(),
		`SELECT operation, outcome, role, token_name IS NULL, datasource_name FROM ops.audit ORDER BY occurred_at`)
	require.NoError(t, err)
	defer rows.Close()
	type entry struct {
		op, outcome, role string
		anonymous         bool
		name              string
	}
	var got []entry
	for rows.Next() {
		var e entry
		require.NoError(t, rows.Scan(&e.op, &e.outcome, &e.role, &e.anonymous, &e.name))
		got = append(got, e)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []entry{
		{"createDataSource", "ok", "admin", true, "audited"},
		{"updateDataSource", "VERSION_CONFLICT", "admin", true, "audited"},
		{"pauseSchedule", "ok", "admin", true, "audited"},
	}, got)
}

// A token's mutations beyond its rate fail with RATE_LIMITED, and say
// when to retry; queries are not limited.
func TestMutationRateLimit(t *testing.T) {
	t.Parallel()
	limits := graph.DefaultLimits
	limits.MutationsPerSecond, limits.MutationBurst = 0.001, 2
	b := setupWithLimits(t, limits)
	b.create(t, "first")
	b.create(t, "second")
	resp := b.do(t, createMutation, map[string]any{"input": b.validInput("third")})
	e := requireCode(t, resp, "RATE_LIMITED", "")
	require.Positive(t, e.Extensions["retryAfterMs"])
	for range 5 {
		b.mustDo(t, `{ dataSources(first: 1) { totalCount } }`, nil)
	}
	var outcome string
	require.NoError(t, b.store.Pool().QueryRow(context.Background(),
		`SELECT outcome FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&outcome))
	require.Equal(t, "RATE_LIMITED", outcome)
	data := b.mustDo(t, `{ dataSources(first: 10) { totalCount } }`, nil)
	require.EqualValues(t, 2, data["dataSources"].(map[string]any)["totalCount"], "the refused one was not created")
}
