import type { ViewerInfo } from "./roles";
import type { TokenStore } from "./tokenStore";
import type { ViewerAnswer } from "./viewerQuery";

// Who the tab is signed in as, and the moves between: on start the app asks
// `viewer`; a refused token (HTTP 401, UNAUTHENTICATED, WebSocket close 4403)
// anywhere, at any time, leads to the sign-in form.

export type AuthState =
  /** Asking `viewer` on start. */
  | { kind: "checking" }
  /** The replica could not be asked; retry() asks again. */
  | { kind: "failed"; message: string }
  /** The sign-in form; trying is true while a pasted token is being checked. */
  | { kind: "signedOut"; error: string | null; trying: boolean }
  /**
   * The app runs as viewer. viewer.authEnabled false: the replica runs open
   * (no sign-in, no sign-out). session counts sign-ins, so that each one
   * starts with fresh caches.
   */
  | { kind: "signedIn"; viewer: ViewerInfo; session: number };

export const emptyTokenMessage = "Paste a token first.";

export function refusedMessage(serverMessage: string): string {
  const why = serverMessage ? ` (${serverMessage})` : "";
  return `The server refused this token${why}. Check that it was pasted whole, and that it has not expired or been revoked.`;
}

export function endedMessage(): string {
  return "Your session ended: the server no longer accepts the token (it may have expired or been revoked). Sign in again.";
}

/** A pasted token, without spaces around it or a "Bearer " in front. */
export function cleanToken(raw: string): string {
  return raw.trim().replace(/^Bearer(\s+|$)/i, "").trim();
}

export class AuthSession {
  private state: AuthState = { kind: "checking" };
  private readonly changes = new Set<() => void>();
  private sessions = 0;
  /** Bumped on every move, so that an answer to an older question is dropped. */
  private generation = 0;

  constructor(
    private readonly tokens: TokenStore,
    private readonly ask: (token: string | null) => Promise<ViewerAnswer>,
    /** Called on every sign-out, forced or not: closes the WebSocket. */
    private readonly onSignedOut: () => void = () => {},
  ) {}

  get = (): AuthState => this.state;

  subscribe = (onChange: () => void): (() => void) => {
    this.changes.add(onChange);
    return () => this.changes.delete(onChange);
  };

  /** The token requests carry now. */
  token(): string | null {
    return this.tokens.get();
  }

  /** Whether requests may go out: signed in, or open access. */
  live(): boolean {
    return this.state.kind === "signedIn";
  }

  /** Calls ready once the app is signed in (at once if it is); the result cancels. */
  whenLive(ready: () => void): () => void {
    if (this.live()) {
      ready();
      return () => {};
    }
    const check = () => {
      if (!this.live()) return;
      this.changes.delete(check);
      ready();
    };
    this.changes.add(check);
    return () => this.changes.delete(check);
  }

  /** Asks `viewer` with the stored token. */
  async start(): Promise<void> {
    const generation = this.move({ kind: "checking" });
    const held = this.tokens.get();
    const answer = await this.ask(held);
    if (generation !== this.generation) return;
    switch (answer.kind) {
      case "viewer":
        this.enter(answer.viewer);
        return;
      case "unauthenticated":
        this.tokens.clear();
        this.move({ kind: "signedOut", error: held ? endedMessage() : null, trying: false });
        return;
      case "failed":
        this.move({ kind: "failed", message: answer.message });
    }
  }

  retry(): void {
    void this.start();
  }

  /** Tries a pasted token; it is stored only once the server accepts it. */
  async signIn(raw: string): Promise<void> {
    const token = cleanToken(raw);
    if (!token) {
      this.move({ kind: "signedOut", error: emptyTokenMessage, trying: false });
      return;
    }
    const generation = this.move({ kind: "signedOut", error: null, trying: true });
    const answer = await this.ask(token);
    if (generation !== this.generation) return;
    switch (answer.kind) {
      case "viewer":
        if (answer.viewer.authEnabled) this.tokens.set(token);
        this.enter(answer.viewer);
        return;
      case "unauthenticated":
        this.move({ kind: "signedOut", error: refusedMessage(answer.message), trying: false });
        return;
      case "failed":
        this.move({ kind: "signedOut", error: answer.message, trying: false });
    }
  }

  signOut(): void {
    this.tokens.clear();
    this.onSignedOut();
    this.move({ kind: "signedOut", error: null, trying: false });
  }

  /**
   * A request was refused as unauthenticated. Signed in, the token no
   * longer works: it is dropped and the form shows. Running open, the
   * replica now wants a token: ask again.
   */
  unauthenticated(): void {
    if (this.state.kind !== "signedIn") return;
    if (!this.state.viewer.authEnabled) {
      this.onSignedOut();
      void this.start();
      return;
    }
    this.tokens.clear();
    this.onSignedOut();
    this.move({ kind: "signedOut", error: endedMessage(), trying: false });
  }

  private enter(viewer: ViewerInfo): void {
    this.move({ kind: "signedIn", viewer, session: ++this.sessions });
  }

  private move(next: AuthState): number {
    this.state = next;
    this.generation++;
    for (const c of [...this.changes]) c();
    return this.generation;
  }
}
