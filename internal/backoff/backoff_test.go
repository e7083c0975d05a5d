package backoff

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffDoublesWithJitterAndResets(t *testing.T) {
	t.Parallel()
	b := New(100*time.Millisecond, 400*time.Millisecond)
	for _, step := range []time.Duration{100, 200, 400, 400} {
		d := b.Next()
		require.GreaterOrEqual(t, d, step*time.Millisecond/2)
		require.LessOrEqual(t, d, step*time.Millisecond)
	}
	b.Reset()
	require.LessOrEqual(t, b.Next(), 100*time.Millisecond)
}

func TestSleepEndsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.False(t, Sleep(ctx, time.Hour))
	require.True(t, Sleep(context.Background(), time.Millisecond))
}
