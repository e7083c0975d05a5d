package graph

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/graph/scalar"
)

// The run enums are bound to strings checked by graph/scalar: its lists
// must be the schema's values, or a new value would be refused on input.
func TestRunEnumsMatchTheSchema(t *testing.T) {
	s := NewExecutableSchema(Config{}).Schema()
	for enum, values := range map[string][]string{"RunStatus": scalar.RunStatuses, "RunTrigger": scalar.RunTriggers} {
		var inSchema []string
		for _, v := range s.Types[enum].EnumValues {
			inSchema = append(inSchema, v.Name)
		}
		require.ElementsMatch(t, inSchema, values, enum)
	}
}
