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
}

// exposes reports whether a scrape has series of the name: a family of
// that name, or the _bucket, _sum or _count series of a histogram.
func exposes(families map[string]*dto.MetricFamily, name string) bool {
	if _, ok := families[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := families[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) {
			if f.GetType() == dto.MetricType_HISTOGRAM {
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
				for _, m := range vs.LabelMatchers {
					if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
						name = m.Value
					}
				}
				require.NotEmpty(t, name, "%s selects series without a metric name", r.Alert)
				if !slices.Contains(names, name) {
					names = append(names, name)
				}
				return nil
			})
		}
	}
	return names
}
