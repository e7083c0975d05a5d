package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/graph"
	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/scheduler"
)

// The GraphQL enums and the input's defaults are those of package scheduler,
// which defines the policies once.
func TestPolicyEnumsMatchScheduler(t *testing.T) {
	t.Parallel()
	misfire := make([]string, len(model.AllMisfirePolicy))
	for i, p := range model.AllMisfirePolicy {
		misfire[i] = string(p)
	}
	require.Equal(t, scheduler.MisfirePolicies, misfire)
	overlap := make([]string, len(model.AllOverlapPolicy))
	for i, p := range model.AllOverlapPolicy {
		overlap[i] = string(p)
	}
	require.Equal(t, scheduler.OverlapPolicies, overlap)

	input := graph.NewExecutableSchema(graph.Config{}).Schema().Types["ScheduleInput"]
	require.NotNil(t, input)
	require.Equal(t, scheduler.DefaultMisfirePolicy, input.Fields.ForName("misfirePolicy").DefaultValue.Raw)
	require.Equal(t, scheduler.DefaultOverlapPolicy, input.Fields.ForName("overlapPolicy").DefaultValue.Raw)
}
