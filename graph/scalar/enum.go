package scalar

import (
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/store"
)

// A run's enums are bound to the strings store.Run holds, through these
// functions, rather than to generated enum types: a field whose Go type
// differs from the model's needs a resolver, and gqlgen resolves the
// fields of an object with resolvers concurrently, a goroutine per field.
// Input is checked exactly here: gqlparser compares a variable's enum value
// without regard to case.

// RunStatuses are the values of the RunStatus enum.
var RunStatuses = []string{store.RunScheduled, store.RunRunning, store.RunRetrying, store.RunSucceeded,
	store.RunFailed, store.RunSkipped, store.RunMissed, store.RunCancelled}

// RunTriggers are the values of the RunTrigger enum.
var RunTriggers = []string{store.TriggerSchedule, store.TriggerManual}

// MarshalRunStatus writes a run's status.
func MarshalRunStatus(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalRunStatus reads a RunStatus.
func UnmarshalRunStatus(v any) (string, error) { return unmarshalEnum("RunStatus", RunStatuses, v) }

// MarshalRunTrigger writes what started a run.
func MarshalRunTrigger(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalRunTrigger reads a RunTrigger.
func UnmarshalRunTrigger(v any) (string, error) { return unmarshalEnum("RunTrigger", RunTriggers, v) }

func unmarshalEnum(enum string, values []string, v any) (string, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(values, s) {
		return "", &gqlerror.Error{
			Message:    fmt.Sprintf("%v is not a %s: one of %v", v, enum, values),
			Extensions: map[string]any{"code": "VALIDATION"},
		}
	}
	return s, nil
}
