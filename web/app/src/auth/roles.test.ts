import { describe, expect, it } from "vitest";
import { can, roleIncludes, roleName, roleNeeded, type ViewerInfo } from "./roles";

const as = (role: ViewerInfo["role"], authEnabled = true): ViewerInfo => ({ authEnabled, role, tokenName: "t" });

describe("role gating", () => {
  it("lets each role do what it and the roles below it may", () => {
    expect(can(as("VIEWER"), "editDataSources")).toBe(false);
    expect(can(as("VIEWER"), "manageTokens")).toBe(false);
    expect(can(as("EDITOR"), "editDataSources")).toBe(true);
    expect(can(as("EDITOR"), "manageTokens")).toBe(false);
    expect(can(as("ADMIN"), "editDataSources")).toBe(true);
    expect(can(as("ADMIN"), "manageTokens")).toBe(true);
  });

  it("lets everyone do everything on a replica running open (the server says ADMIN)", () => {
    expect(can(as("ADMIN", false), "editDataSources")).toBe(true);
    expect(can(as("ADMIN", false), "manageTokens")).toBe(true);
  });

  it("allows nothing before the server has said who the tab is", () => {
    expect(can(null, "editDataSources")).toBe(false);
    expect(can(null, "manageTokens")).toBe(false);
  });

  it("orders the roles", () => {
    expect(roleIncludes("ADMIN", "VIEWER")).toBe(true);
    expect(roleIncludes("EDITOR", "EDITOR")).toBe(true);
    expect(roleIncludes("VIEWER", "EDITOR")).toBe(false);
    expect(roleNeeded("editDataSources")).toBe("EDITOR");
    expect(roleNeeded("manageTokens")).toBe("ADMIN");
    expect(roleName("EDITOR")).toBe("Editor");
  });
});
