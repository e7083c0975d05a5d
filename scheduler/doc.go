// Package scheduler turns datasource schedules into runs.
//
// A Spec is a schedule: a cron expression (package scheduler/cron) or an
// anchored interval, read in a time zone. A Scheduler is one replica's part
// of the scheduler:
//
//   - every replica works run jobs (River queue "runs"), registers itself in
//     etcd, and campaigns for leadership;
//   - the replica etcd elects records its epoch (the leader key's create
//     revision) in PostgreSQL and runs the slot planner, whose every
//     transaction is fenced by that epoch (DESIGN.md I2);
//   - the planner turns due slots into runs rows and River jobs, per the
//     misfire and overlap policies, so that every slot is accounted for by
//     exactly one row (I1, I3).
//
// docs/SCHEDULER.md describes the behaviour for operators.
package scheduler
