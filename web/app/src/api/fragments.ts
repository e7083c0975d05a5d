import { graphql } from "../gql";

// Shapes shared by queries and subscriptions, so that an event and a query
// result fold into the same view.

graphql(`
  fragment RunFields on Run {
    id
    dataSourceId
    status
    trigger
    scheduledFor
    coversUntil
    slotCount
    startedAt
    finishedAt
    durationMs
    attempt
    maxAttempts
    error
    replicaId
    filesFound
    recordsFound
    skippedCount
  }
`);

graphql(`
  fragment ScheduleEventFields on ScheduleEvent {
    cursor
    kind
    occurredAt
    dataSourceId
    nextRunAt
    paused
    run {
      ...RunFields
    }
    files {
      runId
      files
      bytes
      records
    }
  }
`);

graphql(`
  fragment DataSourceFields on DataSource {
    id
    name
    description
    supplierName
    category
    path
    filePattern
    enabled
    maxAttempts
    runTimeout
    minFileAge
    hashFiles
    maxFilesPerRun
    version
    createdAt
    updatedAt
    schedule {
      cron
      interval
      anchor
      timezone
      misfirePolicy
      overlapPolicy
      paused
    }
  }
`);

export const ScheduleEventsSubscription = graphql(`
  subscription ScheduleEvents($ids: [ID!], $after: String) {
    scheduleEvents(dataSourceIds: $ids, after: $after) {
      ...ScheduleEventFields
    }
  }
`);

export const DataSourceEventsSubscription = graphql(`
  subscription DataSourceEvents($after: String) {
    dataSourceEvents(after: $after) {
      cursor
      kind
      occurredAt
      dataSourceId
      dataSource {
        ...DataSourceFields
      }
    }
  }
`);

export const ClusterEventsSubscription = graphql(`
  subscription ClusterEvents($after: String) {
    clusterEvents(after: $after) {
      cursor
      kind
      occurredAt
      snapshot
      replicaId
      address
      epoch
    }
  }
`);
