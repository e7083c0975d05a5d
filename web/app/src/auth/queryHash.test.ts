import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "./queryHash";

describe("sha256Hex", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("is SHA-256 in lowercase hex, as the server hashes a persisted query", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("{ viewer { role } }")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives nothing without crypto.subtle (not a secure context), so the full query goes", async () => {
    vi.stubGlobal("crypto", {});
    expect(await sha256Hex("abc")).toBeNull();
  });
});
