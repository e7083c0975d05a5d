package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/graph"
)

// TestHostileQueries: each limit of DefaultLimits refuses its hostile
// query with its own code, before any resolver runs (depth and body size:
// TestRequestLimits).
func TestHostileQueries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create(t, "target")

	for name, c := range map[string]struct{ query, code string }{
		// Up to 20,000 rows: the page sizes multiply.
		"NestedPages": {`{ dataSources(first: 100) { edges { node { runs(first: 100) { edges { node { id } } }
			files(first: 100) { edges { node { id } } } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		"NestedRunFiles": {`{ dataSources(first: 20) { edges { node { runs(first: 20) { edges { node {
			files(first: 20) { edges { node { id } } } } } } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		"Aliases":  {"{ " + repeat("a%d: viewer { role } ", 31) + "}", "ALIAS_LIMIT_EXCEEDED"},
		"Tokens":   {"{ viewer { " + strings.Repeat("role ", 12_000) + "} }", "GRAPHQL_PARSE_FAILED"},
		"Mutation": {"mutation { " + repeat(`d%d: deleteDataSource(id: "00000000-0000-0000-0000-000000000000") `, 31) + "}", "ALIAS_LIMIT_EXCEEDED"},
		// Validation compares same-named fields pairwise: both are refused
		// before it runs (8,000 copies took it 3 s).
		"RepeatedField": {"{ viewer { " + strings.Repeat("role ", 8_000) + "} }", "FIELD_LIMIT_EXCEEDED"},
		"ManyFields":    {"{ viewer { " + strings.Repeat("role __typename ", 1_001) + "} }", "FIELD_LIMIT_EXCEEDED"},
		"Repeats":       {"{ viewer { " + strings.Repeat("role ", 101) + "} }", "FIELD_LIMIT_EXCEEDED"},
	} {
		t.Run(name, func(t *testing.T) {
			_, resp := b.post(t, c.query, nil, nil)
			require.NotEmpty(t, resp.Errors)
			require.Equal(t, c.code, resp.Errors[0].Extensions["code"], resp.Errors[0].Message)
			require.Nil(t, resp.Data["dataSources"])
		})
	}

	t.Run("FragmentBomb", func(t *testing.T) {
		// Each fragment spreads the next twice: 2^40 paths if walked naively.
		var q strings.Builder
		q.WriteString("{ viewer { ...F0 } }\n")
		for i := range 40 {
			fmt.Fprintf(&q, "fragment F%d on Viewer { role ...F%d ...F%d }\n", i, i+1, i+1)
		}
		q.WriteString("fragment F40 on Viewer { role }\n")
		_, resp := b.post(t, q.String(), nil, nil)
		require.NotEmpty(t, resp.Errors)
		require.Equal(t, "FIELD_LIMIT_EXCEEDED", resp.Errors[0].Extensions["code"])
		// The same at the root, where authorization collects the fields.
		root := strings.ReplaceAll(strings.Replace(q.String(), "{ viewer { ...F0 } }", "{ ...F0 }", 1), "on Viewer { role", "on Query { viewer { role } ")
		_, resp = b.post(t, root, nil, nil)
		require.NotEmpty(t, resp.Errors)
		require.Equal(t, "FIELD_LIMIT_EXCEEDED", resp.Errors[0].Extensions["code"])
	})

	t.Run("BatchIsRefused", func(t *testing.T) {
		status, resp := b.raw(t, http.MethodPost, "", []byte(`[{"query":"{ viewer { role } }"},{"query":"{ viewer { role } }"}]`), nil)
		require.Equal(t, http.StatusBadRequest, status)
		require.NotEmpty(t, resp.Errors)
	})
}

func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	limits := graph.DefaultLimits
	limits.NoIntrospection = true
	b := setupWithLimits(t, limits)
	resp := b.do(t, `{ __schema { types { name } } }`, nil)
	require.NotEmpty(t, resp.Errors)
	resp = b.do(t, `{ dataSourcez { totalCount } }`, nil)
	require.NotEmpty(t, resp.Errors)
	require.NotContains(t, resp.Errors[0].Message, "Did you mean", "no schema in error messages")
	require.NotContains(t, resp.Errors[0].Message, "dataSources")

	open := setup(t)
	resp = open.do(t, `{ dataSourcez { totalCount } }`, nil)
	require.Contains(t, resp.Errors[0].Message, "Did you mean", "on by default")
	require.Empty(t, open.do(t, `{ __schema { queryType { name } } }`, nil).Errors)
}

func repeat(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// TestPersistedQueries: a client may send a query's hash alone once the
// replica knows it (gqlgen's automatic persisted queries, as Apollo sends).
func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const query = `{ viewer { role } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(body map[string]any) *gqlResponse {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		_, resp := b.raw(t, http.MethodPost, "", data, nil)
		return resp
	}
	resp := post(map[string]any{"extensions": ext})
	require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", resp.Errors[0].Extensions["code"], resp.Errors[0].Message)
	require.Empty(t, post(map[string]any{"query": query, "extensions": ext}).Errors)
	resp = post(map[string]any{"extensions": ext})
	require.Empty(t, resp.Errors)
	require.Equal(t, map[string]any{"role": "ADMIN"}, resp.Data["viewer"])

	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	resp = post(map[string]any{"query": query, "extensions": bad})
	require.NotEmpty(t, resp.Errors, "a hash that is not the query's")
}
