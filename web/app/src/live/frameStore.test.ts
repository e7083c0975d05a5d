import { afterEach, describe, expect, it, vi } from "vitest";
import { FrameStore } from "./frameStore";

afterEach(() => {
  vi.useRealTimers();
});

describe("FrameStore", () => {
  it("folds a burst of events into one state change and one notification", () => {
    vi.useFakeTimers();
    const reduce = vi.fn((sum: number, events: readonly number[]) => events.reduce((a, b) => a + b, sum));
    const store = new FrameStore(0, reduce);
    const listener = vi.fn();
    store.subscribe(listener);
    for (let i = 0; i < 3000; i++) store.push(1);
    expect(store.get()).toBe(0); // nothing before the frame
    vi.runAllTimers();
    expect(store.get()).toBe(3000);
    expect(reduce).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("does not notify when the fold changes nothing", () => {
    vi.useFakeTimers();
    const state = { n: 0 };
    const store = new FrameStore(state, (s) => s);
    const listener = vi.fn();
    store.subscribe(listener);
    store.push("ignored");
    vi.runAllTimers();
    expect(listener).not.toHaveBeenCalled();
  });

  it("drops queued events on replace", () => {
    vi.useFakeTimers();
    const store = new FrameStore<number[], number>([], (s, e) => [...s, ...e]);
    store.push(1);
    store.replace([]);
    vi.runAllTimers();
    expect(store.get()).toEqual([]);
  });
});
