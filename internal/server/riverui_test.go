package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/gqltest"
)

// /riverui/ serves River UI's page and its assets from the binary, and its
// API lists the River job of one of our runs.
func TestRiverUIListsOurJobs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	urls, _ := startReplicas(t, 1, root)
	base := urls[0]

	page := getBody(t, base+"/riverui/", http.StatusOK)
	require.Contains(t, page, "<title>River</title>")
	// Every script and stylesheet is served by the replica itself.
	assets := regexp.MustCompile(`(?:src|href)="([^"]+\.(?:js|css))"`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, assets)
	for _, asset := range assets {
		require.Regexp(t, `^/riverui/`, asset[1], "River UI loads %s from another host", asset[1])
		getBody(t, base+asset[1], http.StatusOK)
	}

	dir := filepath.Join(root, "inbox")
	require.NoError(t, os.Mkdir(dir, 0o755))
	id := gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "riverui", "supplierName": "ACME", "path": dir, "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1h"},
		}})["createDataSource"].(map[string]any)["id"].(string)
	runID := gqltest.Do(t, base, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})["triggerRun"].(map[string]any)["id"].(string)

	require.Eventually(t, func() bool {
		var list struct {
			Data []struct {
				Kind  string `json:"kind"`
				Queue string `json:"queue"`
				Args  string `json:"args"` // the job's JSON arguments, as a string
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(getBody(t, base+"/riverui/api/jobs?state=completed", http.StatusOK)), &list))
		for _, job := range list.Data {
			var args struct {
				RunID json.Number `json:"run_id"`
			}
			if job.Kind == "ezplatform.run" && job.Queue == "runs" && json.Unmarshal([]byte(job.Args), &args) == nil &&
				args.RunID.String() == runID {
				return true
			}
		}
		return false
	}, time.Minute, 200*time.Millisecond, "River UI lists the triggered run's job")
}

func getBody(t *testing.T, url string, status int) string {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s: %s", url, body)
	return string(body)
}
