package graph_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/graph"
)

// The GraphQL-over-HTTP specification's status codes and error shapes.
func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gqlJSON := http.Header{"Accept": {"application/graphql-response+json"}}
	legacyJSON := http.Header{"Accept": {"application/json"}}

	t.Run("GETQuery", func(t *testing.T) {
		status, resp := b.raw(t, http.MethodGet, "query="+url.QueryEscape(`{ dataSources { totalCount } }`), nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, resp.Errors)
		require.EqualValues(t, 0, resp.Data["dataSources"].(map[string]any)["totalCount"])
	})
	t.Run("GETWithVariables", func(t *testing.T) {
		q := url.Values{"query": {`query($s: String) { dataSources(search: $s) { totalCount } }`}, "variables": {`{"s": "x"}`}}
		status, resp := b.raw(t, http.MethodGet, q.Encode(), nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, resp.Errors)
	})
	t.Run("GETMutationIs405", func(t *testing.T) {
		q := url.Values{"query": {`mutation { deleteDataSource(id: "x") }`}}
		status, resp := b.raw(t, http.MethodGet, q.Encode(), nil, nil)
		require.Equal(t, http.StatusMethodNotAllowed, status)
		require.Contains(t, resp.Errors[0].Message, "POST")
		var n int
		require.NoError(t, b.store.Pool().QueryRow(t.Context(), "SELECT count(*) FROM events").Scan(&n))
		require.Zero(t, n)
	})
	t.Run("GETBadVariablesIs400", func(t *testing.T) {
		q := url.Values{"query": {`{ dataSources { totalCount } }`}, "variables": {`{not json`}}
		status, _ := b.raw(t, http.MethodGet, q.Encode(), nil, nil)
		require.Equal(t, http.StatusBadRequest, status)
	})
	t.Run("OtherMethodIs405", func(t *testing.T) {
		status, _ := b.raw(t, http.MethodPut, "", []byte(`{}`), nil)
		require.Equal(t, http.StatusMethodNotAllowed, status)
	})
	t.Run("NotJSONBodyIs400", func(t *testing.T) {
		for _, body := range []string{`{"query": `, `[1,2]`, `{"query": 5}`, `{"query": "{ dataSources { totalCount } }"} trailing`, ``} {
			for _, h := range []http.Header{gqlJSON, legacyJSON} {
				status, resp := b.raw(t, http.MethodPost, "", []byte(body), h)
				require.Equal(t, http.StatusBadRequest, status, "body %q", body)
				require.Equal(t, "BAD_REQUEST", resp.Errors[0].Extensions["code"])
			}
		}
	})
	t.Run("MissingQueryIs400", func(t *testing.T) {
		status, resp := b.raw(t, http.MethodPost, "", []byte(`{"variables": {}}`), nil)
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, resp.Errors[0].Message, "no query")
	})
	t.Run("WrongContentTypeIs415", func(t *testing.T) {
		status, _ := b.raw(t, http.MethodPost, "", []byte(`{"query":"{ __typename }"}`), http.Header{"Content-Type": {"text/plain"}})
		require.Equal(t, http.StatusUnsupportedMediaType, status)
	})
	t.Run("UnacceptableIs406", func(t *testing.T) {
		status, _ := b.raw(t, http.MethodPost, "", []byte(`{"query":"{ __typename }"}`), http.Header{"Accept": {"text/html"}})
		require.Equal(t, http.StatusNotAcceptable, status)
	})
	t.Run("ParseErrorStatusDependsOnMediaType", func(t *testing.T) {
		status, resp := b.post(t, `{ dataSources {`, nil, gqlJSON)
		require.Equal(t, http.StatusBadRequest, status)
		require.Nil(t, resp.Data)
		require.Equal(t, "GRAPHQL_PARSE_FAILED", resp.Errors[0].Extensions["code"])

		status, _ = b.post(t, `{ dataSources {`, nil, legacyJSON)
		require.Equal(t, http.StatusOK, status)
	})
	t.Run("ValidationErrorStatusDependsOnMediaType", func(t *testing.T) {
		status, resp := b.post(t, `{ noSuchField }`, nil, gqlJSON)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.Errors[0].Extensions["code"])
		status, _ = b.post(t, `{ noSuchField }`, nil, legacyJSON)
		require.Equal(t, http.StatusOK, status)
	})
	t.Run("VariableOfWrongType", func(t *testing.T) {
		q := `query($first: Int) { dataSources(first: $first) { totalCount } }`
		status, resp := b.post(t, q, map[string]any{"first": "ten"}, gqlJSON)
		require.Equal(t, http.StatusBadRequest, status)
		require.Nil(t, resp.Data)
		require.NotEmpty(t, resp.Errors[0].Extensions["code"])
		status, _ = b.post(t, q, map[string]any{"first": "ten"}, legacyJSON)
		require.Equal(t, http.StatusOK, status)
	})
	t.Run("ResolverErrorIs200", func(t *testing.T) {
		status, resp := b.post(t, `{ cronPreview(expression: "nope") }`, nil, gqlJSON)
		require.Equal(t, http.StatusOK, status)
		requireCode(t, resp, "VALIDATION", "expression")
	})
	t.Run("ResponseMediaType", func(t *testing.T) {
		for accept, want := range map[string]string{
			"":                                  "application/json",
			"*/*":                               "application/json",
			"application/graphql-response+json": "application/graphql-response+json",
			"application/json;q=0.5, application/graphql-response+json": "application/graphql-response+json",
			"application/graphql-response+json;q=0.1, application/json": "application/json",
		} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.server.URL, strings.NewReader(`{"query":"{ __typename }"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = res.Body.Close()
			require.Equal(t, want+"; charset=utf-8", res.Header.Get("Content-Type"), "Accept: %q", accept)
		}
	})
}

func TestRequestLimits(t *testing.T) {
	t.Parallel()
	b := setupWithLimits(t, graph.Limits{MaxBodyBytes: 4096, MaxComplexity: 200, MaxDepth: 5})

	t.Run("BodyTooLargeIs413", func(t *testing.T) {
		body := `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("a", 5000) + `"}}`
		status, resp := b.raw(t, http.MethodPost, "", []byte(body), nil)
		require.Equal(t, http.StatusRequestEntityTooLarge, status)
		require.Contains(t, resp.Errors[0].Message, "4096 bytes")
	})
	t.Run("TooComplex", func(t *testing.T) {
		resp := b.do(t, `{ dataSources(first: 100) { edges { node { id name path schedule { upcoming(n: 50) } } } } }`, nil)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", resp.Errors[0].Extensions["code"])
	})
	t.Run("TooDeep", func(t *testing.T) {
		resp := b.do(t, `{ dataSources(first: 1) { edges { node { schedule { upcoming } } } pageInfo { hasNextPage } } }`, nil)
		require.Empty(t, resp.Errors, "depth 5 is allowed")
		resp = b.do(t, `fragment F on DataSource { schedule { upcoming } } { dataSources(first: 1) { edges { node { ...F } } } a: dataSources(first: 1) { edges { node { schedule { __typename upcoming } } } } }`, nil)
		require.Empty(t, resp.Errors, "fragments count at the depth they are spread")
	})
	t.Run("TooDeepRefused", func(t *testing.T) {
		q := `query { a: dataSources { edges { node { schedule { upcoming } } } } }`
		b2 := setupWithLimits(t, graph.Limits{MaxBodyBytes: 4096, MaxComplexity: 2000, MaxDepth: 4})
		resp := b2.do(t, q, nil)
		require.Equal(t, "DEPTH_LIMIT_EXCEEDED", resp.Errors[0].Extensions["code"])
	})
	t.Run("IntrospectionIsExemptFromDepth", func(t *testing.T) {
		resp := b.do(t, `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`, nil)
		require.Empty(t, resp.Errors)
	})
}
