import { useEffect, useRef } from "react";
import type { Client as WsClient } from "graphql-ws";
import { useApi } from "./context";
import { DataSourceEventsSubscription } from "./fragments";
import { subscribeLive } from "./live";
import type { DataSourceEventsSubscription as Result } from "../gql/graphql";

export type DataSourceEvent = Result["dataSourceEvents"];

/**
 * One dataSourceEvents stream for the tab, opened when a screen first
 * listens and kept open from then on. A stream without a cursor starts with
 * a SNAPSHOT of every datasource; one stream per tab pays for that once,
 * not on every visit to the list.
 */
export class DataSourceFeed {
  private readonly listeners = new Set<(event: DataSourceEvent) => void>();
  private started = false;

  constructor(private readonly ws: WsClient) {}

  listen(listener: (event: DataSourceEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      subscribeLive(this.ws, DataSourceEventsSubscription, {}, (d) => d.dataSourceEvents, (e) => e.cursor, {
        next: (event) => {
          // The snapshot describes what the screens' queries already show.
          if (event.kind === "SNAPSHOT") return;
          for (const l of this.listeners) l(event);
        },
      });
    }
    return () => this.listeners.delete(listener);
  }
}

/** Calls onEvent for every datasource created, updated or deleted from now on. */
export function useDataSourceEvents(onEvent: (event: DataSourceEvent) => void): void {
  const { dataSources } = useApi();
  const ref = useRef(onEvent);
  useEffect(() => {
    ref.current = onEvent;
  });
  useEffect(() => dataSources.listen((e) => ref.current(e)), [dataSources]);
}
