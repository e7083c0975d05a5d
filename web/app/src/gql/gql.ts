/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment RunFields on Run {\n    id\n    dataSourceId\n    status\n    trigger\n    scheduledFor\n    coversUntil\n    slotCount\n    startedAt\n    finishedAt\n    durationMs\n    attempt\n    maxAttempts\n    error\n    replicaId\n    filesFound\n    recordsFound\n    skippedCount\n  }\n": typeof types.RunFieldsFragmentDoc,
    "\n  fragment ScheduleEventFields on ScheduleEvent {\n    cursor\n    kind\n    occurredAt\n    dataSourceId\n    nextRunAt\n    paused\n    run {\n      ...RunFields\n    }\n    files {\n      runId\n      files\n      bytes\n      records\n    }\n  }\n": typeof types.ScheduleEventFieldsFragmentDoc,
    "\n  fragment DataSourceFields on DataSource {\n    id\n    name\n    description\n    supplierName\n    category\n    path\n    filePattern\n    enabled\n    maxAttempts\n    runTimeout\n    minFileAge\n    hashFiles\n    maxFilesPerRun\n    version\n    createdAt\n    updatedAt\n    schedule {\n      cron\n      interval\n      anchor\n      timezone\n      misfirePolicy\n      overlapPolicy\n      paused\n    }\n  }\n": typeof types.DataSourceFieldsFragmentDoc,
    "\n  subscription ScheduleEvents($ids: [ID!], $after: String) {\n    scheduleEvents(dataSourceIds: $ids, after: $after) {\n      ...ScheduleEventFields\n    }\n  }\n": typeof types.ScheduleEventsDocument,
    "\n  subscription DataSourceEvents($after: String) {\n    dataSourceEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      dataSourceId\n      dataSource {\n        ...DataSourceFields\n      }\n    }\n  }\n": typeof types.DataSourceEventsDocument,
    "\n  subscription ClusterEvents($after: String) {\n    clusterEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      snapshot\n      replicaId\n      address\n      epoch\n    }\n  }\n": typeof types.ClusterEventsDocument,
    "\n  query Viewer {\n    viewer {\n      authEnabled\n      role\n      tokenName\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation DeleteDataSource($id: ID!, $expectedVersion: Int) {\n    deleteDataSource(id: $id, expectedVersion: $expectedVersion)\n  }\n": typeof types.DeleteDataSourceDocument,
    "\n  query DiscoveredFiles($id: ID!, $after: String) {\n    dataSource(id: $id) {\n      id\n      filesPerDay(days: 14) {\n        day\n        files\n        bytes\n        records\n      }\n      files(first: 20, after: $after) {\n        totalCount\n        edges {\n          node {\n            id\n            path\n            size\n            modifiedAt\n            sha256\n            format\n            recordCount\n            parseError\n            discoveredAt\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.DiscoveredFilesDocument,
    "\n  mutation RevokeApiToken($name: String!) {\n    revokeApiToken(name: $name) {\n      ...ApiTokenFields\n    }\n  }\n": typeof types.RevokeApiTokenDocument,
    "\n  query RunHistory($id: ID!, $after: String, $status: [RunStatus!]) {\n    dataSource(id: $id) {\n      id\n      runs(first: 20, after: $after, status: $status) {\n        totalCount\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.RunHistoryDocument,
    "\n  query RunDetail($id: ID!) {\n    run(id: $id) {\n      id\n      attemptErrors {\n        attempt\n        at\n        error\n      }\n      skipped {\n        path\n        reason\n      }\n      skippedCount\n    }\n  }\n": typeof types.RunDetailDocument,
    "\n  query SlotTimeline($id: ID!) {\n    dataSource(id: $id) {\n      id\n      runs(first: 100) {\n        edges {\n          node {\n            id\n            status\n            scheduledFor\n            coversUntil\n            slotCount\n          }\n        }\n      }\n    }\n  }\n": typeof types.SlotTimelineDocument,
    "\n  query Cluster {\n    cluster {\n      leader {\n        replicaId\n        address\n        epoch\n        since\n      }\n      replicas {\n        replicaId\n        address\n        startedAt\n        isLeader\n      }\n      leaders(first: 20) {\n        epoch\n        replicaId\n        address\n        startedAt\n        endedAt\n      }\n    }\n  }\n": typeof types.ClusterDocument,
    "\n  query DataSourceForEdit($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n    }\n  }\n": typeof types.DataSourceForEditDocument,
    "\n  mutation CreateDataSource($input: CreateDataSourceInput!) {\n    createDataSource(input: $input) {\n      ...DataSourceFields\n    }\n  }\n": typeof types.CreateDataSourceDocument,
    "\n  mutation UpdateDataSource($id: ID!, $input: UpdateDataSourceInput!, $expectedVersion: Int) {\n    updateDataSource(id: $id, input: $input, expectedVersion: $expectedVersion) {\n      ...DataSourceFields\n    }\n  }\n": typeof types.UpdateDataSourceDocument,
    "\n  query CronPreview($expression: String!, $timezone: String) {\n    cronPreview(expression: $expression, timezone: $timezone, count: 5)\n  }\n": typeof types.CronPreviewDocument,
    "\n  query DataSourceDetail($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n      schedule {\n        nextRunAt\n        upcoming(n: 10)\n        lastRun {\n          ...RunFields\n        }\n      }\n      fileTotals {\n        files\n        bytes\n        records\n      }\n    }\n  }\n": typeof types.DataSourceDetailDocument,
    "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n": typeof types.PauseScheduleDocument,
    "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n": typeof types.ResumeScheduleDocument,
    "\n  mutation TriggerRun($id: ID!) {\n    triggerRun(id: $id) {\n      ...RunFields\n    }\n  }\n": typeof types.TriggerRunDocument,
    "\n  mutation SetEnabled($id: ID!, $enabled: Boolean!) {\n    updateDataSource(id: $id, input: { enabled: $enabled }) {\n      id\n      enabled\n      version\n    }\n  }\n": typeof types.SetEnabledDocument,
    "\n  fragment DataSourceListItem on DataSource {\n    id\n    name\n    supplierName\n    category\n    enabled\n    version\n    schedule {\n      cron\n      interval\n      timezone\n      paused\n      nextRunAt\n    }\n    fileTotals {\n      files\n      records\n    }\n  }\n": typeof types.DataSourceListItemFragmentDoc,
    "\n  query DataSources($first: Int!, $after: String, $search: String, $enabled: Boolean) {\n    dataSources(first: $first, after: $after, search: $search, enabled: $enabled) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...DataSourceListItem\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.DataSourcesDocument,
    "\n  fragment ApiTokenFields on ApiToken {\n    name\n    role\n    createdAt\n    createdBy\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n": typeof types.ApiTokenFieldsFragmentDoc,
    "\n  query ApiTokens {\n    apiTokens {\n      ...ApiTokenFields\n    }\n  }\n": typeof types.ApiTokensDocument,
    "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      secret\n      token {\n        ...ApiTokenFields\n      }\n    }\n  }\n": typeof types.CreateApiTokenDocument,
};
const documents: Documents = {
    "\n  fragment RunFields on Run {\n    id\n    dataSourceId\n    status\n    trigger\n    scheduledFor\n    coversUntil\n    slotCount\n    startedAt\n    finishedAt\n    durationMs\n    attempt\n    maxAttempts\n    error\n    replicaId\n    filesFound\n    recordsFound\n    skippedCount\n  }\n": types.RunFieldsFragmentDoc,
    "\n  fragment ScheduleEventFields on ScheduleEvent {\n    cursor\n    kind\n    occurredAt\n    dataSourceId\n    nextRunAt\n    paused\n    run {\n      ...RunFields\n    }\n    files {\n      runId\n      files\n      bytes\n      records\n    }\n  }\n": types.ScheduleEventFieldsFragmentDoc,
    "\n  fragment DataSourceFields on DataSource {\n    id\n    name\n    description\n    supplierName\n    category\n    path\n    filePattern\n    enabled\n    maxAttempts\n    runTimeout\n    minFileAge\n    hashFiles\n    maxFilesPerRun\n    version\n    createdAt\n    updatedAt\n    schedule {\n      cron\n      interval\n      anchor\n      timezone\n      misfirePolicy\n      overlapPolicy\n      paused\n    }\n  }\n": types.DataSourceFieldsFragmentDoc,
    "\n  subscription ScheduleEvents($ids: [ID!], $after: String) {\n    scheduleEvents(dataSourceIds: $ids, after: $after) {\n      ...ScheduleEventFields\n    }\n  }\n": types.ScheduleEventsDocument,
    "\n  subscription DataSourceEvents($after: String) {\n    dataSourceEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      dataSourceId\n      dataSource {\n        ...DataSourceFields\n      }\n    }\n  }\n": types.DataSourceEventsDocument,
    "\n  subscription ClusterEvents($after: String) {\n    clusterEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      snapshot\n      replicaId\n      address\n      epoch\n    }\n  }\n": types.ClusterEventsDocument,
    "\n  query Viewer {\n    viewer {\n      authEnabled\n      role\n      tokenName\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation DeleteDataSource($id: ID!, $expectedVersion: Int) {\n    deleteDataSource(id: $id, expectedVersion: $expectedVersion)\n  }\n": types.DeleteDataSourceDocument,
    "\n  query DiscoveredFiles($id: ID!, $after: String) {\n    dataSource(id: $id) {\n      id\n      filesPerDay(days: 14) {\n        day\n        files\n        bytes\n        records\n      }\n      files(first: 20, after: $after) {\n        totalCount\n        edges {\n          node {\n            id\n            path\n            size\n            modifiedAt\n            sha256\n            format\n            recordCount\n            parseError\n            discoveredAt\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.DiscoveredFilesDocument,
    "\n  mutation RevokeApiToken($name: String!) {\n    revokeApiToken(name: $name) {\n      ...ApiTokenFields\n    }\n  }\n": types.RevokeApiTokenDocument,
    "\n  query RunHistory($id: ID!, $after: String, $status: [RunStatus!]) {\n    dataSource(id: $id) {\n      id\n      runs(first: 20, after: $after, status: $status) {\n        totalCount\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.RunHistoryDocument,
    "\n  query RunDetail($id: ID!) {\n    run(id: $id) {\n      id\n      attemptErrors {\n        attempt\n        at\n        error\n      }\n      skipped {\n        path\n        reason\n      }\n      skippedCount\n    }\n  }\n": types.RunDetailDocument,
    "\n  query SlotTimeline($id: ID!) {\n    dataSource(id: $id) {\n      id\n      runs(first: 100) {\n        edges {\n          node {\n            id\n            status\n            scheduledFor\n            coversUntil\n            slotCount\n          }\n        }\n      }\n    }\n  }\n": types.SlotTimelineDocument,
    "\n  query Cluster {\n    cluster {\n      leader {\n        replicaId\n        address\n        epoch\n        since\n      }\n      replicas {\n        replicaId\n        address\n        startedAt\n        isLeader\n      }\n      leaders(first: 20) {\n        epoch\n        replicaId\n        address\n        startedAt\n        endedAt\n      }\n    }\n  }\n": types.ClusterDocument,
    "\n  query DataSourceForEdit($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n    }\n  }\n": types.DataSourceForEditDocument,
    "\n  mutation CreateDataSource($input: CreateDataSourceInput!) {\n    createDataSource(input: $input) {\n      ...DataSourceFields\n    }\n  }\n": types.CreateDataSourceDocument,
    "\n  mutation UpdateDataSource($id: ID!, $input: UpdateDataSourceInput!, $expectedVersion: Int) {\n    updateDataSource(id: $id, input: $input, expectedVersion: $expectedVersion) {\n      ...DataSourceFields\n    }\n  }\n": types.UpdateDataSourceDocument,
    "\n  query CronPreview($expression: String!, $timezone: String) {\n    cronPreview(expression: $expression, timezone: $timezone, count: 5)\n  }\n": types.CronPreviewDocument,
    "\n  query DataSourceDetail($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n      schedule {\n        nextRunAt\n        upcoming(n: 10)\n        lastRun {\n          ...RunFields\n        }\n      }\n      fileTotals {\n        files\n        bytes\n        records\n      }\n    }\n  }\n": types.DataSourceDetailDocument,
    "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n": types.PauseScheduleDocument,
    "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n": types.ResumeScheduleDocument,
    "\n  mutation TriggerRun($id: ID!) {\n    triggerRun(id: $id) {\n      ...RunFields\n    }\n  }\n": types.TriggerRunDocument,
    "\n  mutation SetEnabled($id: ID!, $enabled: Boolean!) {\n    updateDataSource(id: $id, input: { enabled: $enabled }) {\n      id\n      enabled\n      version\n    }\n  }\n": types.SetEnabledDocument,
    "\n  fragment DataSourceListItem on DataSource {\n    id\n    name\n    supplierName\n    category\n    enabled\n    version\n    schedule {\n      cron\n      interval\n      timezone\n      paused\n      nextRunAt\n    }\n    fileTotals {\n      files\n      records\n    }\n  }\n": types.DataSourceListItemFragmentDoc,
    "\n  query DataSources($first: Int!, $after: String, $search: String, $enabled: Boolean) {\n    dataSources(first: $first, after: $after, search: $search, enabled: $enabled) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...DataSourceListItem\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.DataSourcesDocument,
    "\n  fragment ApiTokenFields on ApiToken {\n    name\n    role\n    createdAt\n    createdBy\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n": types.ApiTokenFieldsFragmentDoc,
    "\n  query ApiTokens {\n    apiTokens {\n      ...ApiTokenFields\n    }\n  }\n": types.ApiTokensDocument,
    "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      secret\n      token {\n        ...ApiTokenFields\n      }\n    }\n  }\n": types.CreateApiTokenDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunFields on Run {\n    id\n    dataSourceId\n    status\n    trigger\n    scheduledFor\n    coversUntil\n    slotCount\n    startedAt\n    finishedAt\n    durationMs\n    attempt\n    maxAttempts\n    error\n    replicaId\n    filesFound\n    recordsFound\n    skippedCount\n  }\n"): (typeof documents)["\n  fragment RunFields on Run {\n    id\n    dataSourceId\n    status\n    trigger\n    scheduledFor\n    coversUntil\n    slotCount\n    startedAt\n    finishedAt\n    durationMs\n    attempt\n    maxAttempts\n    error\n    replicaId\n    filesFound\n    recordsFound\n    skippedCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ScheduleEventFields on ScheduleEvent {\n    cursor\n    kind\n    occurredAt\n    dataSourceId\n    nextRunAt\n    paused\n    run {\n      ...RunFields\n    }\n    files {\n      runId\n      files\n      bytes\n      records\n    }\n  }\n"): (typeof documents)["\n  fragment ScheduleEventFields on ScheduleEvent {\n    cursor\n    kind\n    occurredAt\n    dataSourceId\n    nextRunAt\n    paused\n    run {\n      ...RunFields\n    }\n    files {\n      runId\n      files\n      bytes\n      records\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DataSourceFields on DataSource {\n    id\n    name\n    description\n    supplierName\n    category\n    path\n    filePattern\n    enabled\n    maxAttempts\n    runTimeout\n    minFileAge\n    hashFiles\n    maxFilesPerRun\n    version\n    createdAt\n    updatedAt\n    schedule {\n      cron\n      interval\n      anchor\n      timezone\n      misfirePolicy\n      overlapPolicy\n      paused\n    }\n  }\n"): (typeof documents)["\n  fragment DataSourceFields on DataSource {\n    id\n    name\n    description\n    supplierName\n    category\n    path\n    filePattern\n    enabled\n    maxAttempts\n    runTimeout\n    minFileAge\n    hashFiles\n    maxFilesPerRun\n    version\n    createdAt\n    updatedAt\n    schedule {\n      cron\n      interval\n      anchor\n      timezone\n      misfirePolicy\n      overlapPolicy\n      paused\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ScheduleEvents($ids: [ID!], $after: String) {\n    scheduleEvents(dataSourceIds: $ids, after: $after) {\n      ...ScheduleEventFields\n    }\n  }\n"): (typeof documents)["\n  subscription ScheduleEvents($ids: [ID!], $after: String) {\n    scheduleEvents(dataSourceIds: $ids, after: $after) {\n      ...ScheduleEventFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DataSourceEvents($after: String) {\n    dataSourceEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      dataSourceId\n      dataSource {\n        ...DataSourceFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription DataSourceEvents($after: String) {\n    dataSourceEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      dataSourceId\n      dataSource {\n        ...DataSourceFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterEvents($after: String) {\n    clusterEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      snapshot\n      replicaId\n      address\n      epoch\n    }\n  }\n"): (typeof documents)["\n  subscription ClusterEvents($after: String) {\n    clusterEvents(after: $after) {\n      cursor\n      kind\n      occurredAt\n      snapshot\n      replicaId\n      address\n      epoch\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      authEnabled\n      role\n      tokenName\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      authEnabled\n      role\n      tokenName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteDataSource($id: ID!, $expectedVersion: Int) {\n    deleteDataSource(id: $id, expectedVersion: $expectedVersion)\n  }\n"): (typeof documents)["\n  mutation DeleteDataSource($id: ID!, $expectedVersion: Int) {\n    deleteDataSource(id: $id, expectedVersion: $expectedVersion)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DiscoveredFiles($id: ID!, $after: String) {\n    dataSource(id: $id) {\n      id\n      filesPerDay(days: 14) {\n        day\n        files\n        bytes\n        records\n      }\n      files(first: 20, after: $after) {\n        totalCount\n        edges {\n          node {\n            id\n            path\n            size\n            modifiedAt\n            sha256\n            format\n            recordCount\n            parseError\n            discoveredAt\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DiscoveredFiles($id: ID!, $after: String) {\n    dataSource(id: $id) {\n      id\n      filesPerDay(days: 14) {\n        day\n        files\n        bytes\n        records\n      }\n      files(first: 20, after: $after) {\n        totalCount\n        edges {\n          node {\n            id\n            path\n            size\n            modifiedAt\n            sha256\n            format\n            recordCount\n            parseError\n            discoveredAt\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiToken($name: String!) {\n    revokeApiToken(name: $name) {\n      ...ApiTokenFields\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiToken($name: String!) {\n    revokeApiToken(name: $name) {\n      ...ApiTokenFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunHistory($id: ID!, $after: String, $status: [RunStatus!]) {\n    dataSource(id: $id) {\n      id\n      runs(first: 20, after: $after, status: $status) {\n        totalCount\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RunHistory($id: ID!, $after: String, $status: [RunStatus!]) {\n    dataSource(id: $id) {\n      id\n      runs(first: 20, after: $after, status: $status) {\n        totalCount\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunDetail($id: ID!) {\n    run(id: $id) {\n      id\n      attemptErrors {\n        attempt\n        at\n        error\n      }\n      skipped {\n        path\n        reason\n      }\n      skippedCount\n    }\n  }\n"): (typeof documents)["\n  query RunDetail($id: ID!) {\n    run(id: $id) {\n      id\n      attemptErrors {\n        attempt\n        at\n        error\n      }\n      skipped {\n        path\n        reason\n      }\n      skippedCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SlotTimeline($id: ID!) {\n    dataSource(id: $id) {\n      id\n      runs(first: 100) {\n        edges {\n          node {\n            id\n            status\n            scheduledFor\n            coversUntil\n            slotCount\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SlotTimeline($id: ID!) {\n    dataSource(id: $id) {\n      id\n      runs(first: 100) {\n        edges {\n          node {\n            id\n            status\n            scheduledFor\n            coversUntil\n            slotCount\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cluster {\n    cluster {\n      leader {\n        replicaId\n        address\n        epoch\n        since\n      }\n      replicas {\n        replicaId\n        address\n        startedAt\n        isLeader\n      }\n      leaders(first: 20) {\n        epoch\n        replicaId\n        address\n        startedAt\n        endedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Cluster {\n    cluster {\n      leader {\n        replicaId\n        address\n        epoch\n        since\n      }\n      replicas {\n        replicaId\n        address\n        startedAt\n        isLeader\n      }\n      leaders(first: 20) {\n        epoch\n        replicaId\n        address\n        startedAt\n        endedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DataSourceForEdit($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n    }\n  }\n"): (typeof documents)["\n  query DataSourceForEdit($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateDataSource($input: CreateDataSourceInput!) {\n    createDataSource(input: $input) {\n      ...DataSourceFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateDataSource($input: CreateDataSourceInput!) {\n    createDataSource(input: $input) {\n      ...DataSourceFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateDataSource($id: ID!, $input: UpdateDataSourceInput!, $expectedVersion: Int) {\n    updateDataSource(id: $id, input: $input, expectedVersion: $expectedVersion) {\n      ...DataSourceFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateDataSource($id: ID!, $input: UpdateDataSourceInput!, $expectedVersion: Int) {\n    updateDataSource(id: $id, input: $input, expectedVersion: $expectedVersion) {\n      ...DataSourceFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CronPreview($expression: String!, $timezone: String) {\n    cronPreview(expression: $expression, timezone: $timezone, count: 5)\n  }\n"): (typeof documents)["\n  query CronPreview($expression: String!, $timezone: String) {\n    cronPreview(expression: $expression, timezone: $timezone, count: 5)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DataSourceDetail($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n      schedule {\n        nextRunAt\n        upcoming(n: 10)\n        lastRun {\n          ...RunFields\n        }\n      }\n      fileTotals {\n        files\n        bytes\n        records\n      }\n    }\n  }\n"): (typeof documents)["\n  query DataSourceDetail($id: ID!) {\n    dataSource(id: $id) {\n      ...DataSourceFields\n      schedule {\n        nextRunAt\n        upcoming(n: 10)\n        lastRun {\n          ...RunFields\n        }\n      }\n      fileTotals {\n        files\n        bytes\n        records\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation PauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) {\n      id\n      version\n      schedule {\n        paused\n        nextRunAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TriggerRun($id: ID!) {\n    triggerRun(id: $id) {\n      ...RunFields\n    }\n  }\n"): (typeof documents)["\n  mutation TriggerRun($id: ID!) {\n    triggerRun(id: $id) {\n      ...RunFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetEnabled($id: ID!, $enabled: Boolean!) {\n    updateDataSource(id: $id, input: { enabled: $enabled }) {\n      id\n      enabled\n      version\n    }\n  }\n"): (typeof documents)["\n  mutation SetEnabled($id: ID!, $enabled: Boolean!) {\n    updateDataSource(id: $id, input: { enabled: $enabled }) {\n      id\n      enabled\n      version\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DataSourceListItem on DataSource {\n    id\n    name\n    supplierName\n    category\n    enabled\n    version\n    schedule {\n      cron\n      interval\n      timezone\n      paused\n      nextRunAt\n    }\n    fileTotals {\n      files\n      records\n    }\n  }\n"): (typeof documents)["\n  fragment DataSourceListItem on DataSource {\n    id\n    name\n    supplierName\n    category\n    enabled\n    version\n    schedule {\n      cron\n      interval\n      timezone\n      paused\n      nextRunAt\n    }\n    fileTotals {\n      files\n      records\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DataSources($first: Int!, $after: String, $search: String, $enabled: Boolean) {\n    dataSources(first: $first, after: $after, search: $search, enabled: $enabled) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...DataSourceListItem\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query DataSources($first: Int!, $after: String, $search: String, $enabled: Boolean) {\n    dataSources(first: $first, after: $after, search: $search, enabled: $enabled) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...DataSourceListItem\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ApiTokenFields on ApiToken {\n    name\n    role\n    createdAt\n    createdBy\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n"): (typeof documents)["\n  fragment ApiTokenFields on ApiToken {\n    name\n    role\n    createdAt\n    createdBy\n    lastUsedAt\n    expiresAt\n    revokedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ApiTokens {\n    apiTokens {\n      ...ApiTokenFields\n    }\n  }\n"): (typeof documents)["\n  query ApiTokens {\n    apiTokens {\n      ...ApiTokenFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      secret\n      token {\n        ...ApiTokenFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      secret\n      token {\n        ...ApiTokenFields\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;