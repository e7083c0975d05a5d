// The API token lives in sessionStorage only: it lasts as long as the tab,
// a new tab signs in again, and nothing is written to localStorage or to a
// cookie (a cookie would also ride along on requests the app did not make).

/** The sessionStorage key of the token. */
export const tokenKey = "ezplatform.token";

/** The part of the Storage API the store uses. */
export type TokenStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** The tab's sessionStorage, or null where the browser refuses it (some private modes). */
export function tabStorage(): TokenStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Holds the token. Without a usable storage it keeps the token in memory,
 * so that signing in still works until the page is reloaded.
 */
export class TokenStore {
  private memory: string | null = null;

  constructor(private readonly storage: TokenStorage | null = tabStorage()) {
    this.memory = this.read();
  }

  get(): string | null {
    return this.memory;
  }

  set(token: string): void {
    this.memory = token;
    try {
      this.storage?.setItem(tokenKey, token);
    } catch {
      // Full or refused: the token stays in memory for this page.
    }
  }

  clear(): void {
    this.memory = null;
    try {
      this.storage?.removeItem(tokenKey);
    } catch {
      // Nothing stored, nothing to remove.
    }
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(tokenKey) || null;
    } catch {
      return null;
    }
  }
}
