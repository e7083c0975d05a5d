import { describe, expect, it } from "vitest";
import { fieldPath, formErrors } from "./errors";
import { formFields } from "../routes/formModel";

describe("formErrors", () => {
  it("puts every error at its field, all at once", () => {
    const errs = formErrors(
      [
        { message: "cron: second: value 99 out of range", extensions: { code: "VALIDATION", field: "input.schedule.cron" } },
        { message: 'path "/etc" is outside the data roots', extensions: { code: "VALIDATION", field: "input.path" } },
      ],
      formFields,
    );
    expect(errs.code).toBe("VALIDATION");
    expect(errs.fields).toEqual({
      "schedule.cron": ["cron: second: value 99 out of range"],
      path: ['path "/etc" is outside the data roots'],
    });
    expect(errs.general).toEqual([]);
  });

  it("shows errors without a field, or for a field the form lacks, above the form", () => {
    const errs = formErrors(
      [
        { message: "a datasource named x exists", extensions: { code: "NAME_TAKEN" } },
        { message: "odd", extensions: { code: "VALIDATION", field: "input.somethingNew" } },
        { message: "no extensions" },
      ],
      formFields,
    );
    expect(errs.code).toBe("NAME_TAKEN");
    expect(errs.general).toEqual(["a datasource named x exists", "odd", "no extensions"]);
  });

  it("keeps several errors of one field", () => {
    const errs = formErrors([
      { message: "one", extensions: { field: "input.name" } },
      { message: "two", extensions: { field: "input.name" } },
    ]);
    expect(errs.fields.name).toEqual(["one", "two"]);
  });

  it("reads VERSION_CONFLICT", () => {
    expect(formErrors([{ message: "version 3 is not 2", extensions: { code: "VERSION_CONFLICT" } }]).code).toBe(
      "VERSION_CONFLICT",
    );
  });
});

describe("fieldPath", () => {
  it("drops the argument name", () => {
    expect(fieldPath("input.schedule.timezone")).toBe("schedule.timezone");
    expect(fieldPath("expectedVersion")).toBe("expectedVersion");
  });
});
