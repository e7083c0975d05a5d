import { useEffect, useRef } from "react";
import { useQuery, type AnyVariables, type UseQueryArgs, type UseQueryResponse } from "urql";
import { useConnectionState } from "./context";

/**
 * useQuery for a screen that stays open: a failed refetch (the replica is
 * restarting) keeps the last data on screen, with the error beside it,
 * instead of replacing the screen; and when the live connection comes back
 * the query runs again, so that nothing shown stays stale.
 */
export function useLiveQuery<Data, Variables extends AnyVariables>(
  args: UseQueryArgs<Variables, Data>,
): UseQueryResponse<Data, Variables> {
  const [result, reexecute] = useQuery<Data, Variables>(args);
  const last = useRef<Data | undefined>(undefined);
  if (result.data !== undefined) last.current = result.data;

  const connection = useConnectionState();
  const wasLive = useRef(connection === "live");
  useEffect(() => {
    const live = connection === "live";
    if (live && !wasLive.current) reexecute({ requestPolicy: "network-only" });
    wasLive.current = live;
  }, [connection, reexecute]);

  return [{ ...result, data: result.data ?? last.current }, reexecute];
}
