package graph_test

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateReadUpdateDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)

	created := b.create(t, "Customer transactions")
	id := created["id"].(string)
	require.Equal(t, "Customer transactions", created["name"])
	require.EqualValues(t, 1, created["version"])
	require.Equal(t, true, created["enabled"])
	schedule := created["schedule"].(map[string]any)
	require.Equal(t, "*/30 * * * * ?", schedule["cron"])
	require.Nil(t, schedule["interval"])
	require.Equal(t, "UTC", schedule["timezone"])
	require.Equal(t, "FIRE_ONCE", schedule["misfirePolicy"])
	require.Equal(t, "SKIP", schedule["overlapPolicy"])
	require.Equal(t, []any{"2026-11-27T14:00:30Z", "2026-11-27T14:01:00Z", "2026-11-27T14:01:30Z"}, schedule["upcoming"])

	got := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { id name version } }`, map[string]any{"id": id})
	require.Equal(t, "Customer transactions", got["dataSource"].(map[string]any)["name"])

	updated := b.mustDo(t, `mutation($id: ID!, $v: Int) {
		updateDataSource(id: $id, expectedVersion: $v, input: {description: "daily drop", schedule: {interval: "1h30m", timezone: "Europe/Paris"}}) {
			version description schedule { cron interval timezone upcoming(n: 2) } } }`,
		map[string]any{"id": id, "v": 1})["updateDataSource"].(map[string]any)
	require.EqualValues(t, 2, updated["version"])
	require.Equal(t, "daily drop", updated["description"])
	schedule = updated["schedule"].(map[string]any)
	require.Nil(t, schedule["cron"])
	require.Equal(t, "1h30m0s", schedule["interval"])
	// Anchored at the Unix epoch: 14:00 UTC is slot 34,226 of 90 minutes; the
	// next are 15:00 and 16:30 UTC, shown in the schedule's zone.
	require.Equal(t, []any{"2026-11-27T16:00:00+01:00", "2026-11-27T17:30:00+01:00"}, schedule["upcoming"])

	deleted := b.mustDo(t, `mutation($id: ID!) { deleteDataSource(id: $id) }`, map[string]any{"id": id})
	require.Equal(t, id, deleted["deleteDataSource"])
	got = b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { id } }`, map[string]any{"id": id})
	require.Nil(t, got["dataSource"])
}

func TestDataSourcesPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 5 {
		b.create(t, fmt.Sprintf("source-%d", i))
	}
	off := b.validInput("disabled-one")
	off["enabled"] = false
	b.mustDo(t, createMutation, map[string]any{"input": off})

	const query = `query($after: String, $search: String, $enabled: Boolean) {
		dataSources(first: 2, after: $after, search: $search, enabled: $enabled) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
			edges { cursor node { name } } } }`
	var names []string
	var after any
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		conn := b.mustDo(t, query, map[string]any{"after": after, "search": "source"})["dataSources"].(map[string]any)
		require.EqualValues(t, 5, conn["totalCount"])
		for _, e := range conn["edges"].([]any) {
			names = append(names, e.(map[string]any)["node"].(map[string]any)["name"].(string))
		}
		info := conn["pageInfo"].(map[string]any)
		require.Equal(t, after != nil, info["hasPreviousPage"])
		if !info["hasNextPage"].(bool) {
			break
		}
		after = info["endCursor"]
	}
	require.Equal(t, []string{"source-0", "source-1", "source-2", "source-3", "source-4"}, names)

	conn := b.mustDo(t, query, map[string]any{"enabled": false})["dataSources"].(map[string]any)
	require.EqualValues(t, 1, conn["totalCount"])

	// The count is read only when asked for, in whatever form.
	t.Run("TotalCountInFragments", func(t *testing.T) {
		for _, q := range []string{
			`{ dataSources(first: 1) { ...F } } fragment F on DataSourceConnection { totalCount }`,
			`{ dataSources(first: 1) { ... on DataSourceConnection { n: totalCount } edges { node { name } } } }`,
			`query($yes: Boolean!) { dataSources(first: 1) { totalCount @include(if: $yes) } }`,
		} {
			conn := b.mustDo(t, q, map[string]any{"yes": true})["dataSources"].(map[string]any)
			require.EqualValues(t, 6, cmp.Or(conn["totalCount"], conn["n"]), q)
		}
		conn := b.mustDo(t, `{ dataSources(first: 1) { edges { node { name } } } }`, nil)["dataSources"].(map[string]any)
		require.Len(t, conn["edges"], 1, "a page without its count")
	})
	t.Run("InvalidCursor", func(t *testing.T) {
		resp := b.do(t, query, map[string]any{"after": "garbage!"})
		requireCode(t, resp, "INVALID_CURSOR", "after")
	})
	t.Run("PageSizeOutOfRange", func(t *testing.T) {
		for _, first := range []int{0, -1, 101, 1 << 30} {
			resp := b.do(t, `query($first: Int) { dataSources(first: $first) { totalCount } }`, map[string]any{"first": first})
			requireCode(t, resp, "VALIDATION", "first")
		}
	})
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := b.create(t, "taken")
	id := created["id"].(string)

	t.Run("NAME_TAKEN", func(t *testing.T) {
		resp := b.do(t, createMutation, map[string]any{"input": b.validInput("TAKEN")})
		e := requireCode(t, resp, "NAME_TAKEN", "input.name")
		require.Contains(t, e.Message, "already exists")

		b.create(t, "other")
		otherID := b.mustDo(t, `{ dataSources(search: "other") { edges { node { id } } } }`, nil)["dataSources"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["id"]
		resp = b.do(t, `mutation($id: ID!) { updateDataSource(id: $id, input: {name: "Taken"}) { id } }`, map[string]any{"id": otherID})
		requireCode(t, resp, "NAME_TAKEN", "input.name")
	})
	t.Run("NOT_FOUND", func(t *testing.T) {
		for _, missing := range []string{"5b2f8c1e-0000-4000-8000-000000000000", "not-a-uuid", strings.Repeat("x", 10000)} {
			resp := b.do(t, `mutation($id: ID!) { updateDataSource(id: $id, input: {description: "x"}) { id } }`, map[string]any{"id": missing})
			requireCode(t, resp, "NOT_FOUND", "id")
			resp = b.do(t, `mutation($id: ID!) { deleteDataSource(id: $id) }`, map[string]any{"id": missing})
			requireCode(t, resp, "NOT_FOUND", "id")
		}
	})
	t.Run("VERSION_CONFLICT", func(t *testing.T) {
		b.mustDo(t, `mutation($id: ID!) { updateDataSource(id: $id, input: {description: "v2"}) { version } }`, map[string]any{"id": id})
		resp := b.do(t, `mutation($id: ID!) { updateDataSource(id: $id, expectedVersion: 1, input: {description: "lost?"}) { id } }`, map[string]any{"id": id})
		e := requireCode(t, resp, "VERSION_CONFLICT", "expectedVersion")
		require.EqualValues(t, 2, e.Extensions["actualVersion"])
		got := b.mustDo(t, `query($id: ID!) { dataSource(id: $id) { description } }`, map[string]any{"id": id})
		require.Equal(t, "v2", got["dataSource"].(map[string]any)["description"], "the conflicting write changed nothing")
	})
	t.Run("VALIDATION", func(t *testing.T) {
		in := b.validInput("")
		resp := b.do(t, createMutation, map[string]any{"input": in})
		requireCode(t, resp, "VALIDATION", "input.name")
	})
	t.Run("GRAPHQL_VALIDATION_FAILED", func(t *testing.T) {
		resp := b.do(t, `{ dataSources { nope } }`, nil)
		requireCode(t, resp, "GRAPHQL_VALIDATION_FAILED", "")
	})
	t.Run("GRAPHQL_PARSE_FAILED", func(t *testing.T) {
		resp := b.do(t, `{ dataSources {`, nil)
		requireCode(t, resp, "GRAPHQL_PARSE_FAILED", "")
	})
}

// Every field of the input is checked before anything is written, and all
// problems come back at once.
func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(b.root, "escape")))
	require.NoError(t, os.Symlink("../../../../../../../../etc", filepath.Join(b.root, "relescape")))
	require.NoError(t, os.WriteFile(filepath.Join(b.root, "file.csv"), []byte("a\n"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(b.root, "sales"), filepath.Join(b.root, "inside-link")))

	cases := []struct {
		name  string
		edit  func(in map[string]any)
		field string
		says  string
	}{
		{"EmptyName", func(in map[string]any) { in["name"] = "   " }, "input.name", "required"},
		{"HugeName", func(in map[string]any) { in["name"] = strings.Repeat("n", 201) }, "input.name", "limit is 200"},
		{"NameWithNewline", func(in map[string]any) { in["name"] = "a\nb" }, "input.name", "control character"},
		{"NameWithNUL", func(in map[string]any) { in["name"] = "a\x00b" }, "input.name", "control character"},
		{"HugeDescription", func(in map[string]any) { in["description"] = strings.Repeat("d", 4001) }, "input.description", "limit is 4000"},
		{"HugeSupplier", func(in map[string]any) { in["supplierName"] = strings.Repeat("s", 201) }, "input.supplierName", "limit"},
		{"HugeCategory", func(in map[string]any) { in["category"] = strings.Repeat("c", 101) }, "input.category", "limit"},
		{"RelativePath", func(in map[string]any) { in["path"] = "sales" }, "input.path", "not absolute"},
		{"DotDotOut", func(in map[string]any) { in["path"] = b.root + "/sales/" + strings.Repeat("../", 12) + "etc" }, "input.path", "outside the data roots"},
		{"OutsideRoots", func(in map[string]any) { in["path"] = "/etc" }, "input.path", "outside the data roots"},
		{"SymlinkOut", func(in map[string]any) { in["path"] = filepath.Join(b.root, "escape") }, "input.path", "outside the data roots"},
		{"RelativeSymlinkOut", func(in map[string]any) { in["path"] = filepath.Join(b.root, "relescape") }, "input.path", "outside the data roots"},
		{"MissingOutside", func(in map[string]any) { in["path"] = "/no/such/dir" }, "input.path", "outside the data roots"},
		{"Missing", func(in map[string]any) { in["path"] = filepath.Join(b.root, "nope") }, "input.path", "does not exist"},
		{"NotADirectory", func(in map[string]any) { in["path"] = filepath.Join(b.root, "file.csv") }, "input.path", "not a directory"},
		{"PathWithNUL", func(in map[string]any) { in["path"] = b.root + "/\x00" }, "input.path", "NUL"},
		{"HugePath", func(in map[string]any) { in["path"] = "/" + strings.Repeat("p/", 3000) }, "input.path", "limit"},
		{"BadGlob", func(in map[string]any) { in["filePattern"] = "*.{csv" }, "input.filePattern", "not a valid glob"},
		{"EmptyGlob", func(in map[string]any) { in["filePattern"] = "" }, "input.filePattern", "not a valid glob"},
		{"HugeGlob", func(in map[string]any) { in["filePattern"] = strings.Repeat("*", 1025) }, "input.filePattern", "longer than"},
		{"NoSchedule", func(in map[string]any) { in["schedule"] = map[string]any{} }, "input.schedule.cron", "cron expression or an interval"},
		{"BothKinds", func(in map[string]any) { in["schedule"] = map[string]any{"cron": "@hourly", "interval": "1h"} }, "input.schedule.cron", "not both"},
		{"BadCron", func(in map[string]any) { in["schedule"] = map[string]any{"cron": "61 * * * * ?"} }, "input.schedule.cron", "second"},
		{"ImpossibleCron", func(in map[string]any) { in["schedule"] = map[string]any{"cron": "0 0 0 31 2 ?"} }, "input.schedule.cron", "never"},
		{"HugeCron", func(in map[string]any) { in["schedule"] = map[string]any{"cron": strings.Repeat("* ", 500)} }, "input.schedule.cron", "longer than"},
		{"SubSecondInterval", func(in map[string]any) { in["schedule"] = map[string]any{"interval": "999ms"} }, "input.schedule.interval", "minimum"},
		{"NegativeInterval", func(in map[string]any) { in["schedule"] = map[string]any{"interval": "-5m"} }, "input.schedule.interval", "minimum"},
		{"GarbageInterval", func(in map[string]any) { in["schedule"] = map[string]any{"interval": "every day"} }, "input.schedule.interval", "not a duration"},
		{"UnknownZone", func(in map[string]any) { in["schedule"] = map[string]any{"cron": "@daily", "timezone": "Mars/Olympus"} }, "input.schedule.timezone", "unknown time zone"},
		{"LocalZone", func(in map[string]any) { in["schedule"] = map[string]any{"cron": "@daily", "timezone": "Local"} }, "input.schedule.timezone", "IANA"},
		{"AnchorOutOfRange", func(in map[string]any) {
			in["schedule"] = map[string]any{"interval": "1h", "anchor": "1900-01-01T00:00:00Z"}
		}, "input.schedule.anchor", "between"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := b.validInput("valid-" + tc.name)
			tc.edit(in)
			resp := b.do(t, createMutation, map[string]any{"input": in})
			require.Nil(t, resp.Data["createDataSource"])
			e := requireCode(t, resp, "VALIDATION", tc.field)
			require.Contains(t, e.Message, tc.says)
		})
	}

	t.Run("AllProblemsAtOnce", func(t *testing.T) {
		in := b.validInput("")
		in["path"] = "/etc"
		in["filePattern"] = "[z-a]"
		resp := b.do(t, createMutation, map[string]any{"input": in})
		requireCode(t, resp, "VALIDATION", "input.name")
		requireCode(t, resp, "VALIDATION", "input.path")
		requireCode(t, resp, "VALIDATION", "input.filePattern")
	})

	t.Run("SymlinkInsideRootIsFine", func(t *testing.T) {
		in := b.validInput("linked")
		in["path"] = filepath.Join(b.root, "inside-link")
		b.mustDo(t, createMutation, map[string]any{"input": in})
	})

	t.Run("NothingWasWritten", func(t *testing.T) {
		var n int
		require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM datasources WHERE name LIKE 'valid-%'`).Scan(&n))
		require.Zero(t, n)
	})
}

// The schedule forms the old platform generated mean what Quartz means.
func TestLegacyCronForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := map[string][]any{
		"*/30 * * * * ?": {"2026-11-27T14:00:30Z", "2026-11-27T14:01:00Z", "2026-11-27T14:01:30Z"},
		"0 * * * * ?":    {"2026-11-27T14:01:00Z", "2026-11-27T14:02:00Z", "2026-11-27T14:03:00Z"},
		"0 */15 * * * ?": {"2026-11-27T14:15:00Z", "2026-11-27T14:30:00Z", "2026-11-27T14:45:00Z"},
		"0 0 */6 * * ?":  {"2026-11-27T18:00:00Z", "2026-11-28T00:00:00Z", "2026-11-28T06:00:00Z"},
		"30 9 * * 1":     {"2026-11-30T09:30:00Z", "2026-12-07T09:30:00Z", "2026-12-14T09:30:00Z"},
		"0 30 9 ? * 2":   {"2026-11-30T09:30:00Z", "2026-12-07T09:30:00Z", "2026-12-14T09:30:00Z"},
	}
	for expr, want := range cases {
		got := b.mustDo(t, `query($e: String!) { cronPreview(expression: $e, count: 3) }`, map[string]any{"e": expr})
		require.Equal(t, want, got["cronPreview"], expr)
	}

	t.Run("TimeZone", func(t *testing.T) {
		got := b.mustDo(t, `{ cronPreview(expression: "0 0 9 * * ?", timezone: "America/New_York", count: 1) }`, nil)
		require.Equal(t, []any{"2026-11-28T09:00:00-05:00"}, got["cronPreview"])
	})
	t.Run("Errors", func(t *testing.T) {
		resp := b.do(t, `{ cronPreview(expression: "0 0 25 * * ?") }`, nil)
		requireCode(t, resp, "VALIDATION", "expression")
		resp = b.do(t, `{ cronPreview(expression: "@daily", timezone: "Nowhere/City") }`, nil)
		requireCode(t, resp, "VALIDATION", "timezone")
		resp = b.do(t, `{ cronPreview(expression: "@daily", count: 1000) }`, nil)
		requireCode(t, resp, "VALIDATION", "count")
	})
}

// Concurrent creates of one name: exactly one wins, the others get
// NAME_TAKEN, and no replica error leaks through.
func TestConcurrentCreateSameName(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const clients = 10
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[string]int{}
	)
	for range clients {
		wg.Go(func() {
			_, resp := b.post(t, createMutation, map[string]any{"input": b.validInput("contended")}, nil)
			mu.Lock()
			defer mu.Unlock()
			if len(resp.Errors) == 0 {
				codes["ok"]++
				return
			}
			codes[resp.Errors[0].Extensions["code"].(string)]++
		})
	}
	wg.Wait()
	require.Equal(t, map[string]int{"ok": 1, "NAME_TAKEN": clients - 1}, codes)
}

// A server fault is INTERNAL, logged, and its details (SQL, table names)
// stay out of the response.
func TestInternalErrorHidesDetails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.Pool().Exec(t.Context(), `ALTER TABLE datasources RENAME TO datasources_gone`)
	require.NoError(t, err)
	resp := b.do(t, `{ dataSources { totalCount } }`, nil)
	e := requireCode(t, resp, "INTERNAL", "")
	require.NotContains(t, e.Message, "datasources")
	require.Contains(t, e.Message, "server log")
}

func TestTimeScalarValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.validInput("anchored")
	in["schedule"] = map[string]any{"interval": "1h", "anchor": "yesterday at noon"}
	resp := b.do(t, createMutation, map[string]any{"input": in})
	e := requireCode(t, resp, "VALIDATION", "")
	require.Contains(t, e.Message, "RFC 3339")

	in["schedule"] = map[string]any{"interval": "1h", "anchor": "2026-01-01T00:00:30+01:00"}
	created := b.mustDo(t, createMutation, map[string]any{"input": in})["createDataSource"].(map[string]any)
	require.Equal(t, "2025-12-31T23:00:30Z", created["schedule"].(map[string]any)["anchor"])
}
