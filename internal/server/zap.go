package server

import "go.uber.org/zap"

// nopZap silences the etcd client's own zap logger: its retries would flood
// the replica's log while etcd is down, and /readyz reports that state.
func nopZap() *zap.Logger { return zap.NewNop() }
