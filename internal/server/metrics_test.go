package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/gqltest"
)

// During a real run of a one-second datasource, /metrics shows the run
// durations, the discovered files, bytes and records, the River jobs, the
// pool and the NOTIFY queue, and they move; every metric that
// docs/alerts.yaml uses is among them.
func TestMetricsDuringRuns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	urls, _ := startReplicas(t, 1, root)
	base := urls[0]
	before := scrape(t, base)
	require.Zero(t, sampleSum(before, "ezplatform_discovery_files_total"))

	dir := filepath.Join(root, "inbox")
	require.NoError(t, os.Mkdir(dir, 0o755))
	csv := []byte("id,name\n1,a\n2,b\n3,c\n")
	file := filepath.Join(dir, "customers.csv")
	require.NoError(t, os.WriteFile(file, csv, 0o644))
	old := time.Now().Add(-time.Hour) // complete: older than any minimum age
	require.NoError(t, os.Chtimes(file, old, old))
	gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "metrics", "supplierName": "ACME", "path": dir, "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1s"},
		}})

	var during map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		during = scrape(t, base)
		return sampleSum(during, "ezplatform_discovery_files_total") == 1 &&
			histogramCount(during, "ezplatform_run_duration_seconds", "outcome", "SUCCEEDED") >= 2
	}, 2*time.Minute, 200*time.Millisecond, "runs succeed and discover the file once")
	require.Equal(t, float64(len(csv)), sampleSum(during, "ezplatform_discovery_bytes_total"))
	require.Equal(t, float64(3), sampleSum(during, "ezplatform_discovery_records_total"))
	require.Equal(t, float64(1), sampleSum(during, "ezplatform_scheduler_leader"))

	// River's unfinished jobs are counted by state: the queue's depth.
	// Finished jobs are not.
	jobs := riverJobs(t, during)
	for _, state := range []string{"available", "pending", "retryable", "running", "scheduled"} {
		require.Contains(t, jobs, state)
	}
	require.NotContains(t, jobs, "completed")
	// With the runs queue paused (through River UI's API), the next slot's
	// job waits (the slots after it are SKIPPED: overlap policy), and the
	// depth shows it; resumed, it is worked.
	put(t, base+"/riverui/api/queues/runs/pause")
	require.Eventually(t, func() bool { return riverJobs(t, scrape(t, base))["available"] >= 1 },
		time.Minute, 200*time.Millisecond, "jobs wait in the paused queue")
	put(t, base+"/riverui/api/queues/runs/resume")
	require.Eventually(t, func() bool { return riverJobs(t, scrape(t, base))["available"] == 0 },
		time.Minute, 200*time.Millisecond, "the resumed queue is worked")

	require.GreaterOrEqual(t, sampleSum(during, "ezplatform_db_pool_max_connections"), float64(1))
	require.GreaterOrEqual(t, sampleSum(during, "ezplatform_db_pool_total_connections"), float64(1))
	family(t, during, "ezplatform_db_pool_idle_connections")
	family(t, during, "ezplatform_db_pool_acquired_connections")
	family(t, during, "ezplatform_db_pool_acquire_duration_seconds_total")
	require.Greater(t, sampleSum(during, "ezplatform_db_pool_acquires_total"), sampleSum(before, "ezplatform_db_pool_acquires_total"))
	usage := sampleSum(during, "ezplatform_postgres_notification_queue_usage_ratio")
	require.True(t, usage >= 0 && usage < 1, "usage %v", usage)
	require.Zero(t, sampleSum(during, "ezplatform_planner_lag_seconds"), "the planner keeps up with one datasource")
	family(t, during, "ezplatform_runs_running")
	family(t, during, "ezplatform_run_oldest_running_seconds")

	info := family(t, during, "ezplatform_build_info").GetMetric()
	require.Len(t, info, 1)
	require.Equal(t, float64(1), info[0].GetGauge().GetValue())
	require.Equal(t, runtime.Version(), label(info[0], "goversion"))
	require.NotEmpty(t, label(info[0], "version"))
	require.NotEmpty(t, label(info[0], "revision"))

	// They move: more runs, and their durations, keep coming; the file
	// is not counted again.
	runsSoFar := histogramCount(during, "ezplatform_run_duration_seconds", "outcome", "SUCCEEDED")
	require.Eventually(t, func() bool {
		return histogramCount(scrape(t, base), "ezplatform_run_duration_seconds", "outcome", "SUCCEEDED") > runsSoFar
	}, time.Minute, 200*time.Millisecond)
	after := scrape(t, base)
	require.Equal(t, float64(1), sampleSum(after, "ezplatform_discovery_files_total"))
	require.Greater(t, sampleSum(after, "ezplatform_runs_planned_total"), sampleSum(during, "ezplatform_runs_planned_total")-1)

	// Every metric the alerting rules use is one a replica exposes, with
	// the labels they match on.
	for name, labelNames := range alertSelectors(t) {
		f := exposedFamily(after, name)
		require.NotNil(t, f, "docs/alerts.yaml uses %s, which /metrics does not expose", name)
		for _, l := range labelNames {
			require.True(t, hasLabel(f, l), "docs/alerts.yaml matches %s on %s, a label it does not have", name, l)
		}
	}
}

// riverJobs is ezplatform_river_jobs by state.
func riverJobs(t *testing.T, families map[string]*dto.MetricFamily) map[string]float64 {
	t.Helper()
	jobs := map[string]float64{}
	for _, m := range family(t, families, "ezplatform_river_jobs").GetMetric() {
		jobs[label(m, "state")] = m.GetGauge().GetValue()
	}
	return jobs
}

func put(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, url)
}

// scrape reads a replica's /metrics, keyed by family name.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return families
}

func family(t *testing.T, families map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "/metrics has no %s", name)
	return f
}

// sampleSum adds up a counter's or gauge's samples over its labels; 0 if
// the family is absent.
func sampleSum(families map[string]*dto.MetricFamily, name string) float64 {
	var sum float64
	for _, m := range families[name].GetMetric() {
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
	}
	return sum
}

// histogramCount is the observation count of the histogram's series with
// the label; 0 if there is none.
func histogramCount(families map[string]*dto.MetricFamily, name, labelName, value string) uint64 {
	for _, m := range families[name].GetMetric() {
		if label(m, labelName) == value {
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
