package cron

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"0 0 12 * * ?", "0 15 10 ? * *", "0 15 10 * * ? *", "0 15 10 * * ? 2005",
		"0 0/5 14,18 * * ?", "0 10,44 14 ? 3 WED", "0 15 10 ? * MON-FRI",
		"0 15 10 L * ?", "0 15 10 L-2 * ?", "0 15 10 ? * 6L", "0 15 10 ? * 6L 2002-2005",
		"0 15 10 ? * 6#3", "0 0 12 1/5 * ?", "0 11 11 11 11 ?",
		"0 0 12 LW * ?", "0 0 12 L-0 * ?", "0 0 12 L-30 * ?", "0 0 12 L-5W * ?", "0 0 12 1W * ?", "0 0 12 31W * ?",
		"0 0 12 ? * L", "0 0 12 ? * 7L", "0 0 12 ? * SUNL", "0 0 12 ? * sat#5", "0 0 12 ? * 1#1",
		"0 0 12 lw * ?", "0 0 12 15w * ?", "0 0 12 ? * 6l",
		"0 0 12 ? jan-dec sun-sat", "0 0 12 ? JAN/2 MON/2", "0 0 12 ? * */2",
		"0-59/59 0-59/59 0-23/23 1-31/31 1-12/12 ?", "0 0 0 1 1 ? 1970-2099/129",
		"0 0 0 L * ?", "0 0 0 ? * 1-7",
		"* * * * *", "0 0 * * 0-7", "0 0 31 2 1", "0 0 ? * ?", "@yearly", " @hourly ",
		"\t0\t0\t12\t*\t*\t?\t",
	} {
		_, err := Parse(expr)
		require.NoError(t, err, expr)
	}
}

func TestParseRefuses(t *testing.T) {
	cases := []struct {
		expr  string
		field string
		msg   string // a substring of ParseError.Msg
	}{
		// Whole-expression problems.
		{"", "", "empty expression"},
		{"   \t ", "", "empty expression"},
		{strings.Repeat("* ", 5000), "", "longer than 256 bytes"},
		{"* * * *", "", "got 4"},
		{"0 0 0 * * ? * *", "", "got 8"},
		{"@every 5m", "", "use the interval field"},
		{"@EVERY 1h", "", "use the interval field"},
		{"@reboot", "", "not supported"},
		{"@often", "", "unknown descriptor"},
		{"@daily 5", "", "takes no fields"},
		{"0 @daily * * *", fieldHour, "unexpected character '@'"},
		// Expressions that can never fire.
		{"0 0 0 30 2 ?", "", "never fires"},
		{"30 2 31 2 ?", "", "never fires"},
		{"30 2 31 2 *", "", "never fires"},
		{"0 0 0 31 4,6,9,11 ?", "", "never fires"},
		{"0 0 0 29 2 ? 2027", "", "never fires"},
		{"0 0 0 29 2 ? 2097-2099", "", "never fires"},
		{"0 0 0 ? 2 1#5 2027", "", "never fires"},
		{"0 0 0 L-29 2 ?", "", "never fires"},
		{"0 0 0 30W 2 ?", "", "never fires"},
		// Out-of-range values.
		{"60 * * * * ?", fieldSecond, "value 60 out of range 0-59"},
		{"0 60 * * * ?", fieldMinute, "value 60 out of range 0-59"},
		{"0 0 24 * * ?", fieldHour, "value 24 out of range 0-23"},
		{"0 0 99999999999999999999 * * ?", fieldHour, "out of range 0-23"},
		{"0 0 0 32 * ?", fieldDayOfMonth, "value 32 out of range 1-31"},
		{"0 0 0 0 * ?", fieldDayOfMonth, "value 0 out of range 1-31"},
		{"0 0 0 ? 13 *", fieldMonth, "value 13 out of range 1-12"},
		{"0 0 0 ? 0 *", fieldMonth, "value 0 out of range 1-12"},
		{"0 0 12 ? * 8", fieldDayOfWeek, "value 8 out of range 1-7 (Quartz numbering, 1=SUN)"},
		{"0 0 12 ? * 0", fieldDayOfWeek, "value 0 out of range 1-7 (Quartz numbering, 1=SUN)"},
		{"0 12 * * 8", fieldDayOfWeek, "value 8 out of range 0-7 (Unix numbering, 0 or 7=SUN)"},
		{"0 0 0 ? * * 1969", fieldYear, "value 1969 out of range 1970-2099"},
		{"0 0 0 ? * * 2100", fieldYear, "value 2100 out of range 1970-2099"},
		{"60 0 * * *", fieldMinute, "value 60 out of range"},
		{"0 24 * * *", fieldHour, "value 24 out of range"},
		// Unknown names, and names where numbers belong.
		{"0 0 0 ? FOO *", fieldMonth, `unknown name "FOO" (want JAN-DEC)`},
		{"0 0 0 ? JANUARY *", fieldMonth, "unknown name"},
		{"0 0 12 ? * FUN", fieldDayOfWeek, `unknown name "FUN" (want SUN-SAT)`},
		{"0 0 12 * * ? MON", fieldYear, "takes numbers only"},
		{"0 0 MON * * ?", fieldHour, "takes numbers only"},
		{"0 0 0 * * ? ?", fieldYear, "? is only allowed in dayOfMonth and dayOfWeek"},
		// Steps.
		{"*/0 * * * * ?", fieldSecond, "step must be at least 1"},
		{"0 0/0 * * * ?", fieldMinute, "step must be at least 1"},
		{"0 */60 * * * ?", fieldMinute, "step 60 is larger than 59"},
		{"0 0 */24 * * ?", fieldHour, "step 24 is larger than 23"},
		{"0 0 0 */32 * ?", fieldDayOfMonth, "larger than 31"},
		{"0 0 0 ? */13 *", fieldMonth, "larger than 12"},
		{"0 0 0 ? * */8", fieldDayOfWeek, "larger than 7"},
		{"0 0 0 ? * * */130", fieldYear, "larger than 129"},
		{"*/0 * * * *", fieldMinute, "step must be at least 1"},
		{"0 0 */99999999999 * * ?", fieldHour, "larger than 23"},
		{"0 0 5/ * * ?", fieldHour, "missing step"},
		{"0 0 /5 * * ?", fieldHour, "missing value before /"},
		{"0 0 1/2/3 * * ?", fieldHour, "more than one /"},
		{"0 0 1/x * * ?", fieldHour, "invalid step"},
		// Malformed lists and ranges.
		{"0 0 1,,2 * * ?", fieldHour, "empty element"},
		{"0 0 1, * * ?", fieldHour, "empty element"},
		{"0 0 1- * * ?", fieldHour, "missing range end"},
		{"0 0 -1 * * ?", fieldHour, "missing range start"},
		{"0 0 1-2-3 * * ?", fieldHour, "invalid value"},
		{"*-5 * * * * ?", fieldSecond, "* must stand alone"},
		{"0 0 0 1,? * ?", fieldDayOfMonth, "? must stand alone"},
		{"0 0 1é * * ?", fieldHour, "unexpected character 'é'"},
		{"0 0 1.5 * * ?", fieldHour, "unexpected character '.'"},
		{"0 0 12\x00 * * ?", fieldHour, "unexpected character"},
		// Reversed ranges: refused for years (Quartz) and in Unix fields.
		{"0 0 0 ? * * 2005-2002", fieldYear, `range "2005-2002" is reversed`},
		{"0 5-1 * * *", fieldHour, "reversed"},
		{"0 0 * * FRI-MON", fieldDayOfWeek, "reversed"},
		{"0 0 10-1 * *", fieldDayOfMonth, "reversed"},
		// ? belongs in the day fields only.
		{"? 0 12 * * ?", fieldSecond, "? is only allowed in dayOfMonth and dayOfWeek"},
		{"0 ? 12 * * ?", fieldMinute, "? is only allowed"},
		{"0 0 ? * * ?", fieldHour, "? is only allowed"},
		{"0 0 12 * ? ?", fieldMonth, "? is only allowed"},
		{"? 0 * * *", fieldMinute, "? is only allowed"},
		// Both day fields restricted (Quartz).
		{"0 0 12 15 * MON", fieldDayOfWeek, "both a day-of-week AND a day-of-month"},
		{"0 0 12 L * 6L", fieldDayOfWeek, "both a day-of-week AND a day-of-month"},
		{"0 0 12 */1 * MON", fieldDayOfWeek, "both a day-of-week AND a day-of-month"},
		// W, L and # forms.
		{"0 0 12 1-5W * ?", fieldDayOfMonth, "W needs a single day of month"},
		{"0 0 12 1,15W * ?", fieldDayOfMonth, "lists and steps are not allowed"},
		{"0 0 12 15W/2 * ?", fieldDayOfMonth, "lists and steps are not allowed"},
		{"0 0 12 L,15 * ?", fieldDayOfMonth, "lists and steps are not allowed"},
		{"0 0 12 32W * ?", fieldDayOfMonth, "value 32 out of range 1-31"},
		{"0 0 12 0W * ?", fieldDayOfMonth, "value 0 out of range 1-31"},
		{"0 0 12 W * ?", fieldDayOfMonth, "W needs a day of month before it"},
		{"0 0 12 L-31 * ?", fieldDayOfMonth, "offset from last day must be 0-30"},
		{"0 0 12 L- * ?", fieldDayOfMonth, "L may only be followed by -n"},
		{"0 0 12 L3 * ?", fieldDayOfMonth, "L may only be followed by -n"},
		{"0 0 12 LL * ?", fieldDayOfMonth, "L may only be followed by -n"},
		{"0 0 12 WL * ?", fieldDayOfMonth, "L goes first"},
		{"0 0 12 5L * ?", fieldDayOfMonth, "L goes first"},
		{"0 0 12 1#2 * ?", fieldDayOfMonth, "# is only allowed in dayOfWeek"},
		{"0 0 12 ? * 6#6", fieldDayOfWeek, "the number after # must be 1-5"},
		{"0 0 12 ? * 6#0", fieldDayOfWeek, "the number after # must be 1-5"},
		{"0 0 12 ? * 6#", fieldDayOfWeek, "the number after # must be 1-5"},
		{"0 0 12 ? * 6#3#1", fieldDayOfWeek, "the number after # must be 1-5"},
		{"0 0 12 ? * #3", fieldDayOfWeek, "missing value"},
		{"0 0 12 ? * 8#3", fieldDayOfWeek, "value 8 out of range 1-7"},
		{"0 0 12 ? * 6#3,6#1", fieldDayOfWeek, "L and # need a single weekday"},
		{"0 0 12 ? * 2-6L", fieldDayOfWeek, "L and # need a single weekday"},
		{"0 0 12 ? * 1,L", fieldDayOfWeek, "L and # need a single weekday"},
		{"0 0 12 ? * 8L", fieldDayOfWeek, "value 8 out of range 1-7"},
		{"0 0 12 ? * L6", fieldDayOfWeek, "L goes after a weekday"},
		{"0 0 12 ? * 6W", fieldDayOfWeek, "invalid value"},
		{"0 0 12 ? * LW", fieldDayOfWeek, "L goes after a weekday"},
		// Quartz extensions in Unix expressions.
		{"0 0 L * *", fieldDayOfMonth, "Quartz extensions"},
		{"0 0 15W * *", fieldDayOfMonth, "Quartz extensions"},
		{"0 0 * * 5L", fieldDayOfWeek, "Quartz extensions"},
		{"0 0 * * 5#2", fieldDayOfWeek, "Quartz extensions"},
		{"0 0 * * 0W", fieldDayOfWeek, "invalid value"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			require.Nil(t, e)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.field, pe.Field, pe.Error())
			require.Contains(t, pe.Msg, tc.msg)
			require.True(t, strings.HasPrefix(pe.Error(), "cron: "), pe.Error())
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse("0 0 12 ? * 8")
	require.EqualError(t, err, `cron: dayOfWeek: value 8 out of range 1-7 (Quartz numbering, 1=SUN) in "0 0 12 ? * 8"`)

	_, err = Parse("  0 0 0 30 2 ?  ")
	require.EqualError(t, err, `cron: expression never fires: no calendar date matches the `+
		`day-of-month, month, day-of-week and year fields in "0 0 0 30 2 ?"`)

	// Huge inputs are refused at once and not echoed in full.
	huge := strings.Repeat("1", 10_000)
	began := time.Now()
	_, err = Parse(huge)
	require.Less(t, time.Since(began), 10*time.Millisecond)
	require.Less(t, len(err.Error()), 200)
}

// TestParseDSTClass pins which expressions count as wall-clock times and
// which as repeating ones (see the package documentation).
func TestParseDSTClass(t *testing.T) {
	for expr, wallClock := range map[string]bool{
		"0 30 2 * * ?":     true,
		"0 0,30 1 * * ?":   true,
		"0 0-5 14 * * ?":   true,
		"0 15 10 ? * 6L":   true,
		"30 2 * * *":       true,
		"@daily":           true,
		"@weekly":          true,
		"@yearly":          true,
		"*/30 * * * * ?":   false,
		"0 * * * * ?":      false,
		"0 */30 * * * ?":   false,
		"0 0/5 14 * * ?":   false,
		"0 0 */2 * * ?":    false,
		"0 0 0/2 * * ?":    false,
		"0 30 * * * ?":     false,
		"* 30 2 * * ?":     false,
		"*/5 * * * *":      false,
		"0 * * * *":        false,
		"@hourly":          false,
		"10-40/15 8 * * *": false,
	} {
		require.Equal(t, wallClock, mustParse(t, expr).wallClock, expr)
	}
}
