package cron

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
	_ "time/tzdata" // the rows name IANA zones; don't depend on the host's zoneinfo

	"github.com/stretchr/testify/require"
)

// describedRow is one row of testdata/described.json, the table shared with
// the web app's "schedule in words" (web/app/src/schedule/describe.ts). This
// test pins next, the fire times after from in timezone; describe.test.ts
// pins words, and checks that the weekdays the words name are the weekdays
// of next. So if the words and this package disagree on an expression (say
// the words say Friday and the expression fires on Thursdays), one of the
// two tests fails.
type describedRow struct {
	Expression string   `json:"expression"`
	Timezone   string   `json:"timezone"`
	From       string   `json:"from"` // RFC 3339
	Next       []string `json:"next"` // RFC 3339, with the offset in force in Timezone
	Words      string   `json:"words"`
}

func TestDescribedTable(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/described.json")
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rows []describedRow
	require.NoError(t, dec.Decode(&rows))
	require.NotEmpty(t, rows)

	seen := make(map[string]bool)
	for _, row := range rows {
		name := row.Expression + " in " + row.Timezone + " from " + row.From
		require.False(t, seen[name], "duplicate row %s", name)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.NotEmpty(t, row.Words)
			require.GreaterOrEqual(t, len(row.Next), 3, "give at least 3 fire times")
			loc, err := time.LoadLocation(row.Timezone)
			require.NoError(t, err)
			from, err := time.Parse(time.RFC3339, row.From)
			require.NoError(t, err)
			e, err := Parse(row.Expression)
			require.NoError(t, err)

			got := make([]string, 0, len(row.Next))
			at := from.In(loc)
			for range row.Next {
				at = e.Next(at)
				if at.IsZero() {
					got = append(got, "never")
					break
				}
				got = append(got, at.Format(time.RFC3339))
			}
			require.Equal(t, row.Next, got)
		})
	}
}
