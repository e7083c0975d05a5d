package store

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The column tables are the column lists that every other read uses: a
// column added to one must be added to the other.
func TestColumnTablesAreTheColumnLists(t *testing.T) {
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	require.Equal(t, oneLine(dataSourceColumns), allDataSourceColumns.sql)
	require.Equal(t, oneLine(runColumns), allRunColumns.sql)
}

func TestProjectChoosesColumnsOnce(t *testing.T) {
	p, err := project(runTable, []string{"id", "datasource_id"}, []string{"status", "id", "started_at", "status"})
	require.NoError(t, err)
	require.Equal(t, "id, datasource_id, status, started_at", p.sql)

	_, err = project(runTable, nil, []string{"status; DROP TABLE runs"})
	require.ErrorContains(t, err, `no column "status; DROP TABLE runs"`)
}
