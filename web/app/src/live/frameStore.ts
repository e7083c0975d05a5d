// A store that folds a stream of events into a value at most once per
// animation frame: at 3,000 events a second the page renders 60 times a
// second, not 3,000. While the tab is hidden (no frames) it folds every
// quarter second, so the queue stays short.

export type Reducer<S, E> = (state: S, events: readonly E[]) => S;

export class FrameStore<S, E> {
  private state: S;
  private queue: E[] = [];
  private scheduled = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    initial: S,
    private readonly reduce: Reducer<S, E>,
  ) {
    this.state = initial;
  }

  get = (): S => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  push(event: E): void {
    this.queue.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    if (typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function") {
      requestAnimationFrame(this.flush);
    } else {
      setTimeout(this.flush, 250);
    }
  }

  /** Replaces the state at once, dropping queued events (a reset). */
  replace(state: S): void {
    this.queue = [];
    this.set(state);
  }

  /** Applies the queued events now. */
  flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.set(this.reduce(this.state, events));
  };

  private set(state: S): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
