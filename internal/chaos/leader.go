//go:build chaos

package chaos

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// term is a leader's row of leadership_history.
type term struct {
	epoch     int64
	replicaID string
	startedAt time.Time // its transaction's start (now()), which may be long before it commits
	seenAt    time.Time // when the harness first saw it committed (polled every 50 ms)
}

// currentLeader is the recorded leader whose term is open and whose
// process runs, waiting up to within for one.
func (c *cluster) currentLeader(ctx context.Context, within time.Duration) (*replica, term, error) {
	deadline := time.Now().Add(within)
	for {
		var tm term
		err := c.db.QueryRow(ctx, `SELECT l.epoch, l.replica_id, h.started_at FROM scheduler_leader l
			JOIN leadership_history h ON h.epoch = l.epoch WHERE h.ended_at IS NULL`).Scan(&tm.epoch, &tm.replicaID, &tm.startedAt)
		if err == nil {
			if r := c.replicaByID(tm.replicaID); r != nil && r.running() {
				return r, tm, nil
			}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, tm, err
		}
		if time.Now().After(deadline) {
			return nil, tm, errors.New("no running leader")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newerTerm waits for a leader with an epoch above epoch, committed.
func (c *cluster) newerTerm(ctx context.Context, epoch int64, within time.Duration) (term, error) {
	deadline := time.Now().Add(within)
	for {
		var tm term
		err := c.db.QueryRow(ctx, `SELECT epoch, replica_id, started_at FROM leadership_history WHERE epoch > $1 ORDER BY epoch LIMIT 1`, epoch).
			Scan(&tm.epoch, &tm.replicaID, &tm.startedAt)
		if err == nil {
			tm.seenAt = time.Now()
			return tm, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return tm, err
		}
		if time.Now().After(deadline) {
			return tm, errors.New("no newer leader")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstPlanned waits for the first run planned by epoch and returns when it
// was planned.
func (c *cluster) firstPlanned(ctx context.Context, epoch int64, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	for {
		var at *time.Time
		if err := c.db.QueryRow(ctx, `SELECT min(created_at) FROM runs WHERE epoch = $1`, epoch).Scan(&at); err != nil {
			return time.Time{}, err
		}
		if at != nil {
			return *at, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, errors.New("the new leader planned nothing")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runsPlannedAfter counts the runs planned (created) after at.
func (c *cluster) runsPlannedAfter(ctx context.Context, at time.Time) (int, error) {
	var n int
	err := c.db.QueryRow(ctx, `SELECT count(*) FROM runs WHERE created_at > $1`, at).Scan(&n)
	return n, err
}

func (c *cluster) dbNow(ctx context.Context) time.Time {
	var now time.Time
	_ = c.db.QueryRow(ctx, `SELECT now()`).Scan(&now)
	return now
}
