import { describe, expect, it } from "vitest";
import { canRevoke, emptyTokenForm, tokenCounts, tokenInput, tokenState } from "./tokensModel";

const now = new Date("2026-12-02T10:00:00Z");

describe("tokenInput", () => {
  it("makes the mutation's input from a valid form, never expiring by default", () => {
    expect(tokenInput({ name: " ci-deploy ", role: "EDITOR", expires: "" }, now)).toEqual({
      input: { name: "ci-deploy", role: "EDITOR", expiresAt: null },
    });
  });

  it("sends an expiry as an RFC 3339 instant", () => {
    const result = tokenInput({ name: "alice", role: "VIEWER", expires: "2027-01-31T12:30" }, now);
    expect("input" in result && result.input.expiresAt).toBe(new Date("2027-01-31T12:30").toISOString());
  });

  it("refuses a missing or malformed name, saying what is allowed", () => {
    expect(tokenInput(emptyTokenForm, now)).toEqual({ errors: { name: "Give the token a name: who or what uses it." } });
    for (const name of ["has space", "ünïcode", "a/b", "x".repeat(65)]) {
      expect(tokenInput({ ...emptyTokenForm, name }, now)).toEqual({ errors: { name: "Use 1 to 64 letters, digits, '.', '_' or '-' (no spaces)." } });
    }
    expect("input" in tokenInput({ ...emptyTokenForm, name: "A.b_c-9" + "x".repeat(57) }, now)).toBe(true);
  });

  it("refuses an expiry in the past or that is not a date", () => {
    expect(tokenInput({ name: "a", role: "ADMIN", expires: "2026-01-01T00:00" }, now)).toEqual({
      errors: { expires: "Must be in the future, or empty for a token that never expires." },
    });
    expect(tokenInput({ name: "a", role: "ADMIN", expires: "soon" }, now)).toEqual({ errors: { expires: "Not a date and time." } });
  });

  it("refuses a role the API does not know", () => {
    expect(tokenInput({ name: "a", role: "ROOT" as never, expires: "" }, now)).toEqual({ errors: { role: "Choose viewer, editor or admin." } });
  });

  it("reports every mistake at once", () => {
    const result = tokenInput({ name: "", role: "VIEWER", expires: "2020-01-01T00:00" }, now);
    expect("errors" in result && Object.keys(result.errors).sort()).toEqual(["expires", "name"]);
  });
});

describe("tokenState", () => {
  it("tells active, expired and revoked tokens apart", () => {
    expect(tokenState({ expiresAt: null, revokedAt: null }, now)).toBe("active");
    expect(tokenState({ expiresAt: "2026-12-03T00:00:00Z", revokedAt: null }, now)).toBe("active");
    expect(tokenState({ expiresAt: "2026-12-02T10:00:00Z", revokedAt: null }, now)).toBe("expired");
    expect(tokenState({ expiresAt: "2026-12-01T00:00:00Z", revokedAt: "2026-11-30T00:00:00Z" }, now)).toBe("revoked");
  });

  it("offers revoking only for a token not revoked yet", () => {
    expect(canRevoke({ revokedAt: null })).toBe(true);
    expect(canRevoke({ revokedAt: "2026-11-30T00:00:00Z" })).toBe(false);
  });

  it("counts the tokens by state", () => {
    expect(
      tokenCounts([{ expiresAt: null, revokedAt: null }, { expiresAt: "2020-01-01T00:00:00Z", revokedAt: null }, { revokedAt: "2026-01-01T00:00:00Z" }], now),
    ).toEqual({ active: 1, expired: 1, revoked: 1 });
  });
});
