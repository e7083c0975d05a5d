// Package scheduler turns datasource schedules into runs.
//
// Today it holds the schedule model shared by the API and the planner: a
// Spec is a cron expression (package scheduler/cron) or an anchored interval,
// read in a time zone. The leader election, the slot planner and the River
// workers build on it.
package scheduler
