import { useEffect, useRef } from "react";
import { useApi } from "../api/context";
import { DataSourceEventsSubscription } from "../api/fragments";
import { subscribeLive } from "../api/live";
import type { DataSourceEventsSubscription as Result } from "../gql/graphql";

export type DataSourceEvent = Result["dataSourceEvents"];

/**
 * Calls onEvent for every datasource created, updated or deleted from now
 * on. The stream's opening SNAPSHOT events describe what the page's query
 * already shows, so they are skipped.
 */
export function useDataSourceEvents(onEvent: (event: DataSourceEvent) => void): void {
  const { ws } = useApi();
  const ref = useRef(onEvent);
  useEffect(() => {
    ref.current = onEvent;
  });
  useEffect(
    () =>
      subscribeLive(
        ws,
        DataSourceEventsSubscription,
        {},
        (data) => data.dataSourceEvents,
        (event) => event.cursor,
        {
          next: (event) => {
            if (event.kind !== "SNAPSHOT") ref.current(event);
          },
        },
      ),
    [ws],
  );
}
