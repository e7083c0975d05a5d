// The hash of a query for automatic persisted queries: SHA-256 in hex, as
// the server computes it. Web Crypto only: where crypto.subtle is missing
// (http to a host other than localhost is not a secure context) it gives
// nothing, and persistedExchange sends the full query as before. The
// exchange's own fallback would try Node's crypto through `new Function`,
// which our CSP refuses and which, without a CSP (npm run dev), leaves the
// query waiting forever.
export async function sha256Hex(query: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest("SHA-256", new TextEncoder().encode(query));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
