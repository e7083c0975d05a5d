// The state of the app's live connection, shown in the header: "live" while
// the WebSocket is up, "reconnecting" while it is being re-established, and
// "offline" when several attempts in a row have failed (it keeps trying).
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** Failed attempts in a row after which the app says it is offline. */
export const offlineAfterFailures = 3;

export class ConnectionStatus {
  private state: ConnectionState = "connecting";
  private failures = 0;
  private readonly listeners = new Set<() => void>();

  get = (): ConnectionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  connected(): void {
    this.failures = 0;
    this.set("live");
  }

  /** The socket closed, or an attempt to open it failed. */
  lost(): void {
    this.failures++;
    this.set(this.failures >= offlineAfterFailures ? "offline" : "reconnecting");
  }

  private set(next: ConnectionState): void {
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}
