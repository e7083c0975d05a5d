package scheduler

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/store"
)

// File discovery over 100,000 small files, with recording, next to find(1)
// on the same tree: a first run, then rescanRounds rescans that find
// nothing new:
//
//	go test ./scheduler -run '^$' -bench Discovery100k -benchtime 1x
func BenchmarkDiscovery100k(b *testing.B) {
	const rescanRounds = 5
	bundle := setup(b)
	root := b.TempDir()
	old := time.Now().Add(-time.Hour)
	for d := range 100 {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", d))
		require.NoError(b, os.MkdirAll(dir, 0o755))
		for f := range 1000 {
			p := filepath.Join(dir, fmt.Sprintf("f%04d.csv", f))
			require.NoError(b, os.WriteFile(p, []byte("id,v\n1,2\n"), 0o644))
			require.NoError(b, os.Chtimes(p, old, old))
		}
	}
	syscall.Sync() // so that writing the tree back does not overlap the runs
	roots, err := discovery.NewRoots(root)
	require.NoError(b, err)
	ds := bundle.createInterval(b, "bench", time.Hour, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern, p.MaxFilesPerRun = root, "**/*.csv", 200_000
	})
	work := DiscoveryWork(roots, bundle.store)

	run := func() (time.Duration, int, uint64) {
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // sample the heap while the run works
			defer close(done)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		runtime.GC()
		start := time.Now()
		res, err := work.Run(b.Context(), ds, &store.Run{})
		require.NoError(b, err)
		var inserted int
		require.NoError(b, bundle.store.InTx(b.Context(), func(tx *store.Tx) error {
			totals, err := tx.FilesRecord(b.Context(), ds.ID, 1, res.Discovery)
			if totals != nil {
				inserted = totals.Files
			}
			return err
		}))
		elapsed := time.Since(start)
		close(stop)
		<-done
		return elapsed, inserted, peak.Load()
	}
	find := func() time.Duration {
		start := time.Now()
		cmd := exec.Command("find", root, "-type", "f", "-printf", `%s %T@ %p\n`)
		cmd.Stdout = nil
		require.NoError(b, cmd.Run())
		return time.Since(start)
	}

	first, inserted, firstPeak := run()
	require.Equal(b, 100_000, inserted)
	// A rescan meets a table that autovacuum has long processed; left to
	// itself, autovacuum would start during the rescans below.
	_, err = bundle.store.Pool().Exec(b.Context(), `VACUUM ANALYZE discovered_files`)
	require.NoError(b, err)
	// Rescans alternate with find, and the medians are reported: on a
	// shared machine the two vary together more than apart.
	var rescans, finds []time.Duration
	var rescanPeak uint64
	for range rescanRounds {
		rescan, again, peak := run()
		require.Zero(b, again, "a rescan records nothing")
		rescans, rescanPeak = append(rescans, rescan), max(rescanPeak, peak)
		finds = append(finds, find())
	}
	var written int64
	require.NoError(b, bundle.store.Pool().QueryRow(b.Context(), `SELECT count(*) FROM discovered_files`).Scan(&written))
	require.EqualValues(b, 100_000, written)
	rescan, findTime := median(rescans), median(finds)

	b.ReportMetric(first.Seconds(), "first-run-s")
	b.ReportMetric(float64(inserted)/first.Seconds(), "first-files/s")
	b.ReportMetric(rescan.Seconds(), "median-rescan-s")
	b.ReportMetric(findTime.Seconds(), "median-find-s")
	b.ReportMetric(rescan.Seconds()/findTime.Seconds(), "rescan/find")
	b.ReportMetric(float64(max(firstPeak, rescanPeak))/(1<<20), "peak-heap-MiB")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
