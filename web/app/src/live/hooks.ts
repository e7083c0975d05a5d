import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { useApi } from "../api/context";
import { ScheduleEventsSubscription } from "../api/fragments";
import { subscribeLive } from "../api/live";
import { FrameStore } from "./frameStore";
import { applyEvents, type ScheduleEvent, type ScheduleViews } from "./schedules";

/**
 * Live schedule views of the given datasources (all when ids is null), folded
 * at most once per frame. onBatch, if given, sees each frame's events after
 * they are applied (the detail page upserts runs from them).
 */
export function useScheduleViews(
  ids: readonly string[] | null,
  onBatch?: (events: readonly ScheduleEvent[]) => void,
): { views: ScheduleViews; error: string | null } {
  const { ws } = useApi();
  const onBatchRef = useRef(onBatch);
  useEffect(() => {
    onBatchRef.current = onBatch;
  });
  const [error, setError] = useState<string | null>(null);
  // A new set of datasources is a new stream, with its own snapshot; the
  // same set in a new array is not.
  const key = ids === null ? "*" : [...ids].sort().join(",");
  const store = useMemo(
    () =>
      new FrameStore<ScheduleViews, ScheduleEvent>(new Map(), (views, events) => {
        onBatchRef.current?.(events);
        return applyEvents(views, events);
      }),
    [key],
  );
  useEffect(() => {
    if (key === "") return; // no datasource to follow
    setError(null);
    return subscribeLive(
      ws,
      ScheduleEventsSubscription,
      { ids: key === "*" ? null : key.split(",") },
      (data) => data.scheduleEvents,
      (event) => event.cursor,
      {
        next: (event) => store.push(event),
        reset: () => store.replace(new Map()),
        fail: setError,
      },
    );
  }, [ws, store, key]);
  const views = useSyncExternalStore(store.subscribe, store.get);
  return { views, error };
}

const nowListeners = new Set<() => void>();
let nowValue = Date.now();
let nowTimer: ReturnType<typeof setInterval> | null = null;

function subscribeNow(listener: () => void) {
  nowListeners.add(listener);
  if (nowTimer === null) {
    nowTimer = setInterval(() => {
      nowValue = Date.now();
      for (const l of nowListeners) l();
    }, 1000);
  }
  return () => {
    nowListeners.delete(listener);
    if (nowListeners.size === 0 && nowTimer !== null) {
      clearInterval(nowTimer);
      nowTimer = null;
    }
  };
}

/** The time, ticking once a second, shared by every countdown on the page. */
export function useNow(): number {
  return useSyncExternalStore(subscribeNow, () => nowValue);
}

/**
 * Calls fn at most once per interval ms, trailing: the last call is never
 * lost. Calls after the component unmounts do nothing.
 */
export function useThrottled(fn: () => void, interval: number): () => void {
  const fnRef = useRef(fn);
  useEffect(() => {
    fnRef.current = fn;
  });
  const state = useRef({ last: 0, timer: null as ReturnType<typeof setTimeout> | null, disposed: false });
  useEffect(() => {
    const s = state.current;
    s.disposed = false;
    return () => {
      s.disposed = true;
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    };
  }, []);
  return useMemo(
    () => () => {
      const s = state.current;
      if (s.timer || s.disposed) return;
      const wait = Math.max(0, s.last + interval - Date.now());
      s.timer = setTimeout(() => {
        s.timer = null;
        s.last = Date.now();
        fnRef.current();
      }, wait);
    },
    [interval],
  );
}
