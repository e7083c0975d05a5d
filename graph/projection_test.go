package graph_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A page that reads only the columns its selection needs answers what a
// page that reads every column answers.
func TestPagesReadOnlyTheColumnsTheyShow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var id string
	for i := range 3 {
		input := b.validInput(fmt.Sprintf("projected-%d", i))
		input["description"] = fmt.Sprintf("description %d", i)
		input["maxAttempts"] = 2 + i
		ds := b.mustDo(t, createMutation, map[string]any{"input": input})["createDataSource"].(map[string]any)
		id = ds["id"].(string)
	}
	for range 2 {
		b.mustDo(t, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})
	}

	const fields = `id name description supplierName category path filePattern enabled maxAttempts runTimeout
		minFileAge hashFiles maxFilesPerRun createdAt updatedAt version`
	nodes := func(query string) []any {
		var out []any
		for _, e := range b.mustDo(t, query, nil)["dataSources"].(map[string]any)["edges"].([]any) {
			node := e.(map[string]any)["node"].(map[string]any)
			delete(node, "schedule")
			out = append(out, node)
		}
		return out
	}
	pruned := nodes(`{ dataSources(first: 10) { edges { node { ` + fields + ` } } } }`)
	// schedule needs the whole row: this page reads every column.
	full := nodes(`{ dataSources(first: 10) { edges { node { ` + fields + ` schedule { cron } } } } }`)
	require.Len(t, pruned, 3)
	require.Equal(t, full, pruned)
	require.Equal(t, "description 1", pruned[1].(map[string]any)["description"])

	// Through a fragment and an alias too.
	viaFragment := nodes(`{ dataSources(first: 10) { edges { node { ...f } } } } fragment f on DataSource { ` + fields + ` }`)
	require.Equal(t, full, viaFragment)

	// And a datasource read by id.
	byID := func(extra string) map[string]any {
		ds := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { `+fields+extra+` } }`, map[string]any{"id": id})["dataSource"].(map[string]any)
		delete(ds, "schedule")
		return ds
	}
	require.Equal(t, byID(" schedule { cron }"), byID(""))
	require.Equal(t, full[2], byID(""))

	const runFields = `id dataSourceId status trigger scheduledFor coversUntil slotCount startedAt finishedAt durationMs
		attempt maxAttempts error attemptErrors { attempt } replicaId filesFound bytesFound recordsFound
		skipped { path } skippedCount`
	page := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { runs { edges { node { `+runFields+` } } } } }`,
		map[string]any{"id": id})["dataSource"].(map[string]any)["runs"].(map[string]any)["edges"].([]any)
	require.NotEmpty(t, page)
	for _, e := range page {
		node := e.(map[string]any)["node"].(map[string]any)
		one := b.mustDo(t, `query($id: ID!) { run(id: $id) { `+runFields+` } }`, map[string]any{"id": node["id"]})["run"]
		require.Equal(t, one, node)
	}
	statuses := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { runs { edges { node { status } } } } }`,
		map[string]any{"id": id})["dataSource"].(map[string]any)["runs"].(map[string]any)["edges"].([]any)
	require.Equal(t, page[0].(map[string]any)["node"].(map[string]any)["status"], statuses[0].(map[string]any)["node"].(map[string]any)["status"])
}
