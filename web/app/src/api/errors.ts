import type { CombinedError } from "@urql/core";

// Maps the server's errors to what a form shows: every error at its field
// (extensions.field, e.g. "input.schedule.cron" → "schedule.cron"), the rest
// above the form, and the first error code for special cases such as
// VERSION_CONFLICT.

export type FormErrors = {
  /** Messages by form field path, without the argument's name. */
  fields: Record<string, string[]>;
  /** Messages that belong to no field, or to a field the form lacks. */
  general: string[];
  /** extensions.code of the first error, if any. */
  code: string | null;
};

export const noErrors: FormErrors = { fields: {}, general: [], code: null };

type ErrorLike = { message: string; extensions?: Record<string, unknown> };

/** The argument names a field path may start with. */
const argumentPrefixes = ["input.", "input"];

export function fieldPath(field: string): string {
  for (const prefix of argumentPrefixes) {
    if (field.startsWith(prefix)) return field.slice(prefix.length);
  }
  return field;
}

/**
 * Sorts errors by field. known, when given, lists the fields the form shows;
 * an error naming another field is shown above the form, so none is hidden.
 */
export function formErrors(errors: readonly ErrorLike[], known?: ReadonlySet<string>): FormErrors {
  const out: FormErrors = { fields: {}, general: [], code: null };
  for (const err of errors) {
    const code = typeof err.extensions?.code === "string" ? err.extensions.code : null;
    out.code ??= code;
    const raw = typeof err.extensions?.field === "string" ? err.extensions.field : "";
    const field = raw ? fieldPath(raw) : "";
    if (field && (!known || known.has(field))) {
      (out.fields[field] ??= []).push(err.message);
    } else {
      out.general.push(err.message);
    }
  }
  return out;
}

/** The errors of a failed urql operation: GraphQL errors, or the network failure. */
export function combinedErrors(error: CombinedError, known?: ReadonlySet<string>): FormErrors {
  if (error.graphQLErrors.length > 0) {
    return formErrors(
      error.graphQLErrors.map((e) => ({ message: e.message, extensions: e.extensions as Record<string, unknown> })),
      known,
    );
  }
  const message = error.networkError
    ? `The server could not be reached (${error.networkError.message}). Nothing was saved; try again.`
    : error.message;
  return { fields: {}, general: [message], code: "NETWORK" };
}

/** One line for an error shown outside a form. */
export function errorText(error: CombinedError): string {
  const errs = combinedErrors(error);
  return [...errs.general, ...Object.entries(errs.fields).map(([f, m]) => `${f}: ${m.join("; ")}`)].join(" ");
}
