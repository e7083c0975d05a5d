package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrFenced means that a newer leader has recorded its epoch: the caller is
// no longer the scheduler leader and must stop planning (I2).
var ErrFenced = errors.New("store: fenced: a newer scheduler leader has taken over")

// Leader is the recorded scheduler leader.
type Leader struct {
	Epoch     int64
	ReplicaID string
	Address   string
	Since     time.Time
}

// LeaderRecordParams describe a replica that etcd has just elected.
type LeaderRecordParams struct {
	Epoch     int64
	ReplicaID string
	Address   string
}

// LeaderRecord records a new leader's epoch, only if it is higher than the
// stored one, and opens its leadership_history row (closing the previous
// leader's). It returns ErrFenced when an equal or higher epoch is stored.
// It waits for a running planner transaction of the old leader, which holds
// the row lock: once it returns, the old leader can no longer plan.
func (s *Store) LeaderRecord(ctx context.Context, params *LeaderRecordParams) error {
	return s.InTx(ctx, func(tx *Tx) error {
		tag, err := tx.tx.Exec(ctx, `
			UPDATE scheduler_leader SET epoch = $1, replica_id = $2, address = $3, since = now()
			WHERE epoch < $1`, params.Epoch, params.ReplicaID, params.Address)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrFenced
		}
		if _, err := tx.tx.Exec(ctx, `UPDATE leadership_history SET ended_at = now() WHERE ended_at IS NULL AND epoch < $1`, params.Epoch); err != nil {
			return err
		}
		if _, err := tx.tx.Exec(ctx, `INSERT INTO leadership_history (epoch, replica_id, address) VALUES ($1, $2, $3)
			ON CONFLICT (epoch) DO NOTHING`, params.Epoch, params.ReplicaID, params.Address); err != nil {
			return err
		}
		return tx.recordEvent(EventLeaderElected, nil, nil, &LeaderEvent{
			Epoch: params.Epoch, ReplicaID: params.ReplicaID, Address: params.Address,
		})
	})
}

// LeaderResigned closes the leadership_history row of epoch.
func (s *Store) LeaderResigned(ctx context.Context, epoch int64, replicaID string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		tag, err := tx.tx.Exec(ctx, `UPDATE leadership_history SET ended_at = now() WHERE epoch = $1 AND ended_at IS NULL`, epoch)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return tx.recordEvent(EventLeaderResigned, nil, nil, &LeaderEvent{Epoch: epoch, ReplicaID: replicaID})
	})
}

// LeaderGet returns the recorded leader (epoch 0 before the first election).
func (s *Store) LeaderGet(ctx context.Context) (*Leader, error) {
	var l Leader
	err := s.pool.QueryRow(ctx, `SELECT epoch, replica_id, address, since FROM scheduler_leader`).
		Scan(&l.Epoch, &l.ReplicaID, &l.Address, &l.Since)
	if err != nil {
		return nil, translate(err)
	}
	return &l, nil
}

// LeaderFence locks the fencing row for the rest of the transaction and
// returns ErrFenced unless epoch is the recorded one. Every planner
// transaction starts with it. The lock is shared: a leader's transactions
// plan side by side, and a successor's LeaderRecord, which updates the row,
// waits until every one of them has ended.
//
// A leader frozen inside such a transaction (SIGSTOP, a VM pause) would
// hold the row, and so keep its successor from recording its epoch, for as
// long as it stays frozen, then commit its plan on waking. So the
// transaction may stay idle for idleLimit at most: PostgreSQL then ends the
// frozen leader's session, its plan is rolled back, and the successor
// records its epoch at once. idleLimit must exceed the planner's own waits
// inside the transaction (InTxCommitAt); zero means no limit.
func (t *Tx) LeaderFence(ctx context.Context, epoch int64, idleLimit time.Duration) error {
	var current int64
	if err := t.tx.QueryRow(ctx, `
		SELECT epoch FROM scheduler_leader, set_config('idle_in_transaction_session_timeout', $1, true)
		FOR SHARE OF scheduler_leader`, strconv.FormatInt(idleLimit.Milliseconds(), 10)).Scan(&current); err != nil {
		return err
	}
	if current != epoch {
		return ErrFenced
	}
	return nil
}

// LeadershipTerm is one leader's row of leadership_history.
type LeadershipTerm struct {
	Epoch     int64
	ReplicaID string
	Address   string
	StartedAt time.Time
	// EndedAt is nil while it leads, or if it crashed and no successor has
	// recorded its epoch yet.
	EndedAt *time.Time
}

// LeadershipHistoryListParams select the most recent leaders.
type LeadershipHistoryListParams struct {
	// First is how many terms, at least 1.
	First int
}

// LeadershipHistoryList returns the most recent leadership terms, newest
// (highest epoch) first.
func (s *Store) LeadershipHistoryList(ctx context.Context, params *LeadershipHistoryListParams) ([]*LeadershipTerm, error) {
	if params.First < 1 {
		return nil, fmt.Errorf("store: first must be at least 1, got %d", params.First)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT epoch, replica_id, address, started_at, ended_at
		FROM leadership_history ORDER BY epoch DESC LIMIT $1`, params.First)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*LeadershipTerm, error) {
		var l LeadershipTerm
		err := row.Scan(&l.Epoch, &l.ReplicaID, &l.Address, &l.StartedAt, &l.EndedAt)
		return &l, err
	})
}
