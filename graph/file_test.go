package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

func TestDiscoveredFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.create(t, "with-files")
	id := created["id"].(string)
	dsID := uuid.MustParse(id)

	run := b.mustDo(t, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})["triggerRun"].(map[string]any)
	runID := run["id"].(string)
	var runNumber int64
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT $1::bigint`, runID).Scan(&runNumber))

	records := int64(100)
	mtime := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	require.NoError(t, b.store.InTx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.FilesRecord(t.Context(), dsID, runNumber, &store.FileDiscovery{Files: []store.DiscoveredFile{
			{Path: "a.csv", Size: 21_000, ModTime: mtime, Format: "CSV", RecordCount: &records},
			{Path: "caf\xe9.bin", Size: 5_000_000_000, ModTime: mtime, Format: "OTHER"},
		}})
		return err
	}))

	got := b.mustDo(t, `query($id: ID!, $run: ID!) { dataSource(id: $id) {
		minFileAge hashFiles maxFilesPerRun
		fileTotals { files bytes records }
		files(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { path size format recordCount runId modifiedAt sha256 parseError } } }
		ofRun: files(runId: $run) { totalCount }
	} run(id: $run) { files { totalCount } } }`, map[string]any{"id": id, "run": runID})
	ds := got["dataSource"].(map[string]any)
	require.Equal(t, "2s", ds["minFileAge"])
	require.Equal(t, false, ds["hashFiles"])
	require.EqualValues(t, 100000, ds["maxFilesPerRun"])
	require.Equal(t, map[string]any{"files": float64(2), "bytes": float64(5_000_021_000), "records": float64(100)}, ds["fileTotals"])
	files := ds["files"].(map[string]any)
	require.EqualValues(t, 2, files["totalCount"])
	node := files["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	require.Equal(t, "caf\uFFFD.bin", node["path"], "newest first, shown as valid UTF-8")
	require.EqualValues(t, 5_000_000_000, node["size"], "sizes are 64-bit")
	require.Equal(t, "OTHER", node["format"])
	require.Nil(t, node["recordCount"])
	require.Equal(t, runID, node["runId"])
	require.EqualValues(t, 2, ds["ofRun"].(map[string]any)["totalCount"])
	require.EqualValues(t, 2, got["run"].(map[string]any)["files"].(map[string]any)["totalCount"])

	next := b.mustDo(t, `query($id: ID!, $after: String) { dataSource(id: $id) { files(first: 1, after: $after) { edges { node { path recordCount } } pageInfo { hasNextPage } } } }`,
		map[string]any{"id": id, "after": files["pageInfo"].(map[string]any)["endCursor"]})
	page2 := next["dataSource"].(map[string]any)["files"].(map[string]any)
	require.Equal(t, "a.csv", page2["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["path"])
	require.Equal(t, false, page2["pageInfo"].(map[string]any)["hasNextPage"])

	resp := b.do(t, `query($id: ID!) { dataSource(id: $id) { files(runId: "x") { totalCount } } }`, map[string]any{"id": id})
	requireCode(t, resp, "VALIDATION", "runId")
	resp = b.do(t, `query($id: ID!) { dataSource(id: $id) { files(after: "nope") { totalCount } } }`, map[string]any{"id": id})
	requireCode(t, resp, "INVALID_CURSOR", "after")
}

func TestDiscoverySettingsValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for field, value := range map[string]any{"minFileAge": "-1s", "maxFilesPerRun": 0} {
		in := b.validInput("bad-" + field)
		in[field] = value
		resp := b.do(t, createMutation, map[string]any{"input": in})
		requireCode(t, resp, "VALIDATION", "input."+field)
	}
	in := b.validInput("tuned")
	in["minFileAge"], in["hashFiles"], in["maxFilesPerRun"] = "0s", true, 500
	got := b.mustDo(t, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { minFileAge hashFiles maxFilesPerRun } }`,
		map[string]any{"input": in})["createDataSource"].(map[string]any)
	require.Equal(t, map[string]any{"minFileAge": "0s", "hashFiles": true, "maxFilesPerRun": float64(500)}, got)
}

// filesPerDay counts by calendar day in the schedule's zone, up to the
// resolver's clock, with empty days as zeros.
func TestFilesPerDay(t *testing.T) {
	t.Parallel()
	b := setup(t) // b.now is 14:00 UTC on 27 November 2026
	in := b.validInput("per-day")
	in["schedule"] = map[string]any{"cron": "0 * * * * ?", "timezone": "Europe/Paris"}
	id := b.mustDo(t, createMutation, map[string]any{"input": in})["createDataSource"].(map[string]any)["id"].(string)
	dsID := uuid.MustParse(id)

	records := int64(40)
	for _, f := range []struct {
		path string
		at   time.Time
	}{
		{"late.csv", time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)}, // the 26th in Paris
		{"early.csv", time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)},
		{"too-old.csv", time.Date(2026, 11, 24, 22, 59, 0, 0, time.UTC)}, // the 24th in Paris
	} {
		require.NoError(t, b.store.InTx(t.Context(), func(tx *store.Tx) error {
			_, err := tx.FilesRecord(t.Context(), dsID, 1, &store.FileDiscovery{Files: []store.DiscoveredFile{
				{Path: f.path, Size: 1_000, ModTime: f.at, Format: "CSV", RecordCount: &records}}})
			return err
		}))
		_, err := b.store.Pool().Exec(t.Context(), `UPDATE discovered_files SET discovered_at = $2 WHERE path = $1`, f.path, f.at)
		require.NoError(t, err)
	}

	got := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) {
		threeDays: filesPerDay(days: 3) { day files bytes records }
		byDefault: filesPerDay { day }
	} }`, map[string]any{"id": id})["dataSource"].(map[string]any)
	require.Equal(t, []any{
		map[string]any{"day": "2026-11-25", "files": float64(0), "bytes": float64(0), "records": float64(0)},
		map[string]any{"day": "2026-11-26", "files": float64(1), "bytes": float64(1_000), "records": float64(40)},
		map[string]any{"day": "2026-11-27", "files": float64(1), "bytes": float64(1_000), "records": float64(40)},
	}, got["threeDays"])
	byDefault := got["byDefault"].([]any)
	require.Len(t, byDefault, 14)
	require.Equal(t, "2026-11-14", byDefault[0].(map[string]any)["day"])
	require.Equal(t, "2026-11-27", byDefault[13].(map[string]any)["day"])

	for _, days := range []int{0, 91} {
		resp := b.do(t, `query($id: ID!, $days: Int) { dataSource(id: $id) { filesPerDay(days: $days) { day } } }`,
			map[string]any{"id": id, "days": days})
		e := requireCode(t, resp, "VALIDATION", "days")
		require.Equal(t, fmt.Sprintf("days must be between 1 and 90, got %d", days), e.Message)
	}

	// One query per datasource: a whole page of them is too expensive.
	resp := b.do(t, `{ dataSources(first: 100) { edges { node { filesPerDay { day files bytes records } } } } }`, nil)
	requireCode(t, resp, "COMPLEXITY_LIMIT_EXCEEDED", "")
	b.mustDo(t, `{ dataSources(first: 20) { edges { node { filesPerDay { day files bytes records } } } } }`, nil)
}
