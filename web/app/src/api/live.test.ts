import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { Client as WsClient, Sink } from "graphql-ws";
import { parse } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { subscribeLive } from "./live";

// A stand-in for graphql-ws's client that records every subscribe and lets
// the test play the server. The resume logic is what is under test here;
// the real client and server meet in the browser tests.
function fakeWs() {
  const calls: { variables: Record<string, unknown>; sink: Sink<unknown>; closed: boolean }[] = [];
  const ws = {
    subscribe: (payload: { variables: Record<string, unknown> }, sink: Sink<unknown>) => {
      const call = { variables: payload.variables, sink, closed: false };
      calls.push(call);
      return () => {
        call.closed = true;
      };
    },
  } as unknown as WsClient;
  return { ws, calls };
}

type Event = { cursor: string; n: number };
const doc = parse("subscription S($after: String) { s(after: $after) { cursor n } }") as unknown as TypedDocumentNode<
  { s: Event },
  { after?: string | null }
>;

function start(ws: WsClient) {
  const seen: number[] = [];
  const reset = vi.fn();
  const fail = vi.fn();
  const stop = subscribeLive(ws, doc, {}, (d) => d.s, (e) => e.cursor, { next: (e) => seen.push(e.n), reset, fail }, { retryDelay: () => 0 });
  return { seen, reset, fail, stop };
}

const next = (sink: Sink<unknown>, n: number) => sink.next({ data: { s: { cursor: `c${n}`, n } } });

describe("subscribeLive", () => {
  it("resumes from the last cursor after the socket closes", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    const { seen } = start(ws);
    expect(calls[0]!.variables.after).toBeNull();
    next(calls[0]!.sink, 1);
    next(calls[0]!.sink, 2);
    calls[0]!.sink.error({ code: 1006, reason: "" }); // a CloseEvent
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.variables.after).toBe("c2");
    next(calls[1]!.sink, 3);
    expect(seen).toEqual([1, 2, 3]);
    vi.useRealTimers();
  });

  it("resumes from the cursor a SLOW_CONSUMER or REPLICA_SHUTTING_DOWN error carries", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    start(ws);
    next(calls[0]!.sink, 1);
    calls[0]!.sink.error([{ message: "too slow", extensions: { code: "SLOW_CONSUMER", cursor: "c7" } }]);
    await vi.runAllTimersAsync();
    expect(calls[1]!.variables.after).toBe("c7");
    calls[1]!.sink.error([{ message: "bye", extensions: { code: "REPLICA_SHUTTING_DOWN", cursor: "c9" } }]);
    await vi.runAllTimersAsync();
    expect(calls[2]!.variables.after).toBe("c9");
    vi.useRealTimers();
  });

  it("starts over without a cursor, and says so, when the cursor expired", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    const { reset } = start(ws);
    next(calls[0]!.sink, 1);
    calls[0]!.sink.error({ code: 1006 });
    await vi.runAllTimersAsync();
    calls[1]!.sink.error([{ message: "expired", extensions: { code: "CURSOR_EXPIRED", field: "after" } }]);
    await vi.runAllTimersAsync();
    expect(reset).toHaveBeenCalledTimes(1);
    expect(calls[2]!.variables.after).toBeNull();
    vi.useRealTimers();
  });

  it("treats an error result over the stream like an error message", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    const { seen } = start(ws);
    next(calls[0]!.sink, 1);
    calls[0]!.sink.next({ errors: [{ message: "bye", extensions: { code: "REPLICA_SHUTTING_DOWN", cursor: "c1" } }] });
    next(calls[0]!.sink, 99); // nothing after the end counts
    await vi.runAllTimersAsync();
    expect(seen).toEqual([1]);
    expect(calls[1]!.variables.after).toBe("c1");
    vi.useRealTimers();
  });

  it("stops, and reports, on an error retrying cannot fix", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    const { fail } = start(ws);
    calls[0]!.sink.error([{ message: "dataSourceIds: not a UUID", extensions: { code: "VALIDATION" } }]);
    await vi.runAllTimersAsync();
    expect(fail).toHaveBeenCalledWith("dataSourceIds: not a UUID");
    expect(calls).toHaveLength(1);
    vi.useRealTimers();
  });

  it("closes its stream when stopped, and opens nothing more", async () => {
    vi.useFakeTimers();
    const { ws, calls } = fakeWs();
    const { stop } = start(ws);
    next(calls[0]!.sink, 1);
    stop();
    expect(calls[0]!.closed).toBe(true);
    // Stopped while waiting to retry: the retry never happens.
    const second = start(ws);
    calls[1]!.sink.error({ code: 1006 });
    second.stop();
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(2);
    vi.useRealTimers();
  });
});
