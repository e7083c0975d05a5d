package graph

import (
	"context"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/store"
)

// gqlgenLike reads the relay as gqlgen's generated code does, except when
// leave is set: then, like gqlgen on a cancelled context, it takes nothing.
func gqlgenLike(relay chan *hub.Message, leave func() bool) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		if leave() {
			return nil
		}
		m := <-relay
		return &graphql.Response{Data: []byte(`{"kind":"` + m.Kind + `"}`)}
	}
}

// from returns the messages in order, then nil.
func from(msgs ...*hub.Message) func() *hub.Message {
	return func() *hub.Message {
		if len(msgs) == 0 {
			return nil
		}
		m := msgs[0]
		msgs = msgs[1:]
		return m
	}
}

func sharedWithin(t *testing.T, ctx context.Context, state *streamState, source func() *hub.Message, relay chan *hub.Message, next graphql.ResponseHandler) *graphql.Response {
	t.Helper()
	done := make(chan *graphql.Response, 1)
	pull := func() (any, bool) {
		m := source()
		return m, m != nil
	}
	go func() { done <- streams{}.shared(ctx, state, pull, deliverTo(relay), next) }()
	select {
	case resp := <-done:
		return resp
	case <-time.After(10 * time.Second):
		t.Fatal("shared blocked")
		return nil
	}
}

// TestSharedAfterALeavingExecution: an execution that ended without taking
// its event (the subscriber left) neither blocks that subscriber nor the
// others with the same operation.
func TestSharedAfterALeavingExecution(t *testing.T) {
	t.Parallel()
	m := &hub.Message{Event: &store.Event{Kind: "RUN_STARTED"}}

	// Subscriber A computes first, and leaves during its execution.
	ctxA, leaveA := context.WithCancel(context.Background())
	sourceA, relayA := from(m, &hub.Message{Event: &store.Event{Kind: "RUN_SUCCEEDED"}}), make(chan *hub.Message, 1)
	stateA := &streamState{key: "op"}
	next := gqlgenLike(relayA, func() bool { leaveA(); return true })
	require.Nil(t, sharedWithin(t, ctxA, stateA, sourceA, relayA, next))
	require.Nil(t, sharedWithin(t, ctxA, stateA, sourceA, relayA, next), "A's next call must not block on its stale relay")

	// Subscriber B, same operation, same event: it computes its own.
	sourceB, relayB := from(m), make(chan *hub.Message, 1)
	resp := sharedWithin(t, context.Background(), &streamState{key: "op"}, sourceB, relayB, gqlgenLike(relayB, func() bool { return false }))
	require.NotNil(t, resp)
	require.JSONEq(t, `{"kind":"RUN_STARTED"}`, string(resp.Data))
}
