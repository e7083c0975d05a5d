package scheduler

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The datasources table's CHECK constraints accept exactly the policies
// defined here: a policy added on one side only would be refused by the
// database, or stored without the planner knowing it.
func TestPolicyNamesMatchSQLCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	quoted := regexp.MustCompile(`'([^']*)'`)
	for constraint, want := range map[string][]string{
		"datasources_misfire_policy": MisfirePolicies,
		"datasources_overlap_policy": OverlapPolicies,
	} {
		var def string
		require.NoError(t, b.store.Pool().QueryRow(t.Context(),
			`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1 AND conrelid = 'datasources'::regclass`,
			constraint).Scan(&def), constraint)
		var got []string
		for _, m := range quoted.FindAllStringSubmatch(def, -1) {
			got = append(got, m[1])
		}
		require.ElementsMatch(t, want, got, "%s: %s", constraint, def)
	}
}

func TestDefaultPoliciesAreListed(t *testing.T) {
	t.Parallel()
	require.Contains(t, MisfirePolicies, DefaultMisfirePolicy)
	require.Contains(t, OverlapPolicies, DefaultOverlapPolicy)
}
