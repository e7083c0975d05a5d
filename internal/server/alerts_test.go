package server_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"
)

const alertsFile = "../../docs/alerts.yaml"

// docs/alerts.yaml is valid for Prometheus, and covers what operators must
// be told about. TestMetricsDuringRuns checks that each metric it uses is
// exposed.
func TestAlertRulesParse(t *testing.T) {
	t.Parallel()
	groups := alertRules(t)
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert, "recording rules are not expected in %s", alertsFile)
			require.NotEmpty(t, r.Annotations["summary"], r.Alert)
			require.NotEmpty(t, r.Labels["severity"], r.Alert)
			alerts = append(alerts, r.Alert)
		}
	}
	for _, want := range []string{"EzPlatformNoLeader", "EzPlatformPlannerLag", "EzPlatformRunFailureStreak",
		"EzPlatformStuckRun", "EzPlatformNotifyQueueFilling"} {
		require.Contains(t, alerts, want)
	}
	names := alertMetricNames(t)
	require.Contains(t, names, "ezplatform_scheduler_leader")
	require.Contains(t, names, "ezplatform_run_start_lag_seconds_bucket")

	// The check in TestMetricsDuringRuns tells a histogram's series from a
	// name that nothing exposes.
	histogram, counter := dto.MetricType_HISTOGRAM, dto.MetricType_COUNTER
	scraped := map[string]*dto.MetricFamily{
		"ezplatform_run_start_lag_seconds": {Type: &histogram},
		"ezplatform_thing":                 {Type: &counter},
	}
	require.NotNil(t, exposedFamily(scraped, "ezplatform_run_start_lag_seconds_bucket"))
	require.Nil(t, exposedFamily(scraped, "ezplatform_thing_bucket"), "a counter has no buckets")
	require.Nil(t, exposedFamily(scraped, "ezplatform_no_such_metric"))
}

// exposedFamily is the scraped family that has series of the name: the
// family of that name, or the histogram whose _bucket, _sum or _count
// series it names; nil if there is none.
func exposedFamily(families map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f, ok := families[name]; ok {
		return f
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		f, ok := families[strings.TrimSuffix(name, suffix)]
		if ok && strings.HasSuffix(name, suffix) && f.GetType() == dto.MetricType_HISTOGRAM {
			return f
		}
	}
	return nil
}

// hasLabel reports whether some series of the family has the label.
func hasLabel(f *dto.MetricFamily, name string) bool {
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				return true
			}
		}
	}
	return false
}

func alertRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.ParseFile(alertsFile, false, model.UTF8Validation, promQL(), slog.New(slog.DiscardHandler))
	require.Empty(t, errs)
	return groups
}

func promQL() parser.Parser { return parser.NewParser(parser.Options{}) }

// alertMetricNames are the metric names that the rules' expressions
// select (a histogram's as its _bucket, _sum or _count series).
func alertMetricNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for name := range alertSelectors(t) {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// alertSelectors maps each metric name that the rules select to the label
// names their matchers use on it.
func alertSelectors(t *testing.T) map[string][]string {
	t.Helper()
	selectors := map[string][]string{}
	for _, g := range alertRules(t).Groups {
		for _, r := range g.Rules {
			expr, err := promQL().ParseExpr(r.Expr)
			require.NoError(t, err, r.Alert)
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				vs, ok := node.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				name := vs.Name
				var labelNames []string
				for _, m := range vs.LabelMatchers {
					switch {
					case m.Name == labels.MetricName && m.Type == labels.MatchEqual:
						name = m.Value
					case m.Name != labels.MetricName:
						labelNames = append(labelNames, m.Name)
					}
				}
				require.NotEmpty(t, name, "%s selects series without a metric name", r.Alert)
				for _, l := range labelNames {
					if !slices.Contains(selectors[name], l) {
						selectors[name] = append(selectors[name], l)
					}
				}
				if _, ok := selectors[name]; !ok {
					selectors[name] = nil
				}
				return nil
			})
		}
	}
	return selectors
}
