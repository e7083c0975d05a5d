import { useEffect, useRef, useSyncExternalStore } from "react";
import type { Client as WsClient } from "graphql-ws";
import { useApi } from "./context";
import { ClusterEventsSubscription } from "./fragments";
import { subscribeLive } from "./live";
import type { ClusterEventsSubscription as Result } from "../gql/graphql";

export type ClusterEvent = Result["clusterEvents"];

/** The leader as the stream says: undefined until its snapshot, null during an election. */
export type LiveLeader = { replicaId: string; epoch: string | null } | null | undefined;

export type ClusterState = { leader: LiveLeader; failed: string | null };

/**
 * One clusterEvents stream for the tab, opened by the first screen that
 * listens (the header does, on every screen) and kept open: it also keeps
 * the tab's WebSocket up, so that the connection badge tells the truth.
 */
export class ClusterFeed {
  private state: ClusterState = { leader: undefined, failed: null };
  private readonly changes = new Set<() => void>();
  private readonly listeners = new Set<(event: ClusterEvent) => void>();
  private started = false;

  constructor(private readonly ws: WsClient) {}

  get = (): ClusterState => this.state;

  subscribe = (onChange: () => void): (() => void) => {
    this.start();
    this.changes.add(onChange);
    return () => this.changes.delete(onChange);
  };

  /** Calls listener for every change from now on (not the opening snapshot). */
  listen(listener: (event: ClusterEvent) => void): () => void {
    this.start();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    subscribeLive(this.ws, ClusterEventsSubscription, {}, (d) => d.clusterEvents, (e) => e.cursor, {
      next: (e) => {
        const leader = this.state.leader;
        if (e.kind === "LEADER_ELECTED") this.set({ leader: { replicaId: e.replicaId, epoch: e.epoch } });
        if (e.kind === "LEADER_LOST" && leader?.replicaId === e.replicaId) this.set({ leader: null });
        if (!e.snapshot) for (const l of this.listeners) l(e);
      },
      fail: (message) => this.set({ failed: message }),
    });
  }

  private set(change: Partial<ClusterState>): void {
    this.state = { ...this.state, ...change };
    for (const c of this.changes) c();
  }
}

export function useClusterState(): ClusterState {
  const { cluster } = useApi();
  return useSyncExternalStore(cluster.subscribe, cluster.get);
}

/** Calls onEvent for every cluster change from now on. */
export function useClusterEvents(onEvent: (event: ClusterEvent) => void): void {
  const { cluster } = useApi();
  const ref = useRef(onEvent);
  useEffect(() => {
    ref.current = onEvent;
  });
  useEffect(() => cluster.listen((e) => ref.current(e)), [cluster]);
}
