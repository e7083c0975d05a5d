// Package cron parses cron expressions and computes their fire times.
//
// It accepts the Quartz expressions written for the platform this scheduler
// replaces, classic Unix crontab expressions, and the usual @-descriptors.
// The number of fields selects the meaning:
//
//	6 or 7 fields  Quartz  sec min hour day-of-month month day-of-week [year]
//	5 fields       Unix    min hour day-of-month month day-of-week  (second 0)
//	@descriptor    Unix    @yearly @annually @monthly @weekly @daily @midnight @hourly
//
// @every is refused: fixed intervals belong in the scheduler's interval
// field, not in a cron expression. @reboot is refused too.
//
// # Fields
//
//	field         values            names     extra (Quartz only)
//	second        0-59
//	minute        0-59
//	hour          0-23
//	day-of-month  1-31                        ? L L-n LW L-nW nW
//	month         1-12              JAN-DEC
//	day-of-week   Quartz 1-7, 1=SUN  SUN-SAT  ? L nL n#k
//	              Unix 0-7, 0 and 7=SUN
//	year          1970-2099
//
// Every field takes *, a value, a range a-b, a step */n, a/n (from a to the
// end of the field) or a-b/n, and comma-separated lists of these. Names are
// case-insensitive and work wherever numbers do, including in ranges
// (MON-FRI). A step may not be 0 or exceed the field's maximum, as in Quartz.
//
// In Quartz expressions a reversed range wraps around, as Quartz does:
// FRI-MON is Friday to Monday and 22-2 in the hour field is 22:00 to 02:00.
// A reversed year range is refused. Unix expressions refuse reversed ranges,
// as Vixie cron does.
//
// A year field of * means any year, not 1970-2099; without a year field,
// expressions have no end. With a year field, Next returns the zero Time once
// the last year has passed.
//
// # Quartz special characters
//
//	L    in day-of-month: the last day of the month
//	L-n  in day-of-month: n days (0-30) before the last day; L-1 is the 30th of a 31-day month
//	nW   in day-of-month: the weekday (Mon-Fri) nearest to day n, within the same month:
//	     a Saturday moves back to Friday except on the 1st (then Monday the 3rd),
//	     a Sunday moves on to Monday except on the last day (then Friday)
//	LW   in day-of-month: the last weekday of the month; L-nW the weekday nearest to L-n
//	L    in day-of-week, alone: 7, Saturday
//	nL   in day-of-week: the last weekday n of the month; 6L is the last Friday
//	n#k  in day-of-week: the k-th (1-5) weekday n of the month; 6#3 is the third Friday
//
// The special forms must stand alone in their field: 15W, L-2 or 6#3, not
// 1,15W or 2-6L. A day such as 31 or 31W fires only in months that have it;
// L-n fires only in months of more than n days; 6#5 fires only in months
// with a fifth Friday.
//
// # Day-of-month and day-of-week
//
// Quartz wants one of the two day fields to be ? ("no specific value").
// Here ? and * both mean no restriction in either day field: with one
// restricted and the other ? or *, the restricted one decides; with both
// unrestricted, every day matches. With both restricted (say 15 and MON)
// Parse refuses the expression, as Quartz does, because it is unclear
// whether the author meant "and" or "or".
//
// Unix expressions follow crontab(5): if both day fields are restricted,
// meaning neither starts with *, a day matches when either field matches
// ("0 0 1 * MON" fires on the 1st and on every Monday). Otherwise both must
// match, so "0 0 */2 * MON" fires on odd-numbered days that are Mondays.
// A lone ? is accepted as a synonym for * in Unix day fields. L, W and #
// are Quartz extensions and are refused in Unix expressions.
//
// # Refused expressions
//
// Parse returns a *ParseError naming the field at fault for out-of-range
// values, unknown names, zero or oversized steps, malformed special forms,
// ? outside the day fields, and the wrong number of fields. It also refuses
// expressions that can never fire, such as "0 0 0 30 2 ?" (February 30th) or
// "0 0 0 29 2 ? 2027" (2027 is not a leap year). Expressions longer than 256
// bytes are refused without being looked at.
//
// # Time zones and daylight saving time
//
// Next evaluates an expression in the location of the time passed to it, so
// callers pass t.In(loc). Fields match wall-clock readings in that location.
// Where a daylight saving change makes wall-clock readings disappear or
// repeat, what happens depends on the kind of expression. The split follows
// Vixie cron, which treats jobs whose minute or hour field starts with *
// differently, extended to the seconds field and to Quartz-style steps
// such as 0/5:
//
// A wall-clock expression names specific times of day: none of its second,
// minute and hour fields contains * or /. Examples: "0 30 2 * * ?",
// "0 0,30 1 * * ?", "0 0-5 14 * * ?", "30 2 * * *", @daily, @weekly. Each
// time it names fires exactly once per matching day:
//   - A time skipped when clocks go forward fires once, at the first instant
//     after the gap (in America/New_York on 2026-03-08, 02:30 fires at
//     03:00 EDT). Several skipped times coalesce into that one firing.
//   - A time shown twice when clocks go back fires at its first occurrence
//     only (01:30 EDT on 2026-11-01, not again at 01:30 EST).
//
// A repeating expression has * or / in its second, minute or hour field,
// such as "*/30 * * * * ?", "0 */15 * * * ?", "0 0/5 14 * * ?",
// "0 0 */2 * * ?", "*/5 * * * *" or @hourly. It describes a rhythm on the
// clock, and fires at every real instant whose wall-clock reading matches:
//   - Skipped times do not fire; the rhythm resumes after the gap. "Every 30
//     minutes" fires at 01:30 EST and then 03:00 EDT, 30 real minutes apart.
//     An expression confined to the skipped hour, such as "0 */15 2 * * ?",
//     does not fire that day.
//   - Repeated times fire in both copies of the repeated hour, so "every 30
//     minutes" keeps firing every 30 real minutes through 01:00 EDT, 01:30 EDT,
//     01:00 EST, 01:30 EST.
//
// Either way Next's results strictly increase, so no instant fires twice.
// Longer rhythms stay tied to the clock rather than to elapsed time:
// "0 0 */2 * * ?" fires at 00:00 EST and 04:00 EDT on 2026-03-08, three real
// hours apart, because 02:00 does not exist that day.
package cron
