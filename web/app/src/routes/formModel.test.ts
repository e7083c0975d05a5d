import { describe, expect, it } from "vitest";
import { changedFields, createInput, defaultValues, localErrors, mergeValues, updateInput, type FormValues } from "./formModel";

const values: FormValues = { ...defaultValues, name: "Sales", path: "/data/sales", filePattern: "*.csv" };

describe("createInput", () => {
  it("sends a cron schedule without an interval", () => {
    const input = createInput({ ...values, cron: " 0 15 10 ? * 6L ", timezone: "Europe/Paris" });
    expect(input.schedule).toEqual({
      cron: "0 15 10 ? * 6L",
      timezone: "Europe/Paris",
      misfirePolicy: "FIRE_ONCE",
      overlapPolicy: "SKIP",
      paused: false,
    });
    expect(input.maxAttempts).toBe(3);
  });

  it("sends an interval with its anchor only when one is given", () => {
    expect(createInput({ ...values, scheduleKind: "interval", interval: "30s" }).schedule).not.toHaveProperty("anchor");
    expect(
      createInput({ ...values, scheduleKind: "interval", interval: "30s", anchor: "2026-01-01T00:00:05Z" }).schedule.anchor,
    ).toBe("2026-01-01T00:00:05Z");
  });
});

describe("localErrors", () => {
  it("refuses numbers that are not whole", () => {
    expect(localErrors({ ...values, maxAttempts: "2.5", maxFilesPerRun: "lots" })).toEqual({
      maxAttempts: ["Enter a whole number."],
      maxFilesPerRun: ["Enter a whole number."],
    });
    expect(localErrors(values)).toEqual({});
  });
});

describe("updateInput", () => {
  it("sends only what changed", () => {
    expect(updateInput(values, { ...values, category: "finance" })).toEqual({ category: "finance" });
    expect(updateInput(values, values)).toEqual({});
  });

  it("sends the whole schedule when any part of it changed", () => {
    const out = updateInput(values, { ...values, timezone: "Asia/Tokyo" });
    expect(Object.keys(out)).toEqual(["schedule"]);
    expect(out.schedule).toMatchObject({ cron: values.cron, timezone: "Asia/Tokyo" });
  });
});

describe("changedFields", () => {
  it("names the fields that differ", () => {
    expect(changedFields(values, { ...values, name: "Other", paused: true })).toEqual(["name", "paused"]);
  });
});

describe("mergeValues", () => {
  it("takes their changes and keeps mine where they changed nothing", () => {
    const mine = { ...values, category: "finance", description: "mine" };
    const theirs = { ...values, supplierName: "Globex", description: "theirs" };
    expect(mergeValues(values, mine, theirs)).toEqual({
      ...values,
      category: "finance", // only mine changed it
      supplierName: "Globex", // only theirs changed it
      description: "theirs", // both did: theirs, which the operator reloaded
    });
  });
});
