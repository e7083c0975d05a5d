// Package gqltest sends GraphQL requests to a running replica, for tests
// that start whole replicas (cmd, server) rather than a handler.
package gqltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// Do posts query with vars to baseURL + "/graphql", fails the test on any
// GraphQL error, and returns the data.
func Do(t testing.TB, baseURL, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	res, err := http.Post(baseURL+"/graphql", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(data, &out), "%s", data)
	require.Empty(t, out.Errors)
	return out.Data
}
